//! `swap`: for each basket item the rule watches, the best available product
//! known to be free of what the rule avoids (sharing the item's category when
//! the rule says so).

use rust_decimal::Decimal;

use crate::model::{ActionKind, Availability, BasketItem, Product, Proposal};
use crate::rules::{Prefer, Rule};
use crate::text;

use super::super::explain::{join_reasons, per_unit_reason, swap_reason};
use super::super::folded::Folded;
use super::super::index::Anchor;
use super::super::matching::{
    check, known_free_of_allergen, known_free_of_trait, rank, Match, EMPTY_SELECTOR,
};
use super::super::{Context, Outcome};
use super::{cooling_down, proposal, taken_out_recently, Ending, Finished, PassedOver, Sighting};

pub(in crate::engine) struct SwapWork<'r> {
    without: &'r [String],
    without_allergens: &'r [String],
    keep_category: bool,
    prefer: Prefer,
    max_price: Option<Decimal>,
    watched: Vec<SwapSlot>,
}

/// One watched basket item, and the best alternative to it so far.
struct SwapSlot {
    item: BasketItem,
    /// The item's most specific category, folded once.
    category: Option<String>,
    best: Option<(usize, Product)>,
    /// An alternative was passed over because the shopper declined it recently:
    /// there is one, so "no alternative" would be untrue.
    declined: bool,
}

impl<'r> SwapWork<'r> {
    /// The fields of the rule's `swap`, and the basket items its `match` watches.
    pub(super) fn prepare(
        rule: &Rule,
        ctx: &Context,
        without: &'r [String],
        without_allergens: &'r [String],
        keep_category: bool,
        prefer: Prefer,
        max_price: Option<Decimal>,
    ) -> Result<SwapWork<'r>, String> {
        let selector = rule.selector.as_ref().unwrap_or(&EMPTY_SELECTOR);
        let watched: Vec<SwapSlot> = ctx
            .basket
            .iter()
            .filter(|i| check(selector, &Folded::new(&i.product), ctx, false) == Match::Yes)
            .map(|i| SwapSlot {
                item: i.clone(),
                category: i.product.most_specific_category().map(text::fold_tag),
                best: None,
                declined: false,
            })
            .collect();
        if watched.is_empty() {
            return Err("no basket item matches".into());
        }
        Ok(SwapWork {
            without,
            without_allergens,
            keep_category,
            prefer,
            max_price,
            watched,
        })
    }

    /// An alternative must share the item's category, when the rule says so:
    /// then only those categories' products matter.
    pub(super) fn anchor(&self) -> Anchor<'_> {
        if self.keep_category {
            Anchor::Categories(
                self.watched
                    .iter()
                    .filter_map(|slot| slot.category.as_deref())
                    .collect(),
            )
        } else {
            Anchor::Every
        }
    }

    #[inline]
    pub(super) fn observe(
        &mut self,
        rule: &Rule,
        ctx: &Context,
        seen: &Sighting,
        passed: &mut PassedOver,
    ) {
        if seen.in_basket || !self.qualifies(ctx, seen.folded.product) {
            return;
        }
        let (product, folded, seq) = (seen.folded.product, seen.folded, seen.seq);
        let taken_out = taken_out_recently(ctx, rule, product);
        for slot in self.watched.iter_mut() {
            if self.keep_category
                && !slot
                    .category
                    .as_ref()
                    .is_some_and(|c| folded.in_category(c))
            {
                continue;
            }
            if taken_out {
                passed.taken_out += 1;
                // There is an alternative: "no alternative" would be untrue.
                slot.declined = true;
                continue;
            }
            let declined = !ctx.memory.declined.is_empty() && {
                let id = Proposal::stable_id_of(
                    &rule.name,
                    ActionKind::Swap,
                    (&product.feed, &product.id),
                    Some((&slot.item.product.feed, &slot.item.product.id)),
                );
                cooling_down(ctx, rule, &id, product.price)
            };
            if declined {
                passed.cooling_down += 1;
                slot.declined = true;
                continue;
            }
            let reference = slot.item.product.price;
            let key = rank(self.prefer, product, reference);
            let better = match &slot.best {
                None => true,
                Some((_, current)) => key < rank(self.prefer, current, reference),
            };
            if better {
                slot.best = Some((seq, product.clone()));
            }
        }
    }

    /// Whether `product` may replace a basket item at all: available, priced
    /// in the rules' currency, within `max_price`, and known to be free of
    /// what the rule avoids.
    #[inline]
    fn qualifies(&self, ctx: &Context, product: &Product) -> bool {
        let currency = ctx.rules.settings.currency.as_str();
        product.availability.is_some_and(Availability::is_available)
            && product.currency.as_deref() == Some(currency)
            && product.price.is_some()
            && self.without.iter().all(|t| known_free_of_trait(product, t))
            && self
                .without_allergens
                .iter()
                .all(|a| known_free_of_allergen(product, a))
            && self
                .max_price
                .is_none_or(|m| product.price.is_none_or(|p| p <= m))
    }

    /// A proposal per item with an alternative; a notice per item without one
    /// (unless one was declined recently).
    pub(super) fn finish(self, end: &Ending, out: &mut Outcome) -> Finished {
        let (ctx, rule) = (end.ctx, end.rule);
        let mut made = Vec::new();
        for slot in self.watched {
            match slot.best {
                Some((_, alt)) => {
                    let mut why = swap_reason(
                        &slot.item.product,
                        &alt,
                        self.without,
                        self.without_allergens,
                    );
                    if self.prefer == Prefer::CheapestPerUnit {
                        why = format!("{why}; {}", per_unit_reason(&alt));
                    }
                    let reason = join_reasons(end.when_reason, Some(why));
                    made.push(proposal(
                        ctx,
                        rule,
                        ActionKind::Swap,
                        alt,
                        slot.item.quantity,
                        Some(slot.item.product),
                        reason,
                    ));
                }
                None if slot.declined => {}
                None => {
                    let cat = slot
                        .item
                        .product
                        .most_specific_category()
                        .map(|c| format!(" in '{c}'"))
                        .unwrap_or_default();
                    out.notices.push(format!(
                        "{}: no alternative for '{}'{cat}",
                        rule.name, slot.item.product.name
                    ));
                }
            }
        }
        let why_none = made.is_empty().then(|| {
            if end.passed.cooling_down > 0 {
                "every alternative was declined recently (cooldown)".to_string()
            } else if end.passed.taken_out > 0 {
                "every alternative was removed or swapped out recently (cooldown)".to_string()
            } else {
                "no basket item to swap has a known-safe alternative".to_string()
            }
        });
        Finished::Proposals(made, why_none)
    }
}
