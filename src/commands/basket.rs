//! `basket add`, `basket remove`, `basket clear`: changing the basket by hand.
//! Hand changes are recorded in the history like rule decisions, as rule "manual".

use crate::check;
use crate::context::Context;
use crate::error::{CmdResult, Failure};
use crate::model::{normalize_gtin, ActionKind, Origin, Product, Proposal, ProposalStatus};
use crate::store::Store;
use crate::{text, ui};

pub fn add(ctx: &Context, query: &str, quantity: u32, offline: bool) -> CmdResult {
    let ruleset = ctx.load_rules()?;
    if ruleset.feeds.is_empty() {
        return Err(
            Failure::usage("no feeds in the rules file to look the product up in")
                .with_hint("add a [feeds.NAME] table with kind and url"),
        );
    }
    let mut store = Store::open(&ctx.data_dir)?;
    let gathered = check::gather(ctx, &ruleset, offline, false)?;
    for w in &gathered.warnings {
        ctx.warn(w);
    }
    let mut found: Vec<Product> = Vec::new();
    for body in &gathered.bodies {
        let result = body.parse(ctx.now, &mut |p| {
            if matches_query(&p, query) {
                found.push(p);
            }
        });
        match result {
            Ok(report) => {
                if let Some(w) = report.warning() {
                    ctx.warn(&w);
                }
            }
            Err(e) => ctx.warn(&format!("feed '{}': {e}", body.source.name)),
        }
    }
    let product = match found.len() {
        0 => return Err(
            Failure::failed(format!("no product in the feeds matches \"{query}\"")).with_hint(
                "try fewer words, a barcode, or feed/id as shown by `basket check --format json`",
            ),
        ),
        1 => found.into_iter().next(),
        n if ctx.interactive => {
            let pick = ui::pick_product(&found, ctx.color).map_err(anyhow::Error::from)?;
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
    let proposal = manual(ActionKind::Add, product, quantity);
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
    let proposal = manual(ActionKind::Remove, target.product.clone(), target.quantity);
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
        if !ui::confirm(&question, ctx.color).map_err(anyhow::Error::from)? {
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

fn manual(action: ActionKind, product: Product, quantity: u32) -> Proposal {
    Proposal {
        id: Proposal::stable_id(Origin::MANUAL, action, &product.key(), None),
        rule: Origin::MANUAL.to_string(),
        action,
        product,
        quantity,
        replaces: None,
        reason: "by hand".into(),
        status: ProposalStatus::New,
        over_budget: false,
    }
}

/// `feed/id`, an id, a barcode, or every word in the name.
fn matches_query(p: &Product, query: &str) -> bool {
    let q = query.trim();
    if p.key().to_string() == q || p.id == q {
        return true;
    }
    if let (Some(g), Some(pg)) = (normalize_gtin(q), p.gtin14()) {
        return g == pg;
    }
    let want = text::words(q);
    let have = text::words(&p.name);
    !want.is_empty() && want.iter().all(|w| have.contains(w))
}
