//! `add`: the best `limit` products the selector matches, or a restock up to
//! N units, counting what the basket already holds.

use std::collections::HashSet;

use crate::model::{ActionKind, BasketItem, Product, ProductKey, Proposal};
use crate::rules::{Prefer, Quantity, Rule, Scope, Selector};

use super::super::explain::{
    first_run_detail, join_reasons, latched_detail, no_candidates_detail, per_unit_reason, plural,
    selector_reason, unknown_size_detail,
};
use super::super::folded::Folded;
use super::super::index::Anchor;
use super::super::latch::Latch;
use super::super::matching::{check, check_ignoring_price, keep_best, rank, store_offer, Match};
use super::super::{Context, Outcome};
use super::{cooling_down, proposal, taken_out_recently, Ending, Finished, PassedOver, Sighting};

pub(in crate::engine) struct AddWork {
    selector: Box<Selector>,
    room: usize,
    best: Vec<(usize, Product)>,
    prefer: Prefer,
    quantity: u32,
    /// `"up to N"`: products already in the basket may be topped up.
    restock: bool,
}

impl AddWork {
    pub(super) fn prepare(
        rule: &Rule,
        ctx: &Context,
        product: Option<&Selector>,
        quantity: Quantity,
        limit: usize,
        prefer: Prefer,
    ) -> Result<AddWork, String> {
        let selector = candidates(rule, product);
        if let Some(m) = &rule.selector {
            if m.scope == Scope::Basket {
                let has = ctx
                    .basket
                    .iter()
                    .any(|i| check(m, &Folded::new(&i.product), ctx, false) == Match::Yes);
                if !has {
                    return Err("no basket item matches its match".into());
                }
            }
        }
        let holding: Vec<&BasketItem> = ctx
            .basket
            .iter()
            .filter(|i| check_ignoring_price(&selector, &Folded::new(&i.product)))
            .collect();
        let (room, quantity, restock) = room_left(quantity, limit, &holding)?;
        Ok(AddWork {
            selector: Box::new(selector),
            room,
            best: Vec::new(),
            prefer,
            quantity,
            restock,
        })
    }

    pub(super) fn anchor(&self) -> Anchor<'_> {
        Anchor::Selector(&self.selector)
    }

    #[inline]
    pub(super) fn observe(
        &mut self,
        rule: &Rule,
        ctx: &Context,
        seen: &Sighting,
        latch: &mut Latch,
        passed: &mut PassedOver,
    ) {
        if seen.in_basket && !self.restock {
            return;
        }
        let product = seen.folded.product;
        let m = check(&self.selector, seen.folded, ctx, true);
        if !latch.track(seen.latched, product, m == Match::Yes) {
            return;
        }
        match m {
            Match::Yes => {}
            Match::PriceOnly => {
                passed.note_near_miss(product);
                return;
            }
            Match::OtherCurrency => {
                passed.other_currency += 1;
                return;
            }
            Match::UnknownSize => {
                passed.unknown_size += 1;
                return;
            }
            Match::No => return,
        }
        if taken_out_recently(ctx, rule, product) {
            passed.taken_out += 1;
            return;
        }
        // The proposal's id matters only to a latched rule or a recent
        // decline; most runs have neither, so most matches skip hashing it.
        if seen.latched || !ctx.memory.declined.is_empty() {
            let id = Proposal::stable_id_of(
                &rule.name,
                ActionKind::Add,
                (&product.feed, &product.id),
                None,
            );
            if seen.latched && !ctx.memory.pending.contains(&id) {
                passed.latched_held += 1;
                return;
            }
            if cooling_down(ctx, rule, &id, product.price) {
                passed.cooling_down += 1;
                return;
            }
        }
        let prefer = self.prefer;
        keep_best(&mut self.best, self.room, seen.seq, product, |p| {
            rank(prefer, p, None)
        });
    }

    /// One proposal per product kept, unless an earlier rule proposes it.
    pub(super) fn finish(
        self,
        end: &Ending,
        proposed_adds: &mut HashSet<ProductKey>,
        out: &mut Outcome,
    ) -> Finished {
        let (ctx, rule) = (end.ctx, end.rule);
        let mut made = Vec::new();
        for (_, product) in self.best {
            if !proposed_adds.insert(product.key()) {
                continue;
            }
            let mut why = selector_reason(
                rule,
                &product,
                &ctx.rules.settings.currency,
                end.when_reason.is_none(),
            );
            if self.prefer == Prefer::CheapestPerUnit {
                let per_unit = per_unit_reason(&product);
                why = Some(match why {
                    Some(w) => format!("{w}; {per_unit}"),
                    None => per_unit,
                });
            }
            if let Some(store) = store_offer(&self.selector, &product) {
                let store = store.reason();
                why = Some(match why {
                    Some(w) => format!("{w}; {store}"),
                    None => store,
                });
            }
            let reason = join_reasons(end.when_reason, why);
            out.latch_set.push((rule.name.clone(), product.key()));
            made.push(proposal(
                ctx,
                rule,
                ActionKind::Add,
                product,
                self.quantity,
                None,
                reason,
            ));
        }
        let why_none = made.is_empty().then(|| {
            if end.passed.latched_held > 0 {
                latched_detail(end.passed.latched_held)
            } else if end.latch.first_run_skip && !end.latch.set.is_empty() {
                first_run_detail(end.latch.set.len())
            } else if end.passed.near_miss.is_none() && end.passed.unknown_size > 0 {
                unknown_size_detail(end.passed.unknown_size)
            } else {
                no_candidates_detail(end.passed, rule)
            }
        });
        Finished::Proposals(made, why_none)
    }
}

/// What an add's candidates must match: its catalog `match` and its
/// `product`, both (their intersection keeps every key of either, the history
/// keys included); a basket `match` is a condition, not a filter.
pub(in crate::engine) fn candidates(rule: &Rule, product: Option<&Selector>) -> Selector {
    match (&rule.selector, product) {
        (Some(m), Some(p)) if m.scope == Scope::Catalog => m.intersect(p),
        (Some(m), None) if m.scope == Scope::Catalog => m.clone(),
        (_, Some(p)) => p.clone(),
        (_, None) => Selector::default(),
    }
}

/// How many products may still be added, how many of each, and whether held
/// ones may be topped up; `Err`: the basket already holds enough.
fn room_left(
    quantity: Quantity,
    limit: usize,
    holding: &[&BasketItem],
) -> Result<(usize, u32, bool), String> {
    match quantity {
        // Fill, don't pile up: items already in the basket count towards `limit`.
        Quantity::Exactly(quantity) => {
            let held = holding.len();
            if held >= limit {
                return Err(format!(
                    "the basket already holds {held} matching item{}",
                    plural(held)
                ));
            }
            Ok((limit - held, quantity, false))
        }
        // Restock: top up to N, counting every unit already held.
        Quantity::UpTo(n) => {
            let held: u32 = holding.iter().map(|i| i.quantity).sum();
            if held >= n {
                return Err(format!("the basket already holds {held} (up to {n})"));
            }
            Ok((1, n - held, true))
        }
    }
}
