//! Evaluate: the fold. Each feed's products stream through the pure engine one
//! at a time, with the facts merged in and the watched ones written to the
//! price history in batches as they pass, so a large catalog costs no memory.

use std::collections::{HashMap, HashSet};

use crate::context::Context;
use crate::engine::{self, Memory};
use crate::error::Failure;
use crate::model::{BasketItem, FailedInputs, Product, ProductKey};
use crate::rules::RuleSet;
use crate::store::Store;

use super::gather::Gathered;
use super::persist::{history_only_feeds, history_window, uses_history, HistoryWriter};

/// What the engine made of this run, with every warning so far.
pub(super) struct Evaluated {
    pub outcome: engine::Outcome,
    /// The feeds that failed, before or while they were read, and the
    /// facts and price-history sources that failed.
    pub failed: FailedInputs,
    /// The gathering's warnings, then the reading's, then the engine's.
    pub warnings: Vec<String>,
    /// Price changes written to the history while the feeds streamed.
    pub history_written: usize,
    /// The basket's lines the feeds listed this run (for "not listed any more").
    pub listed: HashSet<ProductKey>,
}

/// Runs the rules over the gathered feeds. `record` writes the watched products
/// into the price history (never in a dry run). Fails when every catalog feed
/// failed, before or while it was read: then nothing is known.
pub(super) fn evaluate(
    ctx: &Context,
    ruleset: &RuleSet,
    store: &mut Store,
    gathered: Gathered,
    record: bool,
) -> Result<Evaluated, Failure> {
    let mut basket = store.basket()?;
    engine::merge_facts_into(&gathered.facts, &mut [], &mut basket);
    let memory = load_memory(ctx, ruleset, store)?;
    let catalog_count = gathered.bodies.len() + gathered.failed.catalog_count();
    let ectx = engine::Context {
        now: ctx.now,
        rules: ruleset,
        basket: &basket,
        weather: gathered.forecast.as_weather(),
        failed: &gathered.failed,
        memory: &memory,
    };
    let mut eval = engine::Evaluation::new(&ectx);
    let mut history = HistoryWriter::new(record);
    let mut reads = Vec::new();
    let mut listed = Listed::new(&basket);
    let late_warnings = stream_feeds(
        ctx,
        store,
        &gathered,
        &mut eval,
        &mut history,
        &mut reads,
        &mut listed,
    )?;
    let listed = listed.found;
    if record {
        // For `basket feeds list`: what each feed gave this run.
        reads.extend(
            gathered
                .failed
                .iter()
                .filter(|(_, why)| why.stage.is_catalog())
                .map(|(feed, why)| {
                    (
                        feed.to_string(),
                        crate::store::FeedRead::Failed(why.reason.clone()),
                    )
                }),
        );
        store.record_feed_reads(&reads, ctx.now)?;
    }
    let mut outcome = eval.finish();
    let mut failed = gathered.failed.clone();
    failed.extend(&outcome.failed_while_reading);
    let unmatched = gathered
        .local
        .unmatched_warnings(|f| failed.catalog_failed(f).is_some());
    let mut warnings = gathered.warnings;
    warnings.extend(late_warnings);
    warnings.extend(unmatched);
    super::ensure_some_feed_answered(ctx, &warnings, failed.catalog_count(), catalog_count)?;
    warnings.append(&mut outcome.warnings);
    Ok(Evaluated {
        outcome,
        failed,
        warnings,
        history_written: history.written,
        listed,
    })
}

/// Which basket lines the feeds list, noted as the products stream past; the
/// lookup is by `&str`, so the products not in the basket build no key.
struct Listed<'b> {
    basket: HashMap<&'b str, HashSet<&'b str>>,
    found: HashSet<ProductKey>,
}

impl<'b> Listed<'b> {
    fn new(basket: &'b [BasketItem]) -> Listed<'b> {
        let mut by_feed: HashMap<&str, HashSet<&str>> = HashMap::new();
        for i in basket {
            by_feed
                .entry(i.product.feed.as_str())
                .or_default()
                .insert(i.product.id.as_str());
        }
        Listed {
            basket: by_feed,
            found: HashSet::new(),
        }
    }

    fn note(&mut self, p: &Product) {
        let held = self
            .basket
            .get(p.feed.as_str())
            .is_some_and(|ids| ids.contains(p.id.as_str()));
        if held {
            self.found.insert(p.key());
        }
    }
}

/// What earlier runs left that the rules read: pending and declined proposals,
/// what was notified, the price history, re-arming.
fn load_memory(ctx: &Context, ruleset: &RuleSet, store: &Store) -> Result<Memory, Failure> {
    Ok(Memory {
        pending: store.pending()?.into_iter().map(|p| p.id).collect(),
        declined: store.declines()?,
        taken_out: store.taken_out()?,
        notified: store.notified_map()?,
        // Only rules with history conditions read the history: don't load it
        // for nothing (it can hold a point per watched product).
        history: if uses_history(ruleset) {
            engine::History::new(
                store.observations_since(ctx.now - history_window(ruleset))?,
                &history_only_feeds(ruleset),
            )
        } else {
            engine::History::default()
        },
        feeds_seen: store.feeds_seen()?,
        latched: store.latches()?,
        rules_run: store.rules_run()?,
        // Only `when.every` reads the purchases.
        purchases: if ruleset
            .rules
            .iter()
            .any(|r| r.enabled && r.when.as_ref().is_some_and(|w| w.uses_every()))
        {
            store.purchases(None)?
        } else {
            Vec::new()
        },
    })
}

/// Streams every feed's products through the engine; returns the warnings of
/// the reading (skipped records, a feed that broke off).
fn stream_feeds(
    ctx: &Context,
    store: &mut Store,
    gathered: &Gathered,
    eval: &mut engine::Evaluation,
    history: &mut HistoryWriter,
    reads: &mut Vec<(String, crate::store::FeedRead)>,
    listed: &mut Listed,
) -> Result<Vec<String>, Failure> {
    let facts: HashMap<String, &Product> = gathered
        .facts
        .iter()
        .filter_map(|f| f.gtin14().map(|g| (g, f)))
        .collect();
    let mut late_warnings = Vec::new();
    for body in &gathered.bodies {
        let result = body.parse_pipelined(ctx.now, &mut |p| {
            if !facts.is_empty() || !gathered.catalog_facts.is_empty() {
                merge_known_facts(p, &gathered.catalog_facts, &facts);
            }
            if !gathered.local.is_empty() {
                gathered.local.attach(p);
            }
            if eval.observe(p) {
                listed.note(p);
                history.push(store, std::mem::take(p), ctx.now);
            }
        });
        history.flush(store, ctx.now)?;
        reads.push((
            body.source.name.clone(),
            match &result {
                Ok(r) => crate::store::FeedRead::Ok {
                    products: r.records - r.skipped,
                    skipped: r.skipped,
                },
                Err(e) => crate::store::FeedRead::Failed(e.to_string()),
            },
        ));
        match result {
            Ok(report) if !gathered.prescanned => {
                late_warnings.extend(report.warning());
                late_warnings.extend(report.kept_warning());
            }
            Ok(_) => {}
            Err(e) => {
                late_warnings.push(format!(
                    "feed '{}': {e}; rules that need it were skipped",
                    body.source.name
                ));
                eval.feed_failed(&body.source.name, &e.to_string());
            }
        }
    }
    Ok(late_warnings)
}

/// Facts another catalog feed or a facts source knows for the product's GTIN.
fn merge_known_facts(
    p: &mut Product,
    catalog_facts: &HashMap<String, Product>,
    facts: &HashMap<String, &Product>,
) {
    if let Some(g) = p.gtin14() {
        if let Some(f) = catalog_facts.get(&g) {
            p.merge_facts_from(f);
        }
        if let Some(f) = facts.get(&g) {
            p.merge_facts_from(f);
        }
    }
}
