//! The decisions as `basket history` shows them: a table, JSON or CSV.

use std::io::Write;

use anyhow::Context as _;

use crate::cli::ListFormat;
use crate::model::money;
use crate::output::format::amount;
use crate::output::table::{table_width, Table};
use crate::store::DecisionRecord;

/// Prints the decisions; `filtered` says whether `--rule`/`--product` chose
/// them, for what to say when there are none.
pub fn print(records: &[DecisionRecord], filtered: bool, format: ListFormat) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, records).context("cannot write the history")?;
            writeln!(out).context("cannot write the history")?;
        }
        ListFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "decided_at",
                "decision",
                "action",
                "rule",
                "feed",
                "id",
                "product",
                "price",
                "currency",
                "quantity",
            ])
            .context("cannot write the history")?;
            for r in records {
                w.write_record([
                    r.decided_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    decision(r.approved).to_string(),
                    r.action.as_str().to_string(),
                    r.rule.clone(),
                    r.feed.clone(),
                    r.product_id.clone(),
                    r.product_name.clone(),
                    r.price.map(money).unwrap_or_default(),
                    r.currency.clone().unwrap_or_default(),
                    r.quantity.to_string(),
                ])
                .context("cannot write the history")?;
            }
            w.flush().context("cannot write the history")?;
        }
        ListFormat::Table => {
            if records.is_empty() {
                let none = if filtered {
                    "No decisions match."
                } else {
                    "No decisions yet."
                };
                writeln!(out, "{none}").context("cannot write the history")?;
                return Ok(());
            }
            let mut t = Table::new(table_width());
            t.set_header(vec![
                "when", "decision", "action", "product", "price", "rule",
            ]);
            for r in records {
                t.add_row(vec![
                    r.decided_at.format("%Y-%m-%d %H:%M").to_string(),
                    decision(r.approved).to_string(),
                    r.action.as_str().to_string(),
                    r.product_name.clone(),
                    r.price
                        .map(|p| amount(p, r.currency.as_deref()))
                        .unwrap_or_else(|| "-".into()),
                    r.rule.clone(),
                ]);
            }
            writeln!(out, "{t}").context("cannot write the history")?;
        }
    }
    Ok(())
}

fn decision(approved: bool) -> &'static str {
    if approved {
        "approved"
    } else {
        "declined"
    }
}
