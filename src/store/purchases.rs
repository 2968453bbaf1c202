//! Purchases: basket lines moved out of the basket at `basket checkout`, and
//! what `basket stats` reads of them; which basket lines their feed no longer
//! lists.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, TransactionBehavior};
use rust_decimal::Decimal;
use serde::Serialize;

use super::basket::{delete_item, item_by_key};
use super::encode::{parse_decimal, parse_ts, to_json, ts};
use super::error::{corrupt, At};
use super::{Store, StoreError};
use crate::model::{Origin, ProductKey, Purchase};

/// One basket line to check out, with the price it is bought at (the review's).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutLine {
    pub key: ProductKey,
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    pub regular_price: Option<Decimal>,
}

/// A rule's record for `basket stats`: what it proposed and what became of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleRecord {
    pub rule: String,
    /// Approved + declined + pending.
    pub proposed: usize,
    pub approved: usize,
    pub declined: usize,
    pub pending: usize,
    /// Purchased lines the rule had added.
    pub bought: usize,
}

impl Store {
    /// Moves `lines` from the basket into the purchases and re-arms the
    /// `rearm` latches, in one transaction: killed half-way, the basket and the
    /// purchases are as before, never half-moved. A line no longer in the
    /// basket (removed meanwhile) is skipped; the quantity bought is the one
    /// the basket holds when the transaction runs. Returns what was bought.
    pub fn checkout(
        &mut self,
        lines: &[CheckoutLine],
        rearm: &[(String, ProductKey)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Purchase>, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        let mut bought = Vec::new();
        for line in lines {
            let Some(item) = item_by_key(&tx, &path, &line.key)? else {
                continue;
            };
            let purchase = Purchase {
                bought_at: now,
                product: item.product,
                quantity: item.quantity,
                price: line.price,
                currency: line.currency.clone(),
                regular_price: line.regular_price,
                added_by: item.added_by,
            };
            insert_purchase(&tx, &path, &purchase)?;
            delete_item(&tx, &path, &line.key)?;
            bought.push(purchase);
        }
        for (rule, key) in rearm {
            tx.execute(
                "DELETE FROM latches WHERE rule = ?1 AND feed = ?2 AND product_id = ?3",
                params![rule, key.feed, key.id],
            )
            .at(&path)?;
        }
        tx.commit().at(&path)?;
        Ok(bought)
    }

    /// Purchases at or after `since` (all without), oldest first.
    pub fn purchases(&self, since: Option<DateTime<Utc>>) -> Result<Vec<Purchase>, StoreError> {
        let since = since.map(ts).unwrap_or_default();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT bought_at, product_json, quantity, price, currency, regular_price, added_by
                 FROM purchases WHERE bought_at >= ?1 ORDER BY bought_at, id",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map([since], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .at(&self.path)?;
        let mut out = Vec::new();
        for row in rows {
            let (at, json, quantity, price, currency, regular, added_by) = row.at(&self.path)?;
            out.push(Purchase {
                bought_at: parse_ts(&self.path, &at)?,
                product: serde_json::from_str(&json)
                    .map_err(|e| corrupt(&self.path, format!("purchase: {e}")))?,
                quantity,
                price: parse_decimal(&self.path, price.as_deref())?,
                currency,
                regular_price: parse_decimal(&self.path, regular.as_deref())?,
                added_by: Origin::from(added_by),
            });
        }
        Ok(out)
    }

    /// Basket lines whose feed answered a check without listing them, and
    /// since when.
    pub fn unlisted(&self) -> Result<HashMap<ProductKey, DateTime<Utc>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT feed, product_id, unlisted_since FROM basket_items
                 WHERE unlisted_since IS NOT NULL",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .at(&self.path)?;
        let mut out = HashMap::new();
        for row in rows {
            let (feed, id, at) = row.at(&self.path)?;
            out.insert(ProductKey { feed, id }, parse_ts(&self.path, &at)?);
        }
        Ok(out)
    }

    /// After a check: the basket lines of the `answered` feeds are listed when
    /// in `listed`, else unlisted from now on (the first such run is kept).
    /// Lines of feeds that failed are unknown and left as they were.
    pub fn note_listing(
        &mut self,
        listed: &HashSet<ProductKey>,
        answered: &[&str],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        let keys: Vec<ProductKey> = {
            let mut stmt = tx
                .prepare("SELECT feed, product_id FROM basket_items")
                .at(&path)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(ProductKey {
                        feed: r.get(0)?,
                        id: r.get(1)?,
                    })
                })
                .at(&path)?;
            rows.collect::<Result<_, _>>().at(&path)?
        };
        for key in keys.iter().filter(|k| answered.contains(&k.feed.as_str())) {
            // NULL while listed; the first run that missed it is kept.
            let since = (!listed.contains(key)).then(|| ts(now));
            tx.execute(
                "UPDATE basket_items SET unlisted_since = CASE WHEN ?3 IS NULL THEN NULL
                                                         ELSE coalesce(unlisted_since, ?3) END
                 WHERE feed = ?1 AND product_id = ?2",
                params![key.feed, key.id, since],
            )
            .at(&path)?;
        }
        tx.commit().at(&path)
    }

    /// Each rule's record since `since` (all without): decisions taken then,
    /// proposals pending now, purchased lines it added. By rule name; the
    /// shopper's own hand changes (`manual`) are not a rule and not counted.
    pub fn rule_records(
        &self,
        since: Option<DateTime<Utc>>,
        purchases: &[Purchase],
    ) -> Result<Vec<RuleRecord>, StoreError> {
        let mut by_rule: BTreeMap<String, RuleRecord> = BTreeMap::new();
        for d in self.history(usize::MAX)? {
            if since.is_some_and(|s| d.decided_at < s) {
                continue;
            }
            if let Some(r) = record_of(&mut by_rule, &d.rule) {
                if d.approved {
                    r.approved += 1;
                } else {
                    r.declined += 1;
                }
            }
        }
        for p in self.pending()? {
            if let Some(r) = record_of(&mut by_rule, &p.rule) {
                r.pending += 1;
            }
        }
        for p in purchases {
            if let Some(r) = record_of(&mut by_rule, p.added_by.as_str()) {
                r.bought += 1;
            }
        }
        Ok(by_rule
            .into_values()
            .map(|mut r| {
                r.proposed = r.approved + r.declined + r.pending;
                r
            })
            .collect())
    }
}

/// The record of `rule`, made on first sight; `None` for hand changes.
fn record_of<'m>(
    by_rule: &'m mut BTreeMap<String, RuleRecord>,
    rule: &str,
) -> Option<&'m mut RuleRecord> {
    if rule == Origin::MANUAL {
        return None;
    }
    Some(
        by_rule
            .entry(rule.to_string())
            .or_insert_with(|| RuleRecord {
                rule: rule.to_string(),
                ..RuleRecord::default()
            }),
    )
}

fn insert_purchase(conn: &Connection, path: &Path, p: &Purchase) -> Result<(), StoreError> {
    let json = to_json(path, "a purchase", &p.product)?;
    conn.execute(
        "INSERT INTO purchases (bought_at, feed, product_id, product_name, product_json,
                                quantity, price, currency, regular_price, added_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            ts(p.bought_at),
            p.product.feed,
            p.product.id,
            p.product.name,
            json,
            p.quantity,
            p.price.map(|d| d.to_string()),
            p.currency,
            p.regular_price.map(|d| d.to_string()),
            p.added_by.as_str(),
        ],
    )
    .at(path)?;
    Ok(())
}
