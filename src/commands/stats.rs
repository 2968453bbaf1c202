//! `basket stats`: spend, savings, rules' records and products' rhythms,
//! computed by [`crate::stats`] from the purchases, decisions and history.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Context as _;

use crate::cli::{ListFormat, StatsBy};
use crate::context::Context;
use crate::error::CmdResult;
use crate::model::Origin;
use crate::output;
use crate::stats::{start_of, Inputs, Stats};
use crate::store::Store;

pub fn run(
    ctx: &Context,
    since: Option<chrono::NaiveDate>,
    by: StatsBy,
    format: ListFormat,
) -> CmdResult {
    let store = Store::open(&ctx.data_dir)?;
    let from = since.map(start_of);
    let purchases = store.purchases(from)?;
    // The history of what the rules bought, for "the highest price before".
    let mut history = HashMap::new();
    for p in purchases.iter().filter(|p| p.added_by != Origin::Manual) {
        let key = p.product.key();
        if let std::collections::hash_map::Entry::Vacant(e) = history.entry(key) {
            let points = store.observations_of(e.key())?;
            e.insert(points);
        }
    }
    let stats = Stats::compute(Inputs {
        since,
        by,
        purchases: &purchases,
        rules: store.rule_records(from, &purchases)?,
        history: &history,
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match format {
        ListFormat::Json => serde_json::to_writer_pretty(&mut out, &stats)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        ListFormat::Csv => output::stats::write_csv(&mut out, &stats),
        ListFormat::Table => {
            output::stats::write_table(&mut out, &stats, output::table::table_width())
        }
    };
    written.context("cannot write the stats")?;
    Ok(())
}
