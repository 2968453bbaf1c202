//! Enrich: what must be known about some products before the rules can judge
//! them: facts from Open Food Facts, price history from Open Prices, and the
//! facts two catalog feeds share by GTIN. Only those products are kept, never
//! the whole catalog.

use crate::context::Context;
use crate::engine;
use crate::error::CmdResult;
use crate::feeds;
use crate::model::{BasketItem, Product};
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
    let fetcher = fetcher(ctx, offline, false)?;
    for source in sources {
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
        gathered.warnings.extend(
            warnings
                .into_iter()
                .map(|w| format!("feed '{}': {w}", source.name)),
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
    let fetcher = fetcher(ctx, offline, false)?;
    for source in sources {
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
        gathered.warnings.extend(
            warnings
                .into_iter()
                .map(|w| format!("feed '{}': {w}", source.name)),
        );
    }
    Ok(())
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
