//! `basket history`: the decisions taken, newest first.

use crate::cli::ListFormat;
use crate::context::Context;
use crate::error::CmdResult;
use crate::output;
use crate::store::Store;

pub fn run(
    ctx: &Context,
    limit: usize,
    format: ListFormat,
    rule: Option<&str>,
    product: Option<&str>,
) -> CmdResult {
    let store = Store::open(&ctx.data_dir)?;
    let filtered = rule.is_some() || product.is_some();
    let records = if filtered {
        store.history_filtered(limit, rule, product)?
    } else {
        store.history(limit)?
    };
    output::history::print(&records, filtered, format)?;
    Ok(())
}
