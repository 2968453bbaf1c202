//! `basket prices QUERY`: one product's stored price history (shown by
//! [`crate::output::prices`]).

use crate::cli::ListFormat;
use crate::context::Context;
use crate::error::{CmdResult, Failure};
use rust_decimal::Decimal;

use crate::model::{Observation, ProductKey, Size};
use crate::output::{self, prompt};
use crate::store::Store;

/// Candidates listed when a query matches several products.
const MAX_CANDIDATES: usize = 20;

pub fn run(
    ctx: &Context,
    query: &str,
    format: ListFormat,
    limit: Option<usize>,
    per_unit: bool,
) -> CmdResult {
    let store = Store::open(&ctx.data_dir)?;
    let found = store.observed_products(query)?;
    let key =
        match found.len() {
            0 => return Err(Failure::failed(format!("no price history for \"{query}\""))
                .with_hint(
                    "history is kept for the products your rules watch and the basket's items, \
                     from their next `basket check` on; name one as feed/id, by barcode or by \
                     words of its name",
                )),
            1 => found[0].0.clone(),
            n if ctx.interactive && format == ListFormat::Table => {
                let items: Vec<String> = found
                    .iter()
                    .map(|(key, name)| format!("{name} ({key})"))
                    .collect();
                match prompt::pick_line("Which product?", &items, ctx.color)
                    .map_err(anyhow::Error::from)?
                {
                    Some(i) => found[i].0.clone(),
                    None => {
                        eprintln!("nothing shown ({n} matches, none picked)");
                        return Ok(());
                    }
                }
            }
            n => return Err(ambiguous(query, n, &found)),
        };
    let mut observations = store.observations_of(&key)?;
    if let Some(limit) = limit {
        let skip = observations.len().saturating_sub(limit);
        observations.drain(..skip);
    }
    if per_unit {
        to_unit_prices(&mut observations)?;
    }
    output::prices::print(&key, &observations, format, ctx.now)?;
    Ok(())
}

/// `--per-unit`: each price as a price per kg, l or item, with the unit
/// written into the currency (`GBP/kg`), so the table, the chart and the
/// JSON all say what they show. The history keeps no sizes: the size is the
/// one the latest name gives (docs/feeds.md, "Sizes").
fn to_unit_prices(observations: &mut [Observation]) -> Result<(), Failure> {
    let name = observations.last().map_or("", |o| o.name.as_str());
    let Some(size) = Size::from_name(name) else {
        return Err(
            Failure::failed(format!("no size known for '{name}': its name gives none"))
                .with_hint("--per-unit needs a size in the product's name, such as 400g or 1.5L"),
        );
    };
    let per = |p: Option<Decimal>| {
        p.and_then(|p| size.unit_price(p))
            .map(|u| u.amount.round_dp(2))
    };
    for o in observations.iter_mut() {
        let unit = size.unit_price(Decimal::ONE).map(|u| u.per.as_str());
        o.price = per(o.price);
        o.regular_price = per(o.regular_price);
        o.currency = o
            .currency
            .take()
            .map(|c| format!("{c}/{}", unit.unwrap_or("unit")));
    }
    Ok(())
}

/// Exit 2 with the candidates, one a line, so a script can pick one.
fn ambiguous(query: &str, n: usize, found: &[(ProductKey, String)]) -> Failure {
    let mut msg = format!("\"{query}\" matches {n} products with price history:");
    for (key, name) in found.iter().take(MAX_CANDIDATES) {
        msg.push_str(&format!("\n  {key}  {name}"));
    }
    if n > MAX_CANDIDATES {
        msg.push_str(&format!("\n  ... and {} more", n - MAX_CANDIDATES));
    }
    Failure::usage(msg).with_hint("name one of them as feed/id: `basket prices FEED/ID`")
}
