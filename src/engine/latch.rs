//! Re-arming: a rule that fired for a product does not fire for it again until
//! its condition has been false for it once. This is one rule's bookkeeping of
//! that for the run, and what it hands back to be stored.

use std::collections::HashSet;

use crate::model::{Product, ProductKey};
use crate::rules::{Action, Rule, RuleSet};

use super::{Context, Memory, Outcome};

/// One rule's re-arming bookkeeping for this run.
#[derive(Default)]
pub(super) struct Latch {
    /// First run under `first_run = "skip"`: what matches is only noted.
    pub(super) first_run_skip: bool,
    /// The `when` was evaluated and is false: every latch of the rule re-arms.
    pub(super) when_false: bool,
    pub(super) set: Vec<ProductKey>,
    clear: Vec<ProductKey>,
    /// Latched products seen in this run's stream.
    seen: HashSet<ProductKey>,
}

impl Latch {
    pub(super) fn for_rule(rule: &Rule, memory: &Memory) -> Latch {
        Latch {
            first_run_skip: !rule.first_run_fires && !memory.rules_run.contains(&rule.name),
            ..Latch::default()
        }
    }

    /// Notes one product this rule looked at. Returns false when the product
    /// must go no further (first run under "skip": it is only noted as seen).
    #[inline]
    pub(super) fn track(&mut self, latched: bool, product: &Product, matched: bool) -> bool {
        if latched {
            self.seen.insert(product.key());
            if !matched {
                // The condition is false for it now: it may fire again next time.
                self.clear.push(product.key());
            }
        }
        if matched && self.first_run_skip {
            self.set.push(product.key());
            return false;
        }
        true
    }

    /// Hands the rule's latches to set and to clear to `out`, at the end of the
    /// run. `active`: the rule ran on this run's products (it was not idle, nor
    /// skipped for a failure).
    pub(super) fn settle(&self, rule: &Rule, ctx: &Context, active: bool, out: &mut Outcome) {
        let latched_here = || {
            ctx.memory
                .latched
                .iter()
                .filter(move |(r, _)| *r == rule.name)
                .map(|(_, k)| k)
        };
        if self.when_false {
            // Its condition is false for everything: every latch re-arms.
            out.latch_clear
                .extend(latched_here().map(|k| (rule.name.clone(), k.clone())));
        }
        if active {
            // Latched products of feeds that answered but no longer list them
            // are re-armed too; a feed that failed changes nothing.
            let gone = latched_here().filter(|k| {
                !self.seen.contains(*k) && ctx.failed.catalog_failed(&k.feed).is_none()
            });
            out.latch_clear
                .extend(gone.map(|k| (rule.name.clone(), k.clone())));
            out.latch_clear
                .extend(self.clear.iter().map(|k| (rule.name.clone(), k.clone())));
            out.latch_set
                .extend(self.set.iter().map(|k| (rule.name.clone(), k.clone())));
        }
    }
}

/// What a checkout re-arms: the latches of `add` rules on the products
/// bought, so the next check proposes a staple again once the last one was
/// bought. A rule with `when.every` is re-armed too, but its `every` (false
/// until the interval has passed since this purchase) keeps it waiting.
pub fn rearmed_by_purchase(
    rules: &RuleSet,
    latched: &HashSet<(String, ProductKey)>,
    bought: &[ProductKey],
) -> Vec<(String, ProductKey)> {
    let restocks = |name: &str| {
        rules
            .rules
            .iter()
            .any(|r| r.name == name && matches!(r.action, Action::Add { .. }))
    };
    let mut out: Vec<(String, ProductKey)> = latched
        .iter()
        .filter(|(rule, key)| bought.contains(key) && restocks(rule))
        .cloned()
        .collect();
    out.sort();
    out
}
