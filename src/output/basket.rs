//! The basket as `basket list` shows it: a table with a total per currency,
//! JSON (`{"items": [...], "totals": {...}}`) or CSV.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context as _;
use serde::Serialize;

use crate::cli::ListFormat;
use crate::model::{money, BasketItem};
use crate::output::format::amount;
use crate::output::table::{table_width, Table};

#[derive(Serialize)]
struct ItemView<'a> {
    feed: &'a str,
    id: &'a str,
    gtin: Option<&'a str>,
    name: &'a str,
    brand: Option<&'a str>,
    price: Option<String>,
    currency: Option<&'a str>,
    quantity: u32,
    added_by: &'a str,
    added_at: String,
}

impl<'a> From<&'a BasketItem> for ItemView<'a> {
    fn from(i: &'a BasketItem) -> Self {
        ItemView {
            feed: &i.product.feed,
            id: &i.product.id,
            gtin: i.product.gtin.as_deref(),
            name: &i.product.name,
            brand: i.product.brand.as_deref(),
            price: i.product.price.map(money),
            currency: i.product.currency.as_deref(),
            quantity: i.quantity,
            added_by: i.added_by.as_str(),
            added_at: i
                .added_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

#[derive(Serialize)]
struct ListView<'a> {
    items: Vec<ItemView<'a>>,
    totals: BTreeMap<String, String>,
}

/// Prints the basket in `format`, with a total per currency.
pub fn print(items: &[BasketItem], format: ListFormat) -> anyhow::Result<()> {
    // From the items already read, rather than a second pass over the store.
    let mut totals: BTreeMap<String, rust_decimal::Decimal> = BTreeMap::new();
    for i in items {
        if let (Some(price), Some(currency)) = (i.product.price, &i.product.currency) {
            *totals.entry(currency.clone()).or_default() +=
                price * rust_decimal::Decimal::from(i.quantity);
        }
    }
    // The machine-readable view, built only for the formats that print it.
    let view = || ListView {
        items: items.iter().map(ItemView::from).collect(),
        totals: totals.iter().map(|(c, a)| (c.clone(), money(*a))).collect(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &view()).context("cannot write the basket")?;
            writeln!(out).context("cannot write the basket")?;
        }
        ListFormat::Csv => {
            let view = view();
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "feed", "id", "gtin", "name", "brand", "price", "currency", "quantity", "added_by",
                "added_at",
            ])
            .context("cannot write the basket")?;
            for i in &view.items {
                w.write_record([
                    i.feed,
                    i.id,
                    i.gtin.unwrap_or(""),
                    i.name,
                    i.brand.unwrap_or(""),
                    i.price.as_deref().unwrap_or(""),
                    i.currency.unwrap_or(""),
                    &i.quantity.to_string(),
                    i.added_by,
                    &i.added_at,
                ])
                .context("cannot write the basket")?;
            }
            w.flush().context("cannot write the basket")?;
        }
        ListFormat::Table => {
            if items.is_empty() {
                writeln!(out, "The basket is empty.").context("cannot write the basket")?;
                return Ok(());
            }
            let mut t = Table::new(table_width());
            t.set_header(vec![
                "product", "brand", "price", "qty", "added by", "feed/id",
            ]);
            for i in items {
                t.add_row([
                    i.product.name.as_str(),
                    i.product.brand.as_deref().unwrap_or_default(),
                    &i.product.price_with_unit_text(),
                    &i.quantity.to_string(),
                    i.added_by.as_str(),
                    &i.product.key().to_string(),
                ]);
            }
            writeln!(out, "{t}").context("cannot write the basket")?;
            for (currency, total) in &totals {
                writeln!(out, "total: {}", amount(*total, Some(currency)))
                    .context("cannot write the basket")?;
            }
        }
    }
    Ok(())
}
