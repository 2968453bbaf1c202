//! The check pipeline, shared by `basket check`, `basket demo`, `review` and
//! `add`: gather (fetch the feeds and the forecast) -> enrich (facts, price
//! history) -> evaluate (the pure engine over the product stream) -> decide
//! (prompt, `--yes`, or pending) -> persist (pending, history, outbox).
//! Commands call into it; it never prints a table itself but through
//! [`crate::report`].

mod decide;
mod enrich;
mod evaluate;
mod gather;
mod lookup;
mod persist;
mod stores;

use crate::cli::CheckFormat;
use crate::context::Context;
use crate::error::{CmdResult, Failure};
use crate::model::{Proposal, ProposalStatus};
use crate::output::prompt::{ApproveAll, TerminalApprover};
use crate::output::report::{self, CheckReport};
use crate::rules::RuleSet;
use crate::store::Store;

pub use decide::{budget_left_for, decide_all, Mode};
pub use enrich::enrich;
pub use gather::{collect, fetcher, gather, Forecasting, Gathered};
pub use lookup::find_in_feeds;
pub use persist::send_queued;
pub use stores::{inventory_of, LocalInventory};

/// How one check runs: who decides, what it prints, whether it notifies.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub mode: Mode,
    pub format: CheckFormat,
    pub explain: bool,
    pub notify: bool,
}

/// Evaluates, reports, asks or stores, and applies. Returns how many proposals
/// are left undecided.
pub fn run(
    ctx: &Context,
    ruleset: &RuleSet,
    store: &mut Store,
    gathered: Gathered,
    how: &Run,
) -> Result<usize, Failure> {
    let Run {
        mode,
        format,
        explain,
        notify,
    } = *how;
    let evaluate::Evaluated {
        mut outcome,
        failed,
        mut warnings,
        history_written,
        listed,
    } = evaluate::evaluate(ctx, ruleset, store, gathered, mode != Mode::DryRun)?;
    let mut proposals = std::mem::take(&mut outcome.proposals);

    if mode != Mode::DryRun {
        persist::remember(
            ctx,
            store,
            ruleset,
            &proposals,
            &outcome.explanations,
            &failed,
        )?;
        persist::record_history(
            ctx,
            store,
            ruleset,
            &failed,
            &outcome,
            history_written,
            &listed,
        )?;
        // The digest tells about proposals left for later; at a terminal the
        // shopper decides them now, so only a no-input run mails them.
        let digest_proposals: &[Proposal] = if mode == Mode::NoInput {
            &proposals
        } else {
            &[]
        };
        persist::queue_notifications(
            ctx,
            store,
            ruleset,
            &outcome.notifications,
            digest_proposals,
            notify,
        )?;
        if notify {
            warnings.extend(send_queued(ctx, store, ruleset)?);
        }
    }

    let explanations = explain.then(|| outcome.explanations.clone());
    let show = |proposals: &[Proposal]| {
        CheckReport::new(
            proposals,
            &outcome.notifications,
            outcome.notices.clone(),
            warnings.clone(),
            explanations.clone(),
        )
    };

    match mode {
        Mode::Ask => {
            report::print(ctx, &show(&proposals), CheckFormat::Table)?;
            let mut approver = TerminalApprover::new(ctx.color);
            let left = budget_left_for(store, ruleset)?;
            decide_all(ctx, store, &mut proposals, &mut approver, left)?;
        }
        Mode::Yes => {
            let mut approver = ApproveAll;
            let left = budget_left_for(store, ruleset)?;
            decide_all(ctx, store, &mut proposals, &mut approver, left)?;
            report::print(ctx, &show(&proposals), format)?;
        }
        Mode::NoInput | Mode::DryRun => {
            report::print(ctx, &show(&proposals), format)?;
        }
    }
    Ok(proposals
        .iter()
        .filter(|p| matches!(p.status, ProposalStatus::New | ProposalStatus::Pending))
        .count())
}

/// Nothing can be judged when every catalog feed failed: the warnings say why
/// each did, and the run fails with the basket unchanged.
pub fn ensure_some_feed_answered(
    ctx: &Context,
    warnings: &[String],
    failed: usize,
    catalog_count: usize,
) -> CmdResult {
    if catalog_count == 0 || failed < catalog_count {
        return Ok(());
    }
    for w in warnings {
        ctx.warn(w);
    }
    Err(Failure::failed(format!(
        "every feed failed ({failed} of {catalog_count}); nothing was evaluated and the basket is unchanged"
    ))
    .with_hint("check the feed URLs in the rules file and your connection, then run again"))
}
