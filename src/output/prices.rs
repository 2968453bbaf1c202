//! One product's price history as `basket prices` shows it: a table with a
//! chart under it, or JSON or CSV.

use std::io::Write;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::cli::ListFormat;
use crate::model::{money, Availability, Observation, ProductKey};
use crate::output::chart::{render_history_chart, ChartPoint};
use crate::output::format::amount;
use crate::output::table::{table_width, Table};

/// Rows of the chart's plot.
const CHART_HEIGHT: usize = 8;
/// The chart is as wide as the terminal, up to this.
const MAX_CHART_WIDTH: usize = 120;

#[derive(Serialize)]
struct ProductView<'a> {
    feed: &'a str,
    id: &'a str,
    gtin: Option<&'a str>,
    name: &'a str,
}

#[derive(Serialize)]
struct ObservationView<'a> {
    at: String,
    price: Option<String>,
    regular_price: Option<String>,
    currency: Option<&'a str>,
    availability: Option<&'static str>,
}

#[derive(Serialize)]
struct PricesView<'a> {
    product: ProductView<'a>,
    /// The latest observation's currency: what min, max and current are in.
    currency: Option<&'a str>,
    observations: Vec<ObservationView<'a>>,
    min: Option<String>,
    max: Option<String>,
    current: Option<String>,
}

/// The lowest and highest price in the chart's currency, each with when it was
/// first seen, and the current (latest known) price.
struct Summary<'a> {
    currency: Option<&'a str>,
    min: Option<(Decimal, DateTime<Utc>)>,
    max: Option<(Decimal, DateTime<Utc>)>,
    current: Option<Decimal>,
}

fn summarize(observations: &[Observation]) -> Summary<'_> {
    let currency = observations.last().and_then(|o| o.currency.as_deref());
    let mut s = Summary {
        currency,
        min: None,
        max: None,
        current: None,
    };
    for o in in_currency(observations, currency) {
        let Some(p) = o.price else { continue };
        if s.min.is_none_or(|(m, _)| p < m) {
            s.min = Some((p, o.at));
        }
        if s.max.is_none_or(|(m, _)| p > m) {
            s.max = Some((p, o.at));
        }
    }
    s.current = observations.last().and_then(|o| o.price);
    s
}

/// The observations priced in `currency`: a history that moved between
/// currencies charts only the latest one's.
fn in_currency<'a>(
    observations: &'a [Observation],
    currency: Option<&'a str>,
) -> impl Iterator<Item = &'a Observation> {
    observations
        .iter()
        .filter(move |o| o.currency.as_deref() == currency)
}

/// Prints one product's price history in `format`; `now` ends the chart's
/// last step.
pub fn print(
    key: &ProductKey,
    observations: &[Observation],
    format: ListFormat,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match format {
        ListFormat::Json => write_json(&mut out, key, observations),
        ListFormat::Csv => write_csv(&mut out, observations),
        ListFormat::Table => write_table(&mut out, now, key, observations),
    };
    written.context("cannot write the price history")
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn write_json(
    out: &mut impl Write,
    key: &ProductKey,
    observations: &[Observation],
) -> anyhow::Result<()> {
    let latest = observations.last();
    let summary = summarize(observations);
    let view = PricesView {
        product: ProductView {
            feed: &key.feed,
            id: &key.id,
            gtin: latest.and_then(|o| o.gtin.as_deref()),
            name: latest.map_or("", |o| o.name.as_str()),
        },
        currency: summary.currency,
        observations: observations
            .iter()
            .map(|o| ObservationView {
                at: stamp(o.at),
                price: o.price.map(money),
                regular_price: o.regular_price.map(money),
                currency: o.currency.as_deref(),
                availability: o.availability.map(Availability::as_str),
            })
            .collect(),
        min: summary.min.map(|(p, _)| money(p)),
        max: summary.max.map(|(p, _)| money(p)),
        current: summary.current.map(money),
    };
    serde_json::to_writer_pretty(&mut *out, &view)?;
    writeln!(out)?;
    Ok(())
}

fn write_csv(out: &mut impl Write, observations: &[Observation]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["at", "price", "regular_price", "currency", "availability"])?;
    for o in observations {
        w.write_record([
            stamp(o.at),
            o.price.map(money).unwrap_or_default(),
            o.regular_price.map(money).unwrap_or_default(),
            o.currency.clone().unwrap_or_default(),
            o.availability
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// `in stock`, `out of stock`: the table is read by people.
fn availability_text(a: Option<Availability>) -> String {
    a.map_or_else(|| "-".to_string(), |a| a.as_str().replace('_', " "))
}

fn write_table(
    out: &mut impl Write,
    now: DateTime<Utc>,
    key: &ProductKey,
    observations: &[Observation],
) -> anyhow::Result<()> {
    let width = table_width();
    let name = observations.last().map_or("", |o| o.name.as_str());
    writeln!(out, "{name} ({key})")?;
    let mut t = Table::new(width);
    t.set_header(vec![
        "when",
        "price",
        "regular price",
        "currency",
        "availability",
    ]);
    for o in observations {
        t.add_row(vec![
            o.at.format("%Y-%m-%d %H:%M").to_string(),
            o.price.map(money).unwrap_or_else(|| "-".into()),
            o.regular_price.map(money).unwrap_or_else(|| "-".into()),
            o.currency.clone().unwrap_or_else(|| "-".into()),
            availability_text(o.availability),
        ]);
    }
    writeln!(out, "{t}")?;

    let summary = summarize(observations);
    let mut points: Vec<ChartPoint> = in_currency(observations, summary.currency)
        .map(|o| ChartPoint {
            at: o.at,
            price: o.price,
            out_of_stock: o.availability == Some(Availability::OutOfStock),
        })
        .collect();
    // The latest state holds until now: stored points are changes only.
    if let Some(&last) = points.last() {
        if now > last.at {
            points.push(ChartPoint { at: now, ..last });
        }
    }
    if points.iter().all(|p| p.price.is_none()) {
        writeln!(out, "no prices to chart")?;
        return Ok(());
    }
    let chart_width = width.map_or(80, usize::from).min(MAX_CHART_WIDTH);
    writeln!(out)?;
    write!(
        out,
        "{}",
        render_history_chart(&points, chart_width, CHART_HEIGHT)
    )?;
    let amount = |p: Decimal| amount(p, summary.currency);
    let day = |at: DateTime<Utc>| at.format("%Y-%m-%d").to_string();
    let mut legend = Vec::new();
    let out_of_stock =
        observations.last().and_then(|o| o.availability) == Some(Availability::OutOfStock);
    match (summary.min, summary.max) {
        (Some((lo, since)), Some((hi, _))) if lo == hi => {
            legend.push(format!("unchanged at {} since {}", amount(lo), day(since)));
        }
        (min, max) => {
            if let Some((p, at)) = min {
                legend.push(format!("min {} ({})", amount(p), day(at)));
            }
            if let Some((p, at)) = max {
                legend.push(format!("max {} ({})", amount(p), day(at)));
            }
            if let (Some(p), false) = (summary.current, out_of_stock) {
                legend.push(format!("now {}", amount(p)));
            }
        }
    }
    if out_of_stock {
        legend.push(match summary.current {
            Some(p) => format!("now {}, out of stock", amount(p)),
            None => "now out of stock".to_string(),
        });
    }
    writeln!(out, "{}", legend.join(" · "))?;
    Ok(())
}
