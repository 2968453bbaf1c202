//! Compiling the rules for one run: whether each runs at all (enabled, the
//! inputs it reads answered, its `when` holds), its action's work set up, and
//! what each needs of a product, for the index.

use crate::model::FailedInputs;
use crate::rules::{Condition, Rule};

use super::actions::{PassedOver, Work};
use super::conditions::eval_condition;
use super::index::Anchor;
use super::inputs::Inputs;
use super::latch::Latch;
use super::{Context, Weather};

/// A rule while products stream past.
pub(super) struct RuleState<'r> {
    pub(super) rule: &'r Rule,
    /// What it reads that can fail: a feed that fails while being read is
    /// checked against it too.
    inputs: Inputs<'r>,
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
        let inputs = Inputs::of(rule);
        let status = match prepare(rule, &inputs, ctx) {
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
            inputs,
            status,
            when_reason,
            passed: PassedOver::default(),
            latch,
        }
    }

    /// A feed that failed while being read: the rule is skipped if it reads
    /// it, as if it had failed to fetch.
    pub(super) fn skip_if_failed(&mut self, late: &FailedInputs, ctx: &Context) {
        if !matches!(self.status, Status::Active(_)) {
            return;
        }
        if let Some(why) = self.inputs.failure(late, ctx.basket, &Weather::NotNeeded) {
            self.status = Status::Skipped(skipped(&why));
        }
    }
}

/// The `--explain` detail of a skipped rule.
fn skipped(why: &str) -> String {
    format!("skipped: {why}")
}

/// Decides whether the rule runs at all this time, and sets up its work; with
/// the reason its `when` holds, if it has one.
fn prepare<'a>(
    rule: &'a Rule,
    inputs: &Inputs,
    ctx: &Context,
) -> Result<(Option<String>, Work<'a>), Skip> {
    if !rule.enabled {
        return Err(Skip::Idle("disabled".into()));
    }
    if let Some(why) = inputs.failure(ctx.failed, ctx.basket, &ctx.weather) {
        return Err(Skip::Skipped(skipped(&why)));
    }
    let when_reason = match &rule.when {
        Some(when) => Some(when_holds(when, ctx)?),
        None => None,
    };
    let work = Work::prepare(rule, ctx).map_err(Skip::Idle)?;
    Ok((when_reason, work))
}

/// The reason the `when` holds, or why the rule does not run. (A failed
/// forecast skipped the rule before: see `Inputs`.)
fn when_holds(when: &Condition, ctx: &Context) -> Result<String, Skip> {
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
