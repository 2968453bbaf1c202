//! `basket feeds add`, `feeds list` and `feeds show`: glue over
//! `feeds::probe` (what a URL is, what a feed yields), `rules::edit` (the
//! table appended, the rest of the file untouched), the store's feed reads
//! and `output::feeds`.

use anyhow::Context as _;

use crate::cli::ListFormat;
use crate::connect::{append, find, open_for, out, parse_kind, raw};
use crate::context::Context;
use crate::error::{CmdResult, Failure};
use crate::feeds::probe;
use crate::output::feeds as view;
use crate::rules::edit::{NewFeed, RulesFile};
use crate::store::Store;

pub fn add(ctx: &Context, name: &str, url: &str, kind: Option<&str>, dry_run: bool) -> CmdResult {
    let only = kind.map(parse_kind).transpose()?;
    let file = open_for(ctx, name, dry_run)?;
    let sample = find(ctx, name, url, only)?;
    out(&view::found(&sample))?;
    let feed = NewFeed {
        name: name.to_string(),
        kind: sample.source.kind.to_string(),
        url: sample.source.url.clone(),
    };
    let addition = RulesFile::addition(&feed, None);
    append(ctx, &file, &addition, dry_run)?;
    if !dry_run && !ctx.quiet {
        out(&format!(
            "next: `basket feeds show {name}` to see what basket reads, then a rule with match = {{ feed = \"{name}\" }}"
        ))?;
    }
    Ok(())
}

pub fn list(ctx: &Context, format: ListFormat) -> CmdResult {
    let set = ctx.load_rules()?;
    let reads = Store::open(&ctx.data_dir)?.feed_reads()?;
    let rows: Vec<view::FeedRow> = set
        .catalog_feeds()
        .iter()
        .map(|f| view::FeedRow::new(f, reads.iter().find(|r| r.feed == f.name)))
        .collect();
    match format {
        ListFormat::Table => {
            out(&view::feeds_table(&rows, ctx.now, crate::output::table::table_width()).to_string())
        }
        ListFormat::Json => {
            out(&serde_json::to_string_pretty(&rows).context("cannot write the feeds")?)
        }
        ListFormat::Csv => raw(&view::feeds_csv(&rows).context("cannot write the feeds")?),
    }
}

pub fn show(
    ctx: &Context,
    name: &str,
    format: ListFormat,
    limit: Option<usize>,
    offline: bool,
) -> CmdResult {
    let set = ctx.load_rules()?;
    let Some(source) = set.catalog_feeds().into_iter().find(|f| f.name == name) else {
        let names: Vec<String> = set.catalog_feeds().into_iter().map(|f| f.name).collect();
        return Err(Failure::usage(format!(
            "no catalog feed named '{name}' in {}",
            set.path.display()
        ))
        .with_hint(format!(
            "feeds: {}",
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        )));
    };
    let fetcher = crate::check::fetcher(ctx, Some(&set), offline, ctx.interactive && !ctx.quiet)?;
    let mut sample = probe::sample(&fetcher, &source, ctx.now, limit.unwrap_or(usize::MAX))
        .map_err(|e| Failure::failed(format!("feed '{name}': {e}")))?;
    // What the feed's local inventory says of each product, store by store.
    let local = crate::check::inventory_of(ctx, &set, &fetcher, name, &mut sample.warnings);
    sample.products.iter_mut().for_each(|p| local.attach(p));
    match format {
        ListFormat::Json => {
            let shown = view::FeedShow {
                feed: name,
                products: sample.products.iter().map(view::ProductView::of).collect(),
                skipped: sample.report.skipped,
                warnings: &sample.warnings,
            };
            out(&serde_json::to_string_pretty(&shown).context("cannot write the products")?)
        }
        ListFormat::Csv => {
            for w in &sample.warnings {
                ctx.warn(&format!("feed '{name}': {w}"));
            }
            raw(&view::products_csv(&sample.products).context("cannot write the products")?)
        }
        ListFormat::Table => {
            for w in &sample.warnings {
                ctx.warn(&format!("feed '{name}': {w}"));
            }
            out(
                &view::products_table(&sample.products, crate::output::table::table_width())
                    .to_string(),
            )?;
            out(&format!(
                "{} of {} product{}, {} record{} skipped",
                view::thousands(sample.products.len()),
                view::thousands(sample.count),
                if sample.count == 1 { "" } else { "s" },
                view::thousands(sample.report.skipped),
                if sample.report.skipped == 1 { "" } else { "s" },
            ))
        }
    }
}
