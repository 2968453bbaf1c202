//! `basket review`: decide on what earlier non-interactive runs left pending.

use crate::check::{budget_left_for, decide_all};
use crate::cli::CheckFormat;
use crate::context::Context;
use crate::error::CmdResult;
use crate::output::prompt::TerminalApprover;
use crate::output::report::{self, CheckReport};
use crate::store::Store;

pub fn run(ctx: &Context) -> CmdResult {
    let mut store = Store::open(&ctx.data_dir)?;
    // Decisions must not interleave with a check that is applying its own: wait
    // for a running one (cron's, say) rather than refuse.
    let _lock = match crate::lock::acquire(&ctx.data_dir, false) {
        Ok(lock) => lock,
        Err(crate::lock::LockError::Held { pid }) => {
            ctx.warn(&format!(
                "waiting for the running basket check (pid {pid}) to finish"
            ));
            crate::lock::acquire(&ctx.data_dir, true)?
        }
        Err(e) => return Err(e.into()),
    };
    let mut pending = store.pending()?;
    if pending.is_empty() {
        println!("Nothing to review.");
        return Ok(());
    }
    report::print(
        ctx,
        &CheckReport::new(&pending, &[], Vec::new(), Vec::new(), None),
        CheckFormat::Table,
    )?;
    if !ctx.interactive {
        ctx.warn(
            "not a terminal: nothing was decided; run `basket review` in a terminal to decide",
        );
        return Ok(());
    }
    // The budget needs the rules; review still works when they are broken.
    let left = match ctx.load_rules() {
        Ok(set) => budget_left_for(&store, &set)?,
        Err(_) => None,
    };
    let mut approver = TerminalApprover::new(ctx.color);
    decide_all(ctx, &mut store, &mut pending, &mut approver, left)
}
