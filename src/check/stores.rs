//! My store: the `merchant-local` feeds, read before the catalogs stream and
//! joined to their products by id (or GTIN) as each one passes
//! (docs/feeds.md, "Local inventory"). A local feed lists no products of its
//! own and is no catalog: its failure is a warning, never "every feed failed".

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap};

use crate::context::Context;
use crate::feeds::{merchant::LocalRow, FeedError, FetchedBody};
use crate::model::{normalize_gtin, Product};
use crate::rules::RuleSet;

/// Every local inventory row read this run, by the catalog feed it refers to.
#[derive(Default)]
pub struct LocalInventory {
    by_catalog: HashMap<String, CatalogStores>,
    /// Every store code a local feed lists (for the rules' unknown codes).
    pub codes: BTreeSet<String>,
    /// A local feed could not be read: its codes are unknown, so no rule's
    /// code is called unknown.
    pub incomplete: bool,
}

/// The rows of the local feeds of one catalog, indexed for the join.
#[derive(Default)]
struct CatalogStores {
    rows: Vec<(String, LocalRow)>,
    /// Marked as products pass (the join runs inside the engine's fold,
    /// which holds the gathering by shared reference).
    used: Vec<Cell<bool>>,
    by_id: HashMap<String, Vec<usize>>,
    by_gtin: HashMap<String, Vec<usize>>,
}

impl LocalInventory {
    pub fn is_empty(&self) -> bool {
        self.by_catalog.is_empty()
    }

    /// Reads the fetched local feeds; what could not be read becomes warnings.
    pub fn read(ctx: &Context, bodies: &[FetchedBody], warnings: &mut Vec<String>) -> Self {
        let mut inv = LocalInventory::default();
        for body in bodies {
            let Some(of) = body.source.of.clone() else {
                continue;
            };
            let feed = body.source.name.clone();
            let result = body.parse_local(ctx.now, &mut |row| {
                inv.codes.insert(row.offer.store.clone());
                inv.add(&of, &feed, row);
            });
            match result {
                Ok(report) => warnings.extend(report.warning()),
                Err(e) => {
                    inv.incomplete = true;
                    warnings.push(unread(&feed, &e));
                }
            }
        }
        inv
    }

    fn add(&mut self, of: &str, feed: &str, row: LocalRow) {
        let c = self.by_catalog.entry(of.to_string()).or_default();
        let i = c.rows.len();
        if let Some(id) = &row.id {
            c.by_id.entry(id.clone()).or_default().push(i);
        }
        if let Some(g) = row.gtin.as_deref().and_then(normalize_gtin) {
            c.by_gtin.entry(g).or_default().push(i);
        }
        c.rows.push((feed.to_string(), row));
        c.used.push(Cell::new(false));
    }

    /// Gives the product the offers its catalog's local feeds have for its id
    /// or GTIN. A store price in another currency than the product's is
    /// dropped (the offer keeps its stock), as comparing them would be wrong.
    pub fn attach(&self, p: &mut Product) {
        let Some(c) = self.by_catalog.get(&p.feed) else {
            return;
        };
        let mut hits: Vec<usize> = c.by_id.get(&p.id).cloned().unwrap_or_default();
        if let Some(g) = p.gtin14() {
            hits.extend(c.by_gtin.get(&g).into_iter().flatten().copied());
        }
        hits.sort_unstable();
        hits.dedup();
        for i in hits {
            c.used[i].set(true);
            let mut offer = c.rows[i].1.offer.clone();
            if let (Some(theirs), Some(ours)) = (&offer.currency, &p.currency) {
                if theirs != ours {
                    offer.price = None;
                }
            }
            offer.currency = None;
            p.stores.push(offer);
        }
    }

    /// `feed 'grocer-local': 3 local inventory rows name no product of
    /// 'grocer'`, for the catalogs that were read (a failed catalog's rows are
    /// not its fault).
    pub fn unmatched_warnings(&self, catalog_failed: impl Fn(&str) -> bool) -> Vec<String> {
        let mut counts: Vec<((String, String), usize)> = Vec::new();
        for (of, c) in &self.by_catalog {
            if catalog_failed(of) {
                continue;
            }
            for ((feed, _), used) in c.rows.iter().zip(&c.used) {
                if used.get() {
                    continue;
                }
                let key = (feed.clone(), of.clone());
                match counts.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((key, 1)),
                }
            }
        }
        counts.sort();
        counts
            .into_iter()
            .map(|((feed, of), n)| {
                format!(
                    "feed '{feed}': {n} local inventory row{} name{} no product of '{of}' (skipped)",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "s" } else { "" },
                )
            })
            .collect()
    }
}

/// `rule 'boots': no local inventory feed lists store '9999'`, once per
/// rule and code: the rule can never match there (not fatal: the feed may
/// list the store tomorrow).
pub fn unknown_store_warnings(ruleset: &RuleSet, inv: &LocalInventory) -> Vec<String> {
    if inv.incomplete {
        return Vec::new();
    }
    let mut out = Vec::new();
    for rule in ruleset.rules.iter().filter(|r| r.enabled) {
        let Some(selector) = &rule.selector else {
            continue;
        };
        for code in &selector.at_store {
            if !inv.codes.contains(code) {
                out.push(format!(
                    "rule '{}': no local inventory feed lists store '{code}'; check the store code (kind = \"merchant-local\" feeds list their store_code)",
                    rule.name
                ));
            }
        }
    }
    out
}

fn unread(feed: &str, e: &FeedError) -> String {
    format!("feed '{feed}': {e}; no store has anything this run")
}

/// A local feed that could not be fetched: a warning, not a failed catalog.
pub fn fetch_failed(feed: &str, e: &FeedError) -> String {
    unread(feed, e)
}

/// The local inventory of one catalog feed, for `basket feeds show`: its
/// `merchant-local` feeds fetched (through `fetcher`) and read; what could not
/// be is warned about.
pub fn inventory_of(
    ctx: &Context,
    ruleset: &RuleSet,
    fetcher: &crate::feeds::Fetcher,
    catalog: &str,
    warnings: &mut Vec<String>,
) -> LocalInventory {
    let local: Vec<_> = ruleset
        .local_feeds()
        .into_iter()
        .filter(|f| f.of.as_deref() == Some(catalog))
        .collect();
    let mut bodies = Vec::new();
    for (source, result) in local
        .iter()
        .zip(crate::feeds::fetch_bodies(fetcher, &local))
    {
        match result {
            Ok(body) => bodies.push(body),
            Err(e) => warnings.push(fetch_failed(&source.name, &e)),
        }
    }
    LocalInventory::read(ctx, &bodies, warnings)
}
