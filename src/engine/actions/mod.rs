//! What is particular to each kind of action, one file each: how it is set up
//! from the rule and the basket, what it keeps of the products streaming past,
//! and what it proposes at the end. What they share is here.

use std::collections::HashSet;

use rust_decimal::Decimal;

use crate::model::{ActionKind, Product, ProductKey, Proposal, ProposalStatus};
use crate::rules::{Action, Rule};

use super::folded::Folded;
use super::index::Anchor;
use super::latch::Latch;
use super::{Context, Outcome};

mod add;
mod notify;
mod remove;
mod swap;

pub(super) use add::candidates as add_candidates;
use add::AddWork;
use notify::NotifyWork;
use remove::RemoveWork;
use swap::SwapWork;

/// What an active rule does with the products, by the kind of its action.
pub(super) enum Work<'r> {
    Add(AddWork),
    Notify(NotifyWork<'r>),
    /// Basket items to remove, known up front (basket scope) or found in the catalog.
    Remove(RemoveWork<'r>),
    Swap(SwapWork<'r>),
}

/// One catalog product as a rule's work meets it.
pub(super) struct Sighting<'f, 'p> {
    pub(super) folded: &'f Folded<'p>,
    /// Its place in the stream: feed order breaks ties between equal ranks.
    pub(super) seq: usize,
    pub(super) in_basket: bool,
    /// The rule fired for it before and has not re-armed since.
    pub(super) latched: bool,
}

/// What a rule passed over while the products streamed past: for the
/// warnings and `--explain`.
#[derive(Default)]
pub(super) struct PassedOver {
    /// Products priced in another currency that a price condition had to ignore.
    pub(super) other_currency: usize,
    /// The cheapest product that matched everything but the price, for `--explain`.
    pub(super) near_miss: Option<Product>,
    /// Candidates passed over because the shopper declined them recently.
    pub(super) cooling_down: usize,
    /// Candidates passed over because the shopper recently approved removing
    /// them or swapping them out.
    pub(super) taken_out: usize,
    /// Candidates passed over because the rule already fired for them and their
    /// condition has not been false since.
    pub(super) latched_held: usize,
    /// Candidates whose size is unknown, so a unit price condition could not hold.
    pub(super) unknown_size: usize,
}

impl PassedOver {
    #[inline]
    fn note_near_miss(&mut self, p: &Product) {
        let cheaper = match &self.near_miss {
            None => true,
            Some(q) => p.price < q.price,
        };
        if cheaper {
            self.near_miss = Some(p.clone());
        }
    }
}

/// What an action's last step reads besides what it kept.
pub(super) struct Ending<'e> {
    pub(super) ctx: &'e Context<'e>,
    pub(super) rule: &'e Rule,
    /// Reason the `when` holds, to lead each proposal's reason.
    pub(super) when_reason: Option<&'e str>,
    pub(super) passed: &'e PassedOver,
    pub(super) latch: &'e Latch,
}

/// What an action made of its candidates.
pub(super) enum Finished {
    /// Proposals, to be judged against the budget and counted in the rule's
    /// explanation; when there are none, why.
    Proposals(Vec<Proposal>, Option<String>),
    /// The action has said all it has to (a notification and its explanation).
    Said,
}

impl<'r> Work<'r> {
    /// Sets up the work of an enabled rule whose `when` holds. `Err`: why the
    /// rule has nothing to do this run.
    pub(super) fn prepare(rule: &'r Rule, ctx: &Context) -> Result<Work<'r>, String> {
        Ok(match &rule.action {
            Action::Add {
                product,
                quantity,
                limit,
                prefer,
            } => Work::Add(AddWork::prepare(
                rule,
                ctx,
                product.as_ref(),
                *quantity,
                *limit,
                *prefer,
            )?),
            Action::Notify { channels, limit } => {
                Work::Notify(NotifyWork::prepare(rule, ctx, channels, *limit))
            }
            Action::Remove { product } => {
                Work::Remove(RemoveWork::prepare(rule, ctx, product.as_ref()))
            }
            Action::Swap {
                without,
                without_allergens,
                keep_category,
                prefer,
                max_price,
            } => Work::Swap(SwapWork::prepare(
                rule,
                ctx,
                without,
                without_allergens,
                *keep_category,
                *prefer,
                *max_price,
            )?),
        })
    }

    /// What the work needs of a product, for the index.
    pub(super) fn anchor(&self) -> Anchor<'_> {
        match self {
            Work::Add(add) => add.anchor(),
            Work::Notify(notify) => notify.anchor(),
            Work::Remove(remove) => remove.anchor(),
            Work::Swap(swap) => swap.anchor(),
        }
    }

    /// Feeds one product that could concern the rule to its work.
    #[inline]
    pub(super) fn observe(
        &mut self,
        rule: &Rule,
        ctx: &Context,
        seen: &Sighting,
        latch: &mut Latch,
        passed: &mut PassedOver,
    ) {
        match self {
            Work::Add(add) => add.observe(rule, ctx, seen, latch, passed),
            Work::Notify(notify) => notify.observe(ctx, seen, latch, passed),
            Work::Remove(remove) => remove.observe(ctx, seen),
            Work::Swap(swap) => swap.observe(rule, ctx, seen, passed),
        }
    }

    /// Turns what the work kept into proposals (or a notification).
    /// `proposed_adds`: the products an earlier rule already proposes to add.
    pub(super) fn finish(
        self,
        end: &Ending,
        proposed_adds: &mut HashSet<ProductKey>,
        out: &mut Outcome,
    ) -> Finished {
        match self {
            Work::Add(add) => add.finish(end, proposed_adds, out),
            Work::Notify(notify) => notify.finish(end, out),
            Work::Remove(remove) => remove.finish(end),
            Work::Swap(swap) => swap.finish(end, out),
        }
    }
}

/// Declined recently enough for the rule's cooldown to hold it back.
#[inline]
fn cooling_down(ctx: &Context, rule: &Rule, id: &str, price_now: Option<Decimal>) -> bool {
    let Some((when, price_then)) = ctx.memory.declined.get(id) else {
        return false;
    };
    if ctx.now - *when >= rule.cooldown {
        return false;
    }
    // A price that has fallen since the decline is news worth showing again.
    let fell = matches!((price_now, price_then), (Some(now), Some(then)) if now < *then);
    !fell
}

/// The shopper approved taking the product out of the basket (a removal, or
/// a swap for another) recently enough for the rule's cooldown to hold it
/// back, whatever its price: proposing it again would undo that decision.
#[inline]
fn taken_out_recently(ctx: &Context, rule: &Rule, p: &Product) -> bool {
    if ctx.memory.taken_out.is_empty() {
        return false;
    }
    ctx.memory
        .taken_out
        .get(&p.key())
        .is_some_and(|when| ctx.now - *when < rule.cooldown)
}

fn proposal(
    ctx: &Context,
    rule: &Rule,
    action: ActionKind,
    product: Product,
    quantity: u32,
    replaces: Option<Product>,
    reason: String,
) -> Proposal {
    let id = Proposal::stable_id(
        &rule.name,
        action,
        &product.key(),
        replaces.as_ref().map(Product::key).as_ref(),
    );
    let status = if ctx.memory.pending.contains(&id) {
        ProposalStatus::Pending
    } else {
        ProposalStatus::New
    };
    Proposal {
        id,
        rule: rule.name.clone(),
        action,
        product,
        quantity,
        replaces,
        reason,
        status,
        over_budget: false,
    }
}
