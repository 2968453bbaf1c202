//! Decide: who answers each proposal (a person at the prompt, `--yes`, or
//! nobody: pending for `basket review`), and applying each answer.

use anyhow::Context as _;

use crate::cli::CheckFormat;
use crate::context::Context;
use crate::error::{CmdResult, Failure};
use crate::model::{Proposal, ProposalStatus};
use crate::output::prompt::{Approver, Choice};
use crate::rules::RuleSet;
use crate::store::Store;

/// How the proposals get decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Show only; store nothing.
    DryRun,
    /// Store as pending for `basket review` (cron).
    NoInput,
    /// Approve all within budget.
    Yes,
    /// Ask at the terminal.
    Ask,
}

impl Mode {
    pub fn choose(
        ctx: &Context,
        no_input: bool,
        yes: bool,
        dry_run: bool,
        format: CheckFormat,
    ) -> Mode {
        if dry_run {
            Mode::DryRun
        } else if yes {
            Mode::Yes
        } else if no_input || !ctx.interactive || format != CheckFormat::Table {
            // Machine-readable output never waits on a prompt.
            Mode::NoInput
        } else {
            Mode::Ask
        }
    }
}

/// Asks about each undecided proposal and applies each answer in its own
/// transaction, so an interruption keeps exactly the decisions taken so far.
pub fn decide_all(
    ctx: &Context,
    store: &mut Store,
    proposals: &mut [Proposal],
    approver: &mut dyn Approver,
    budget_left: Option<rust_decimal::Decimal>,
) -> CmdResult {
    let open: Vec<usize> = (0..proposals.len())
        .filter(|&i| {
            matches!(
                proposals[i].status,
                ProposalStatus::New | ProposalStatus::Pending
            )
        })
        .collect();
    let total = open.len();
    let (mut approved, mut declined, mut skipped) = (0, 0, 0);
    // Within one run, approvals add up against the budget.
    let mut spent = rust_decimal::Decimal::ZERO;
    for (n, &i) in open.iter().enumerate() {
        let p = &mut proposals[i];
        if let (Some(left), Some(delta)) = (budget_left.as_ref(), p.cost_delta()) {
            if delta > rust_decimal::Decimal::ZERO && spent + delta > *left {
                p.over_budget = true;
            }
        }
        let choice = approver
            .ask(p, n + 1, total)
            .context("cannot read the answer from the terminal")?;
        match choice {
            Choice::Approve => {
                store.apply_decision(p, true, ctx.now)?;
                p.status = ProposalStatus::Approved;
                spent += p
                    .cost_delta()
                    .unwrap_or_default()
                    .max(rust_decimal::Decimal::ZERO);
                approved += 1;
            }
            Choice::Decline => {
                store.apply_decision(p, false, ctx.now)?;
                p.status = ProposalStatus::Declined;
                declined += 1;
            }
            Choice::Skip => skipped += 1,
            Choice::Stop => {
                skipped += total - n;
                break;
            }
        }
    }
    if total > 0 && !ctx.quiet {
        eprintln!(
            "{approved} approved, {declined} declined, {skipped} left pending{}",
            if skipped > 0 { " (basket review)" } else { "" }
        );
    }
    Ok(())
}

/// What the budget still allows, in the settings currency, if a budget is set.
pub fn budget_left_for(
    store: &Store,
    ruleset: &RuleSet,
) -> Result<Option<rust_decimal::Decimal>, Failure> {
    let Some(budget) = ruleset.settings.budget else {
        return Ok(None);
    };
    let totals = store.totals()?;
    let spent = totals
        .get(&ruleset.settings.currency)
        .copied()
        .unwrap_or_default();
    Ok(Some(budget - spent))
}
