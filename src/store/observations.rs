//! Price history: one observation per change of a product's price or
//! availability, the feeds that answered, and pruning of old points.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Statement, TransactionBehavior};

use super::encode::{parse_decimal, parse_ts, ts};
use super::error::At;
use super::{Store, StoreError};
use crate::model::{Availability, Observation, Product, ProductKey};
use crate::text;

impl Store {
    /// Records an observation for each product whose state differs from its last
    /// one, and notes the feeds that answered; one transaction. Returns how many
    /// observations were written. Only feeds that answered may be passed: a feed
    /// that failed is unknown, never "out of stock".
    pub fn record_observations(
        &mut self,
        products: &[&Product],
        answered_feeds: &[&str],
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        let mut written = 0;
        // The statements borrow the transaction, so they go before it commits.
        {
            let mut last = tx.prepare(LAST_STATE).at(&path)?;
            let mut insert = tx.prepare(INSERT_OBSERVATION).at(&path)?;
            for p in products {
                let obs = Observation::of(p, now);
                if unchanged(&mut last, &path, &obs)? {
                    continue;
                }
                insert_observation(&mut insert, &path, &obs)?;
                written += 1;
            }
            note_feeds_answered(&tx, &path, answered_feeds, now)?;
        }
        tx.commit().at(&path)?;
        Ok(written)
    }

    /// Adds observations from another source (Open Prices), dated as that source
    /// dates them; an identical point already stored is not added twice.
    pub fn import_observations(
        &mut self,
        observations: &[Observation],
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        let mut written = 0;
        // The statements borrow the transaction, so they go before it commits.
        {
            let mut insert = tx.prepare(INSERT_OBSERVATION).at(&path)?;
            for o in observations {
                let exists: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM observations
                         WHERE feed = ?1 AND product_id = ?2 AND observed_at = ?3 AND price IS ?4)",
                        params![o.feed, o.id, ts(o.at), o.price.map(|d| d.to_string())],
                        |r| r.get(0),
                    )
                    .at(&path)?;
                if exists {
                    continue;
                }
                insert_observation(&mut insert, &path, o)?;
                written += 1;
            }
        }
        tx.commit().at(&path)?;
        Ok(written)
    }

    /// Every observation at or after `since`, plus the latest one before it for
    /// each product (the state a later change is compared with), oldest first.
    pub fn observations_since(&self, since: DateTime<Utc>) -> Result<Vec<Observation>, StoreError> {
        self.observation_query(
            "WHERE observed_at >= ?1
                OR id IN (SELECT id FROM observations o
                          WHERE o.observed_at < ?1
                            AND o.observed_at = (SELECT MAX(observed_at) FROM observations x
                                                 WHERE x.feed = o.feed AND x.product_id = o.product_id
                                                   AND x.observed_at < ?1))
             ORDER BY observed_at ASC, id ASC",
            params![ts(since)],
        )
    }

    /// The whole stored history of one product, oldest first.
    pub fn observations_of(&self, key: &ProductKey) -> Result<Vec<Observation>, StoreError> {
        self.observation_query(
            "WHERE feed = ?1 AND product_id = ?2 ORDER BY observed_at ASC, id ASC",
            params![key.feed, key.id],
        )
    }

    /// Each product's latest stored observation (the state the last check
    /// recorded), for those of `keys` that have one.
    pub fn latest_observations(
        &self,
        keys: &[ProductKey],
    ) -> Result<HashMap<ProductKey, Observation>, StoreError> {
        let mut out = HashMap::new();
        for key in keys {
            let last = self.observation_query(
                "WHERE feed = ?1 AND product_id = ?2 ORDER BY observed_at DESC, id DESC LIMIT 1",
                params![key.feed, key.id],
            )?;
            if let Some(o) = last.into_iter().next() {
                out.insert(key.clone(), o);
            }
        }
        Ok(out)
    }

    /// Products with stored history whose `feed/id`, id, GTIN or name words match
    /// `query`, with their latest name; for `basket prices QUERY`.
    pub fn observed_products(&self, query: &str) -> Result<Vec<(ProductKey, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT feed, product_id, gtin, name FROM observations o
                 WHERE id = (SELECT MAX(id) FROM observations x
                             WHERE x.feed = o.feed AND x.product_id = o.product_id)
                 ORDER BY feed, product_id",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .at(&self.path)?;
        let q = query.trim();
        let want = text::words(q);
        let gtin = crate::model::normalize_gtin(q);
        let mut exact = Vec::new();
        let mut by_name = Vec::new();
        for row in rows {
            let (feed, id, g, name) = row.at(&self.path)?;
            let key = ProductKey { feed, id };
            if key.to_string() == q || key.id == q || (gtin.is_some() && g == gtin) {
                exact.push((key, name));
            } else if !want.is_empty() {
                let have = text::words(&name);
                if want.iter().all(|w| have.contains(w)) {
                    by_name.push((key, name));
                }
            }
        }
        Ok(if exact.is_empty() { by_name } else { exact })
    }

    /// Forgets observations older than `before`, keeping each product's latest
    /// one (so "back in stock" still knows the last state). Returns how many went.
    pub fn prune_observations(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let n = self
            .conn
            .execute(
                "DELETE FROM observations
                 WHERE observed_at < ?1
                   AND id <> (SELECT MAX(id) FROM observations x
                              WHERE x.feed = observations.feed AND x.product_id = observations.product_id)",
                params![ts(before)],
            )
            .at(&self.path)?;
        Ok(n)
    }

    /// Feeds that answered at least once before, with when they first did.
    pub fn feeds_seen(&self) -> Result<HashMap<String, DateTime<Utc>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT feed, first_ok_at FROM feed_runs")
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .at(&self.path)?;
        let mut out = HashMap::new();
        for row in rows {
            let (feed, at) = row.at(&self.path)?;
            out.insert(feed, parse_ts(&self.path, &at)?);
        }
        Ok(out)
    }

    fn observation_query(
        &self,
        tail: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Observation>, StoreError> {
        let sql = format!(
            "SELECT feed, product_id, gtin, name, price, regular_price, currency, availability, observed_at
             FROM observations {tail}"
        );
        let mut stmt = self.conn.prepare(&sql).at(&self.path)?;
        let rows = stmt
            .query_map(params, |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, String>(8)?,
                ))
            })
            .at(&self.path)?;
        let mut out = Vec::new();
        for row in rows {
            let (feed, id, gtin, name, price, regular, currency, availability, at) =
                row.at(&self.path)?;
            out.push(Observation {
                feed,
                id,
                gtin,
                name,
                price: parse_decimal(&self.path, price.as_deref())?,
                regular_price: parse_decimal(&self.path, regular.as_deref())?,
                currency,
                availability: availability.as_deref().and_then(Availability::parse),
                at: parse_ts(&self.path, &at)?,
            });
        }
        Ok(out)
    }
}

/// A product's latest stored state, newest first by time then by row.
const LAST_STATE: &str = "SELECT price, regular_price, currency, availability FROM observations
     WHERE feed = ?1 AND product_id = ?2 ORDER BY observed_at DESC, id DESC LIMIT 1";

const INSERT_OBSERVATION: &str = "INSERT INTO observations
     (feed, product_id, gtin, name, price, regular_price, currency, availability, observed_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/// Whether `obs` is in the state its product's latest stored observation
/// already records (price, regular price, currency, availability), so storing
/// it would add nothing. `last` is the prepared `LAST_STATE`: a feed may have a
/// million products, so it is prepared once per run, not once per product.
fn unchanged(last: &mut Statement, path: &Path, obs: &Observation) -> Result<bool, StoreError> {
    let previous = last
        .query_row(params![obs.feed, obs.id], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })
        .optional()
        .at(path)?;
    let Some((price, regular, currency, availability)) = previous else {
        return Ok(false);
    };
    let before = Observation {
        price: parse_decimal(path, price.as_deref())?,
        regular_price: parse_decimal(path, regular.as_deref())?,
        currency,
        availability: availability.as_deref().and_then(Availability::parse),
        ..obs.clone()
    };
    Ok(before.same_state(obs))
}

/// Stores one observation with the prepared `INSERT_OBSERVATION`.
fn insert_observation(
    insert: &mut Statement,
    path: &Path,
    obs: &Observation,
) -> Result<(), StoreError> {
    insert
        .execute(params![
            obs.feed,
            obs.id,
            obs.gtin,
            obs.name,
            obs.price.map(|d| d.to_string()),
            obs.regular_price.map(|d| d.to_string()),
            obs.currency,
            obs.availability.map(|a| a.as_str()),
            ts(obs.at),
        ])
        .at(path)?;
    Ok(())
}

/// Notes that these feeds answered now: the first time is kept, so "newly
/// listed" can tell a new product from a feed never seen before.
fn note_feeds_answered(
    conn: &Connection,
    path: &Path,
    feeds: &[&str],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for feed in feeds {
        conn.execute(
            "INSERT INTO feed_runs (feed, first_ok_at, last_ok_at) VALUES (?1, ?2, ?2)
             ON CONFLICT (feed) DO UPDATE SET last_ok_at = excluded.last_ok_at",
            params![feed, ts(now)],
        )
        .at(path)?;
    }
    Ok(())
}
