//! `basket check`: fetch, evaluate, show, decide (the pipeline is
//! [`crate::check`]); this is the glue of the live run: the lock, the flags.

use crate::check::{self, Mode, Run};
use crate::cli::{CheckArgs, CheckFormat};
use crate::context::Context;
use crate::error::CmdResult;
use crate::store::Store;

pub fn run(ctx: &Context, args: &CheckArgs) -> CmdResult {
    let ruleset = ctx.load_rules()?;
    let mut store = Store::open(&ctx.data_dir)?;
    // One check at a time: a cron run and an interactive one must not both
    // apply the same proposals. A dry run changes nothing and needs no lock.
    let _lock = if args.dry_run {
        None
    } else {
        Some(crate::lock::acquire(&ctx.data_dir, args.wait)?)
    };
    if args.notify && ruleset.notify.channels().is_empty() {
        ctx.warn("--notify: no [notify.*] channel in the rules file; nothing will be sent");
    }
    let mut gathered = check::gather(ctx, &ruleset, args.offline, true)?;
    check::ensure_some_feed_answered(
        ctx,
        &gathered.warnings,
        gathered.failed.catalog_count(),
        ruleset.catalog_feeds().len(),
    )?;
    check::enrich(
        ctx,
        &ruleset,
        &mut store,
        &mut gathered,
        args.offline,
        !args.dry_run,
    )?;
    let mode = Mode::choose(ctx, args.no_input, args.yes, args.dry_run, args.format);
    let how = Run {
        mode,
        format: args.format,
        explain: args.explain,
        notify: args.notify,
    };
    let open = check::run(ctx, &ruleset, &mut store, gathered, &how)?;
    if mode == Mode::NoInput && args.format == CheckFormat::Table && open > 0 {
        ctx.warn("not asking (no terminal, or --no-input): the proposals are pending; run `basket review` to decide");
    }
    Ok(())
}
