//! `basket list`: the basket, with a total per currency.

use crate::cli::ListFormat;
use crate::context::Context;
use crate::error::CmdResult;
use crate::output;
use crate::store::Store;

pub fn run(ctx: &Context, format: ListFormat) -> CmdResult {
    let store = Store::open(&ctx.data_dir)?;
    output::basket::print(&store.basket()?, format)?;
    Ok(())
}
