//! What each rule last notified about each product, so a notification is sent
//! once per change rather than once per run.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
// Reading one record back (`last_notified`) is for the unit tests only.
#[cfg(test)]
use {rusqlite::OptionalExtension, rust_decimal::Decimal, serde::Serialize};

use super::encode::{parse_decimal, parse_ts, ts};
use super::error::At;
use super::{Store, StoreError};
use crate::model::{NotifiedBefore, Product, ProductKey};

/// What a product looked like the last time a rule notified about it, so the
/// engine can tell "new or changed" from "already reported".
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotifiedRecord {
    pub price: Option<Decimal>,
    pub availability: Option<String>,
    pub notified_at: DateTime<Utc>,
}

impl Store {
    /// What `rule` last notified about this product, if it ever did.
    #[cfg(test)]
    pub fn last_notified(
        &self,
        rule: &str,
        key: &ProductKey,
    ) -> Result<Option<NotifiedRecord>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT price, availability, notified_at FROM notified
                 WHERE rule = ?1 AND feed = ?2 AND product_id = ?3",
                params![rule, key.feed, key.id],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()
            .at(&self.path)?;
        match row {
            None => Ok(None),
            Some((price, availability, at)) => Ok(Some(NotifiedRecord {
                price: parse_decimal(&self.path, price.as_deref())?,
                availability,
                notified_at: parse_ts(&self.path, &at)?,
            })),
        }
    }

    /// Remembers that `rule` notified about `product` as it is now (price and
    /// availability), replacing what was remembered before.
    #[cfg(test)]
    pub fn record_notified(
        &mut self,
        rule: &str,
        product: &Product,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        upsert_notified(&self.conn, &self.path, rule, product, now)
    }

    /// Everything notified before, keyed by (rule, product), for the engine.
    pub fn notified_map(
        &self,
    ) -> Result<HashMap<(String, ProductKey), NotifiedBefore>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT rule, feed, product_id, price, availability, notified_at FROM notified",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .at(&self.path)?;
        let mut out = HashMap::new();
        for row in rows {
            let (rule, feed, id, price, availability, at) = row.at(&self.path)?;
            out.insert(
                (rule, ProductKey { feed, id }),
                NotifiedBefore {
                    price: parse_decimal(&self.path, price.as_deref())?,
                    availability: availability
                        .as_deref()
                        .and_then(crate::model::Availability::parse),
                    at: parse_ts(&self.path, &at)?,
                },
            );
        }
        Ok(out)
    }
}

/// Remembers that `rule` notified about `product` as it is now (price and
/// availability), replacing what was remembered; on the connection or inside a
/// caller's transaction.
pub(super) fn upsert_notified(
    conn: &Connection,
    path: &Path,
    rule: &str,
    product: &Product,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO notified (rule, feed, product_id, price, availability, notified_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (rule, feed, product_id) DO UPDATE SET
             price = excluded.price,
             availability = excluded.availability,
             notified_at = excluded.notified_at",
        params![
            rule,
            product.feed,
            product.id,
            product.price.map(|p| p.to_string()),
            product.availability.map(|a| a.as_str()),
            ts(now),
        ],
    )
    .at(path)?;
    Ok(())
}
