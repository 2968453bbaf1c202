//! `basket checkout`: the basket reviewed by shop at the last check's prices
//! ([`crate::checkout`]), confirmed, then moved into the purchases in one
//! transaction ([`Store::checkout`]), re-arming the rules that restock it.

use std::io::Write;

use anyhow::Context as _;

use crate::checkout::Review;
use crate::cli::CheckoutFormat;
use crate::context::Context;
use crate::error::{CmdResult, Failure};
use crate::lock::LockError;
use crate::store::Store;
use crate::{engine, output};

pub fn run(ctx: &Context, shop: Option<&str>, yes: bool, format: CheckoutFormat) -> CmdResult {
    let ruleset = ctx.load_rules()?;
    // A check applying proposals, or a second checkout, must not move the
    // basket under this one.
    let _lock = crate::lock::acquire(&ctx.data_dir, false).map_err(|e| match e {
        LockError::Held { pid } => Failure::failed(format!(
            "another basket run is using the basket (pid {pid})"
        ))
        .with_hint("try again when it has finished"),
        e => e.into(),
    })?;
    let mut store = Store::open(&ctx.data_dir)?;
    let settings = &ruleset.settings;
    let budget = settings.budget.map(|b| (b, settings.currency.as_str()));
    let review = Review::of_store(&store, shop, budget)?;
    if let (Some(shop), true) = (shop, review.is_empty()) {
        let whole = Review::of_store(&store, None, budget)?;
        let shops: Vec<&str> = whole.shops.iter().map(|s| s.shop.as_str()).collect();
        if !shops.is_empty() {
            return Err(
                Failure::usage(format!("no basket line is from shop '{shop}'"))
                    .with_hint(format!("the basket's shops: {}", shops.join(", "))),
            );
        }
    }
    print(&review, format).context("cannot write the checkout")?;
    if review.is_empty() {
        return Ok(());
    }
    let n = review.line_count();
    let lines = format!("{n} line{}", if n == 1 { "" } else { "s" });
    let confirmed = if yes {
        true
    } else if ctx.interactive {
        let question =
            format!("Bought? Record these {lines} as bought and take them out of the basket");
        output::prompt::confirm(&question, ctx.color).map_err(anyhow::Error::from)?
    } else {
        ctx.warn(&format!(
            "not checking out without a terminal: nothing changed; `basket checkout --yes` records these {lines} as bought"
        ));
        return Ok(());
    };
    if !confirmed {
        eprintln!("nothing checked out; the basket is unchanged");
        return Ok(());
    }
    let rearm = engine::rearmed_by_purchase(&ruleset, &store.latches()?, &review.keys());
    let bought = store.checkout(&review.checkout_lines(), &rearm, ctx.now)?;
    if !ctx.quiet {
        eprintln!(
            "checked out {} line{}: recorded as bought (basket purchases)",
            bought.len(),
            if bought.len() == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

fn print(review: &Review, format: CheckoutFormat) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        CheckoutFormat::Json => {
            serde_json::to_writer_pretty(&mut out, review)?;
            writeln!(out)
        }
        CheckoutFormat::Csv => output::checkout::write_csv(&mut out, review),
        _ if review.is_empty() => writeln!(out, "The basket is empty: nothing to check out."),
        CheckoutFormat::Markdown => output::checkout::write_markdown(&mut out, review),
        CheckoutFormat::Table => {
            output::checkout::write_table(&mut out, review, output::table::table_width())
        }
    }
}
