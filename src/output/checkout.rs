//! `basket checkout`'s review as a table, a Markdown shopping list or CSV
//! (JSON is the [`Review`] itself).

use std::io::{self, Write};

use crate::checkout::{Review, ReviewLine};
use crate::model::money;
use crate::output;
use crate::output::table::Table;

/// The table: one per shop, each with its total, then the totals, the
/// budget left and the links to buy from.
pub fn write_table(out: &mut impl Write, review: &Review, width: Option<u16>) -> io::Result<()> {
    for (n, shop) in review.shops.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{}", shop.shop)?;
        let mut t = Table::new(width);
        t.set_header(["product", "qty", "price", "total", "note"]);
        for l in &shop.lines {
            t.add_row([
                l.name.clone(),
                l.quantity.to_string(),
                price(l),
                l.total
                    .map(|x| output::format::amount(x, l.currency.as_deref()))
                    .unwrap_or_default(),
                note(l),
            ]);
        }
        writeln!(out, "{t}")?;
        for (currency, total) in &shop.totals {
            writeln!(
                out,
                "{} total: {}",
                shop.shop,
                output::format::amount(*total, Some(currency))
            )?;
        }
        for l in shop.lines.iter().filter(|l| l.url.is_some()) {
            writeln!(
                out,
                "  {}: {}",
                l.name,
                l.url.as_deref().unwrap_or_default()
            )?;
        }
    }
    writeln!(out)?;
    write_footer(out, review)
}

/// A Markdown shopping list: a heading per shop, a box to tick per line.
pub fn write_markdown(out: &mut impl Write, review: &Review) -> io::Result<()> {
    writeln!(out, "# Shopping list")?;
    for shop in &review.shops {
        writeln!(out)?;
        writeln!(out, "## {}", shop.shop)?;
        writeln!(out)?;
        for l in &shop.lines {
            let name = match &l.url {
                Some(url) => format!("[{}]({url})", escape_md(&l.name)),
                None => escape_md(&l.name),
            };
            let mut text = format!("- [ ] {} × {name} — {}", l.quantity, price(l));
            let note = note(l);
            if !note.is_empty() {
                text.push_str(&format!(" ({note})"));
            }
            writeln!(out, "{text}")?;
        }
        for (currency, total) in &shop.totals {
            writeln!(out)?;
            writeln!(
                out,
                "Total: {}",
                output::format::amount(*total, Some(currency))
            )?;
        }
    }
    writeln!(out)?;
    write_footer(out, review)
}

/// One row per line, for a spreadsheet.
pub fn write_csv(out: &mut impl Write, review: &Review) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "shop",
        "id",
        "name",
        "quantity",
        "price",
        "currency",
        "total",
        "price_when_added",
        "marks",
        "url",
        "added_by",
    ])?;
    for shop in &review.shops {
        for l in &shop.lines {
            let marks: Vec<&str> = l.marks.iter().map(|m| m.text()).collect();
            w.write_record([
                shop.shop.as_str(),
                &l.id,
                &l.name,
                &l.quantity.to_string(),
                &l.price.map(money).unwrap_or_default(),
                l.currency.as_deref().unwrap_or_default(),
                &l.total.map(money).unwrap_or_default(),
                &l.price_when_added.map(money).unwrap_or_default(),
                &marks.join("; "),
                l.url.as_deref().unwrap_or_default(),
                l.added_by.as_str(),
            ])?;
        }
    }
    w.flush()
}

/// The totals over every shop and what the budget leaves.
fn write_footer(out: &mut impl Write, review: &Review) -> io::Result<()> {
    for (currency, total) in &review.totals {
        writeln!(
            out,
            "total: {}",
            output::format::amount(*total, Some(currency))
        )?;
    }
    if let Some(b) = &review.budget {
        writeln!(
            out,
            "budget: {}; left after this checkout: {}",
            output::format::amount(b.budget, Some(&b.currency)),
            output::format::amount(b.left, Some(&b.currency))
        )?;
    }
    Ok(())
}

fn price(l: &ReviewLine) -> String {
    match l.price {
        Some(p) => output::format::amount(p, l.currency.as_deref()),
        None => "no price".into(),
    }
}

/// The marks in words; a changed price says what it was.
fn note(l: &ReviewLine) -> String {
    l.marks
        .iter()
        .map(|m| match (m, l.price_when_added) {
            (crate::checkout::Mark::PriceChanged, Some(was)) => {
                format!("was {}", output::format::amount(was, l.currency.as_deref()))
            }
            (m, _) => m.text().to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Product names are feed text: brackets and stars would turn into links
/// and emphasis.
fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '[' | ']' | '*' | '_' | '`' | '<' | '>' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
