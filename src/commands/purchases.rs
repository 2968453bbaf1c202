//! `basket purchases`: what each checkout recorded, oldest first.

use std::io::Write;

use anyhow::Context as _;

use crate::cli::ListFormat;
use crate::context::Context;
use crate::error::CmdResult;
use crate::output;
use crate::stats::start_of;
use crate::store::Store;

pub fn run(ctx: &Context, since: Option<chrono::NaiveDate>, format: ListFormat) -> CmdResult {
    let store = Store::open(&ctx.data_dir)?;
    let purchases = store.purchases(since.map(start_of))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match format {
        ListFormat::Json => serde_json::to_writer_pretty(&mut out, &purchases)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        ListFormat::Csv => output::stats::write_purchases_csv(&mut out, &purchases),
        ListFormat::Table => {
            output::stats::write_purchases_table(&mut out, &purchases, output::table::table_width())
        }
    };
    written.context("cannot write the purchases")?;
    Ok(())
}
