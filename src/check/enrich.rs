//! Enrich: what must be known about some products before the rules can judge
//! them: facts from Open Food Facts, price history from Open Prices, and the
//! facts two catalog feeds share by GTIN. Only those products are kept, never
//! the whole catalog.

use crate::context::Context;
use crate::engine;
use crate::error::CmdResult;
use crate::feeds;
use crate::model::{BasketItem, FailedAt, Product};
use crate::rules::RuleSet;
use crate::store::Store;

use super::gather::{fetcher, Gathered};

/// What a first pass over the feeds found, when one is needed: the products
/// whose facts or price history are worth asking about.
#[derive(Default)]
pub struct Prescan {
    pub facts_candidates: Vec<Product>,
    pub watched: Vec<Product>,
}

/// A first pass over the feeds, made only when something must be known before
/// evaluating: which products' facts to ask Open Food Facts, which GTINs' price
/// history to ask Open Prices, and the facts two catalog feeds share by GTIN.
/// It keeps only those products, never the whole catalog.
pub fn prescan(
    ruleset: &RuleSet,
    basket: &[BasketItem],
    gathered: &mut Gathered,
    now: chrono::DateTime<chrono::Utc>,
) -> Prescan {
    let wants_facts = ruleset
        .feeds
        .iter()
        .any(|f| f.kind == feeds::FeedKind::OpenFoodFacts);
    let wants_history = ruleset.feeds.iter().any(|f| f.kind.fills_history_only());
    let merge_catalogs = gathered.bodies.len() >= 2;
    let mut scan = Prescan::default();
    if !(wants_facts || wants_history || merge_catalogs) {
        return scan;
    }
    let watcher = engine::Watcher::new(ruleset);
    let bodies = std::mem::take(&mut gathered.bodies);
    for body in bodies {
        let mut catalog_facts = std::mem::take(&mut gathered.catalog_facts);
        let result = body.parse_pipelined(now, &mut |p| {
            if merge_catalogs && has_facts(p) {
                if let Some(g) = p.gtin14() {
                    catalog_facts
                        .entry(g)
                        .and_modify(|f: &mut Product| f.merge_facts_from(p))
                        .or_insert_with(|| p.clone());
                }
            }
            if wants_history && watcher.watches(p) {
                scan.watched.push(p.clone());
            }
            if wants_facts && engine::may_replace(ruleset, basket, p) {
                scan.facts_candidates.push(std::mem::take(p));
            }
        });
        gathered.catalog_facts = catalog_facts;
        match result {
            Ok(report) => {
                gathered.warnings.extend(report.warning());
                gathered.warnings.extend(report.kept_warning());
                gathered.bodies.push(body);
            }
            Err(e) => gathered.fail(&body.source.name, &e),
        }
    }
    gathered.prescanned = true;
    scan
}

fn has_facts(p: &Product) -> bool {
    !p.contains.is_empty()
        || !p.free_from.is_empty()
        || p.allergens.is_some()
        || p.traces.is_some()
        || !p.labels.is_empty()
}

/// Asks each facts source (Open Food Facts) about the GTINs whose facts could
/// change a proposal: the basket items, and the swap candidates whose facts the
/// catalog leaves unknown.
pub fn add_facts(
    ctx: &Context,
    ruleset: &RuleSet,
    basket: &[BasketItem],
    scan: &Prescan,
    gathered: &mut Gathered,
    offline: bool,
) -> CmdResult {
    let sources: Vec<&feeds::FeedSource> = ruleset
        .feeds
        .iter()
        .filter(|f| f.kind == feeds::FeedKind::OpenFoodFacts)
        .collect();
    if sources.is_empty() {
        return Ok(());
    }
    let gtins = engine::gtins_needing_facts(ruleset, basket, &scan.facts_candidates);
    if gtins.is_empty() {
        return Ok(());
    }
    let fetcher = fetcher(ctx, Some(ruleset), offline, false)?;
    for source in sources {
        if let Some(per_run) = source.rate_limit {
            fetcher.limit_reads(&source.url, per_run);
        }
        let (facts, warnings) = feeds::openfoodfacts::fetch_facts(
            &fetcher,
            &source.name,
            &source.url,
            &gtins,
            feeds::openfoodfacts::DEFAULT_CONCURRENCY,
        );
        ctx.info(&format!(
            "facts '{}': {} of {} products known",
            source.name,
            facts.len(),
            gtins.len()
        ));
        report_lookups(
            gathered,
            &source.name,
            FailedAt::FactsLookup,
            &gtins,
            &warnings,
        );
        gathered.facts.extend(facts);
    }
    Ok(())
}

/// Fills the price history from history-only sources (Open Prices) for the
/// GTINs of basket items and watched products, so `lowest_in_days` and
/// `price_drop_pct` can work from the first day.
pub fn import_price_history(
    ctx: &Context,
    ruleset: &RuleSet,
    store: &mut Store,
    basket: &[BasketItem],
    scan: &Prescan,
    gathered: &mut Gathered,
    offline: bool,
) -> CmdResult {
    let sources: Vec<&feeds::FeedSource> = ruleset
        .feeds
        .iter()
        .filter(|f| f.kind.fills_history_only())
        .collect();
    if sources.is_empty() {
        return Ok(());
    }
    let gtins = engine::watched_gtins(ruleset, basket, &scan.watched);
    if gtins.is_empty() {
        return Ok(());
    }
    let fetcher = fetcher(ctx, Some(ruleset), offline, false)?;
    for source in sources {
        if let Some(per_run) = source.rate_limit {
            fetcher.limit_reads(&source.url, per_run);
        }
        let (observations, warnings) = feeds::open_prices::fetch_prices(
            &fetcher,
            &source.name,
            &source.url,
            &gtins,
            feeds::open_prices::DEFAULT_CONCURRENCY,
        );
        let added = store.import_observations(&observations)?;
        ctx.info(&format!(
            "prices '{}': {added} new point{} for {} products",
            source.name,
            if added == 1 { "" } else { "s" },
            gtins.len()
        ));
        report_lookups(
            gathered,
            &source.name,
            FailedAt::PricesLookup,
            &gtins,
            &warnings,
        );
    }
    Ok(())
}

/// What one per-barcode source's lookups left to say: its warnings, named
/// after the feed, and the source as a failed input if lookups failed.
fn report_lookups(
    gathered: &mut Gathered,
    feed: &str,
    stage: FailedAt,
    gtins: &[String],
    warnings: &[String],
) {
    gathered
        .warnings
        .extend(warnings.iter().map(|w| format!("feed '{feed}': {w}")));
    note_failed_lookups(gathered, feed, stage, gtins, warnings);
}

/// Records a per-barcode source (Open Food Facts, Open Prices) as a failed
/// input when some of its lookups failed, so the rules that read what it
/// supplies are skipped rather than judged on facts or prices it never gave.
/// A barcode it does not know is not a failure.
fn note_failed_lookups(
    gathered: &mut Gathered,
    feed: &str,
    stage: FailedAt,
    gtins: &[String],
    warnings: &[String],
) {
    let failed = failed_lookups(feed, gtins, warnings);
    let Some(first) = failed.first() else {
        return;
    };
    let (n, of) = (failed.len(), gtins.len());
    let lookups = if of == 1 { "lookup" } else { "lookups" };
    gathered.warnings.push(format!(
        "feed '{feed}': {n} of {of} {lookups} failed; rules that need what it supplies were skipped"
    ));
    gathered
        .failed
        .insert(feed, stage, format!("{first} ({n} of {of} {lookups})"));
}

/// The reasons of the lookups that failed, from the source's warnings. The
/// feeds layer reports each failed barcode as one line, `{feed}: {gtin}:
/// {error}` (the barcode as asked: without spaces or hyphens); its other lines
/// (a value that is not a barcode, a deferred lookup, an answer with some
/// unreadable prices) are not failures. (The feeds layer returns no typed
/// per-barcode result yet; this reads the lines it documents.)
fn failed_lookups<'w>(feed: &str, gtins: &[String], warnings: &'w [String]) -> Vec<&'w str> {
    let prefixes: Vec<String> = gtins
        .iter()
        .map(|g| {
            let digits: String = g
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .collect();
            format!("{feed}: {digits}: ")
        })
        .collect();
    warnings
        .iter()
        .filter_map(|w| prefixes.iter().find_map(|p| w.strip_prefix(p.as_str())))
        .filter(|rest| !is_partly_read(rest))
        .collect()
}

/// Open Prices' "2 of 6 prices skipped: ...": it answered, some of its
/// records were unreadable.
fn is_partly_read(rest: &str) -> bool {
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    rest.split_once(" prices skipped: ")
        .and_then(|(counts, _)| counts.split_once(" of "))
        .is_some_and(|(a, b)| number(a) && number(b))
}

/// The whole enrich step of a live check: a first pass where one is needed,
/// then the facts, then (when `record`, never in a dry run) the price history.
pub fn enrich(
    ctx: &Context,
    ruleset: &RuleSet,
    store: &mut Store,
    gathered: &mut Gathered,
    offline: bool,
    record: bool,
) -> CmdResult {
    let basket = store.basket()?;
    let scan = prescan(ruleset, &basket, gathered, ctx.now);
    add_facts(ctx, ruleset, &basket, &scan, gathered, offline)?;
    if record {
        import_price_history(ctx, ruleset, store, &basket, &scan, gathered, offline)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::failed_lookups;

    #[test]
    fn only_the_lines_of_barcodes_asked_are_failed_lookups() {
        let gtins = ["3017620422003".to_string(), " 4006-381333931".to_string()];
        let warnings = [
            "off: 3017620422003: HTTP 500 Internal Server Error".to_string(),
            "off: \"12\" is not a GTIN (8 to 14 digits), not asked".to_string(),
            "off: 4006381333931: timed out after 30 s".to_string(),
            "other: 3017620422003: HTTP 500".to_string(),
            "off: 3017620422003: 2 of 6 prices skipped: item 3: no price".to_string(),
        ];
        assert_eq!(
            failed_lookups("off", &gtins, &warnings),
            ["HTTP 500 Internal Server Error", "timed out after 30 s"]
        );
        assert!(failed_lookups("off", &gtins, &warnings[1..2]).is_empty());
    }
}
