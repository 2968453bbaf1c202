//! `basket prices QUERY`: one product's stored price history (shown by
//! [`crate::output::prices`]).

use crate::cli::ListFormat;
use crate::context::Context;
use crate::error::{CmdResult, Failure};
use crate::model::ProductKey;
use crate::output::{self, prompt};
use crate::store::Store;

/// Candidates listed when a query matches several products.
const MAX_CANDIDATES: usize = 20;

pub fn run(ctx: &Context, query: &str, format: ListFormat, limit: Option<usize>) -> CmdResult {
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
    output::prices::print(&key, &observations, format, ctx.now)?;
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
