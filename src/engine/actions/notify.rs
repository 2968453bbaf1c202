//! `notify`: up to `limit` matching products, sent to the channels as one
//! notification, news or not (the novelty rule below).

use crate::model::{Availability, Notification, Product};
use crate::rules::{Rule, Selector};

use super::super::explain::{first_run_detail, no_candidates_detail, plural, Explanation};
use super::super::index::Anchor;
use super::super::latch::Latch;
use super::super::matching::{check, store_offer, Match, EMPTY_SELECTOR};
use super::super::{Context, Outcome};
use super::{Ending, Finished, PassedOver, Sighting};

pub(in crate::engine) struct NotifyWork<'r> {
    selector: &'r Selector,
    limit: usize,
    found: Vec<Product>,
    channels: Vec<String>,
}

impl<'r> NotifyWork<'r> {
    pub(super) fn prepare(
        rule: &'r Rule,
        ctx: &Context,
        channels: &[String],
        limit: usize,
    ) -> NotifyWork<'r> {
        NotifyWork {
            selector: rule.selector.as_ref().unwrap_or(&EMPTY_SELECTOR),
            limit,
            found: Vec::new(),
            channels: if channels.is_empty() {
                ctx.rules.notify.channels()
            } else {
                channels.to_vec()
            },
        }
    }

    pub(super) fn anchor(&self) -> Anchor<'_> {
        Anchor::Selector(self.selector)
    }

    #[inline]
    pub(super) fn observe(
        &mut self,
        ctx: &Context,
        seen: &Sighting,
        latch: &mut Latch,
        passed: &mut PassedOver,
    ) {
        let product = seen.folded.product;
        let m = check(self.selector, seen.folded, ctx, true);
        if !latch.track(seen.latched, product, m == Match::Yes) {
            return;
        }
        match m {
            Match::Yes if self.found.len() < self.limit => {
                let mut found = product.clone();
                if !self.selector.at_store.is_empty() {
                    found.matched_store = store_offer(self.selector, product);
                }
                self.found.push(found);
            }
            Match::Yes => {}
            Match::PriceOnly => passed.note_near_miss(product),
            Match::OtherCurrency => passed.other_currency += 1,
            Match::UnknownSize => passed.unknown_size += 1,
            Match::No => {}
        }
    }

    /// The notification of what was found, and the rule's explanation: a
    /// notification is no proposal, so no budget applies.
    pub(super) fn finish(self, end: &Ending, out: &mut Outcome) -> Finished {
        let (ctx, rule) = (end.ctx, end.rule);
        let found = self.found;
        if found.is_empty() {
            out.explanations.push(Explanation {
                rule: rule.name.clone(),
                fired: false,
                evaluated: true,
                proposals: 0,
                detail: if end.latch.first_run_skip && !end.latch.set.is_empty() {
                    first_run_detail(end.latch.set.len())
                } else {
                    no_candidates_detail(end.passed, rule)
                },
            });
            return Finished::Said;
        }
        // News: not fired for since its condition was last false (re-armed),
        // or cheaper / back in stock since the last notification.
        let new = found.iter().any(|p| {
            !ctx.memory.latched.contains(&(rule.name.clone(), p.key()))
                || changed_since_notified(ctx, rule, p)
        });
        out.latch_set
            .extend(found.iter().map(|p| (rule.name.clone(), p.key())));
        out.explanations.push(Explanation {
            rule: rule.name.clone(),
            fired: true,
            evaluated: true,
            proposals: 0,
            detail: format!(
                "{} product{} to notify{}",
                found.len(),
                plural(found.len()),
                if new { "" } else { " (nothing new)" }
            ),
        });
        out.notifications.push(Notification {
            rule: rule.name.clone(),
            channels: self.channels,
            products: found,
            new,
        });
        Finished::Said
    }
}

/// Cheaper, or back in stock, since the rule last notified about it
/// (docs/cli.md: a notified product is news again only when it changes). Time
/// alone is no news; the rule's cooldown is about declined proposals. A
/// product never notified (latched under `first_run = "skip"`) has not changed.
fn changed_since_notified(ctx: &Context, rule: &Rule, p: &Product) -> bool {
    match ctx.memory.notified.get(&(rule.name.clone(), p.key())) {
        None => false,
        Some(before) => {
            let cheaper = matches!((p.price, before.price), (Some(now), Some(then)) if now < then);
            let back = !before.availability.is_some_and(Availability::is_available)
                && p.availability.is_some_and(Availability::is_available);
            cheaper || back
        }
    }
}
