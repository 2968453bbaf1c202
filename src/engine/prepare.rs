//! Compiling the rules for one run: whether each runs at all (enabled, its
//! feeds answered, its `when` holds), its action's work set up, and what each
//! needs of a product, for the index.

use std::collections::BTreeMap;

use crate::rules::{Condition, Rule};

use super::actions::{PassedOver, Work};
use super::conditions::eval_condition;
use super::index::Anchor;
use super::latch::Latch;
use super::{Context, Weather};

/// A rule while products stream past.
pub(super) struct RuleState<'r> {
    pub(super) rule: &'r Rule,
    pub(super) status: Status<'r>,
    /// Reason the `when` holds, to lead each proposal's reason.
    pub(super) when_reason: Option<String>,
    pub(super) passed: PassedOver,
    pub(super) latch: Latch,
}

pub(super) enum Status<'r> {
    /// It runs: its work, fed the products.
    Active(Work<'r>),
    /// Its condition does not hold, or it is disabled: why, for `--explain`.
    Idle(String),
    /// Not evaluated: something it needs failed this run.
    Skipped(String),
}

/// Why a rule does not run.
enum Skip {
    Idle(String),
    /// Its `when` was evaluated and is false (so every latch of it re-arms).
    WhenFalse(String),
    Skipped(String),
}

impl<'a> RuleState<'a> {
    pub(super) fn new(rule: &'a Rule, ctx: &'a Context<'a>) -> Self {
        let mut latch = Latch::for_rule(rule, ctx.memory);
        let mut when_reason = None;
        let status = match prepare(rule, ctx) {
            Ok((reason, work)) => {
                when_reason = reason;
                Status::Active(work)
            }
            Err(Skip::Idle(why)) => Status::Idle(why),
            Err(Skip::WhenFalse(why)) => {
                latch.when_false = true;
                Status::Idle(why)
            }
            Err(Skip::Skipped(why)) => Status::Skipped(why),
        };
        RuleState {
            rule,
            status,
            when_reason,
            passed: PassedOver::default(),
            latch,
        }
    }

    /// A feed that failed while being read: the rule is skipped if it needs it,
    /// as if it had failed to fetch.
    pub(super) fn skip_if_failed(&mut self, failed: &BTreeMap<String, String>) {
        if !matches!(self.status, Status::Active(_)) {
            return;
        }
        if let Some(why) = failed_feed(self.rule, failed) {
            self.status = Status::Skipped(why);
        }
    }
}

/// Decides whether the rule runs at all this time, and sets up its work; with
/// the reason its `when` holds, if it has one.
fn prepare<'a>(rule: &'a Rule, ctx: &Context) -> Result<(Option<String>, Work<'a>), Skip> {
    if !rule.enabled {
        return Err(Skip::Idle("disabled".into()));
    }
    if let Some(why) = failed_feed(rule, ctx.failed_feeds) {
        return Err(Skip::Skipped(why));
    }
    let when_reason = match &rule.when {
        Some(when) => Some(when_holds(when, ctx)?),
        None => None,
    };
    let work = Work::prepare(rule, ctx).map_err(Skip::Idle)?;
    Ok((when_reason, work))
}

/// Why the rule cannot be judged with these feeds failed, if it cannot: it
/// names one of them, or it acts on what is missing.
fn failed_feed(rule: &Rule, failed: &BTreeMap<String, String>) -> Option<String> {
    for feed in rule.named_feeds() {
        if let Some(why) = failed.get(feed) {
            return Some(format!("feed '{feed}' failed ({why})"));
        }
    }
    // A feed that did not answer is unknown: never let it make a removal or a
    // "lacks" fire.
    if rule.acts_on_absence() {
        if let Some((feed, why)) = failed.iter().next() {
            return Some(format!(
                "feed '{feed}' failed ({why}), and this rule acts on what is missing"
            ));
        }
    }
    None
}

/// The reason the `when` holds, or why the rule does not run.
fn when_holds(when: &Condition, ctx: &Context) -> Result<String, Skip> {
    if when.uses_weather() {
        if let Weather::Failed(why) = &ctx.weather {
            return Err(Skip::Skipped(format!(
                "the weather forecast failed ({why})"
            )));
        }
    }
    let (holds, reason) = eval_condition(when, ctx);
    if holds {
        Ok(reason)
    } else {
        Err(Skip::WhenFalse(reason))
    }
}

/// What each rule's per-product work needs of a product.
pub(super) fn rule_anchors<'s>(states: &'s [RuleState]) -> Vec<Anchor<'s>> {
    states
        .iter()
        .map(|state| match &state.status {
            Status::Active(work) => work.anchor(),
            Status::Idle(_) | Status::Skipped(_) => Anchor::Never,
        })
        .collect()
}
