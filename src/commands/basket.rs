//! `basket add`, `basket remove`, `basket clear`: changing the basket by hand.
//! Hand changes are recorded in the history like rule decisions, as rule "manual".

use crate::check;
use crate::context::Context;
use crate::error::{CmdResult, Failure};
use crate::model::{ActionKind, Proposal};
use crate::output::prompt;
use crate::store::Store;

pub fn add(ctx: &Context, query: &str, quantity: u32, offline: bool) -> CmdResult {
    let ruleset = ctx.load_rules()?;
    if ruleset.feeds.is_empty() {
        return Err(
            Failure::usage("no feeds in the rules file to look the product up in")
                .with_hint("add a [feeds.NAME] table with kind and url"),
        );
    }
    let mut store = Store::open(&ctx.data_dir)?;
    let found = check::find_in_feeds(ctx, &ruleset, query, offline)?;
    let product = match found.len() {
        0 => return Err(
            Failure::failed(format!("no product in the feeds matches \"{query}\"")).with_hint(
                "try fewer words, a barcode, or feed/id as shown by `basket check --format json`",
            ),
        ),
        1 => found.into_iter().next(),
        n if ctx.interactive => {
            let pick = prompt::pick_product(&found, ctx.color).map_err(anyhow::Error::from)?;
            pick.and_then(|i| found.into_iter().nth(i)).or_else(|| {
                eprintln!("nothing added ({n} matches, none picked)");
                None
            })
        }
        n => {
            let shown: Vec<String> = found
                .iter()
                .take(5)
                .map(|p| format!("{} ({}, {})", p.key(), p.name, p.price_text()))
                .collect();
            return Err(Failure::usage(format!(
                "\"{query}\" matches {n} products: {}{}",
                shown.join("; "),
                if n > 5 { "; ..." } else { "" }
            ))
            .with_hint("name one of them as feed/id"));
        }
    };
    let Some(product) = product else {
        return Ok(());
    };
    let proposal = Proposal::by_hand(ActionKind::Add, product, quantity);
    store.apply_decision(&proposal, true, ctx.now)?;
    if !ctx.quiet {
        // A product already in the basket gets the quantity added: say what
        // the line holds now, so the shopper is not left guessing.
        let key = proposal.product.key();
        let now_held = store
            .basket()?
            .iter()
            .find(|i| i.product.key() == key)
            .map_or(quantity, |i| i.quantity);
        let total = if now_held > quantity {
            format!("; {now_held} in the basket now")
        } else {
            String::new()
        };
        println!(
            "added {} × {} ({}){total}",
            quantity,
            proposal.product.name,
            proposal.product.price_text()
        );
    }
    Ok(())
}

pub fn remove(ctx: &Context, item: &str) -> CmdResult {
    let mut store = Store::open(&ctx.data_dir)?;
    let found = store.find_items(item)?;
    let target = match found.len() {
        0 => {
            return Err(
                Failure::failed(format!("no basket item matches \"{item}\""))
                    .with_hint("`basket list` shows the items and their feed/id"),
            )
        }
        1 => &found[0],
        n => {
            let shown: Vec<String> = found
                .iter()
                .map(|i| format!("{} ({})", i.product.key(), i.product.name))
                .collect();
            return Err(Failure::usage(format!(
                "\"{item}\" matches {n} items: {}",
                shown.join("; ")
            ))
            .with_hint("name one of them as feed/id"));
        }
    };
    let proposal = Proposal::by_hand(ActionKind::Remove, target.product.clone(), target.quantity);
    store.apply_decision(&proposal, true, ctx.now)?;
    if !ctx.quiet {
        println!("removed {}", target.product.name);
    }
    Ok(())
}

pub fn clear(ctx: &Context, yes: bool) -> CmdResult {
    let mut store = Store::open(&ctx.data_dir)?;
    let n = store.basket()?.len();
    if n == 0 {
        println!("The basket is already empty.");
        return Ok(());
    }
    if !yes {
        if !ctx.interactive {
            return Err(
                Failure::usage(format!("not clearing {n} items without confirmation"))
                    .with_hint("pass --yes to clear without a terminal"),
            );
        }
        let question = format!("Remove all {n} items from the basket?");
        if !prompt::confirm(&question, ctx.color).map_err(anyhow::Error::from)? {
            println!("Nothing removed.");
            return Ok(());
        }
    }
    let removed = store.clear()?;
    if !ctx.quiet {
        println!(
            "removed {removed} item{}",
            if removed == 1 { "" } else { "s" }
        );
    }
    Ok(())
}
