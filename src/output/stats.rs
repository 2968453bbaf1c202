//! `basket stats` and `basket purchases` as tables (with a bar chart of the
//! spend) and CSV; JSON is the [`Stats`] value itself.

use std::io::{self, Write};

use crate::cli::StatsBy;
use crate::model::{money, Purchase};
use crate::output;
use crate::output::chart::bar;
use crate::output::table::Table;
use crate::stats::Stats;

/// Cells of the longest bar of the spend chart.
const BAR_WIDTH: usize = 24;

pub fn write_table(out: &mut impl Write, stats: &Stats, width: Option<u16>) -> io::Result<()> {
    let by = match stats.by {
        StatsBy::Month => "month",
        StatsBy::Shop => "shop",
        StatsBy::Category => "category",
        StatsBy::Rule => "rule",
    };
    match stats.since {
        Some(day) => writeln!(out, "Spend by {by} since {day}")?,
        None => writeln!(out, "Spend by {by}")?,
    }
    if stats.spend.is_empty() {
        writeln!(out, "nothing bought yet")?;
    } else {
        let mut t = Table::new(width);
        t.set_header([by, "spent", ""]);
        for s in &stats.spend {
            // Bars compare amounts in one currency only.
            let max = stats
                .spend
                .iter()
                .filter(|o| o.currency == s.currency)
                .map(|o| o.amount)
                .max()
                .unwrap_or_default();
            t.add_row([
                s.key.clone(),
                output::format::amount(s.amount, Some(&s.currency)),
                bar(s.amount, max, BAR_WIDTH),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    let saved = |m: &std::collections::BTreeMap<String, rust_decimal::Decimal>| {
        if m.is_empty() {
            return "nothing".to_string();
        }
        m.iter()
            .map(|(c, a)| output::format::amount(*a, Some(c)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(out)?;
    writeln!(
        out,
        "Saved by the rules: {} against the regular price, {} against the highest price of the 30 days before",
        saved(&stats.saved),
        saved(&stats.saved_vs_30_day_high)
    )?;
    if !stats.rules.is_empty() {
        writeln!(out)?;
        writeln!(out, "Rules")?;
        let mut t = Table::new(width);
        t.set_header([
            "rule", "proposed", "approved", "declined", "pending", "bought",
        ]);
        for r in &stats.rules {
            t.add_row([
                r.rule.clone(),
                r.proposed.to_string(),
                r.approved.to_string(),
                r.declined.to_string(),
                r.pending.to_string(),
                r.bought.to_string(),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    if !stats.products.is_empty() {
        writeln!(out)?;
        writeln!(out, "Products")?;
        let mut t = Table::new(width);
        t.set_header(["product", "bought", "every", "last", "average price"]);
        for p in &stats.products {
            t.add_row([
                p.name.clone(),
                format!("{}×", p.purchases),
                p.every_days
                    .map(|d| format!("{d} days"))
                    .unwrap_or_else(|| "-".into()),
                p.last.get(..10).unwrap_or(&p.last).to_string(),
                p.average_price
                    .map(|a| output::format::amount(a, p.currency.as_deref()))
                    .unwrap_or_default(),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    Ok(())
}

/// The spend and the savings, one row each: `section,key,currency,amount`.
pub fn write_csv(out: &mut impl Write, stats: &Stats) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["section", "key", "currency", "amount"])?;
    for s in &stats.spend {
        w.write_record(["spend", &s.key, &s.currency, &money(s.amount)])?;
    }
    for (section, map) in [
        ("saved", &stats.saved),
        ("saved_vs_30_day_high", &stats.saved_vs_30_day_high),
    ] {
        for (currency, amount) in map {
            w.write_record([section, "", currency, &money(*amount)])?;
        }
    }
    w.flush()
}

/// `basket purchases` as a table.
pub fn write_purchases_table(
    out: &mut impl Write,
    purchases: &[Purchase],
    width: Option<u16>,
) -> io::Result<()> {
    if purchases.is_empty() {
        return writeln!(out, "No purchases yet: `basket checkout` records them.");
    }
    let mut t = Table::new(width);
    t.set_header(["date", "shop", "product", "qty", "price", "added by"]);
    for p in purchases {
        t.add_row([
            p.bought_at.format("%Y-%m-%d %H:%M").to_string(),
            p.product.feed.clone(),
            p.product.name.clone(),
            p.quantity.to_string(),
            p.price
                .map(|x| output::format::amount(x, p.currency.as_deref()))
                .unwrap_or_else(|| "no price".into()),
            p.added_by.to_string(),
        ]);
    }
    writeln!(out, "{t}")
}

/// `basket purchases` as CSV, one row per line bought.
pub fn write_purchases_csv(out: &mut impl Write, purchases: &[Purchase]) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "bought_at",
        "shop",
        "id",
        "name",
        "quantity",
        "price",
        "currency",
        "added_by",
    ])?;
    for p in purchases {
        w.write_record([
            &p.bought_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            &p.product.feed,
            &p.product.id,
            &p.product.name,
            &p.quantity.to_string(),
            &p.price.map(money).unwrap_or_default(),
            p.currency.as_deref().unwrap_or_default(),
            p.added_by.as_str(),
        ])?;
    }
    w.flush()
}
