//! The basket: its items, in the order they were added, and their totals.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
#[cfg(test)]
use rusqlite::TransactionBehavior;
use rusqlite::{params, Connection};
use rust_decimal::Decimal;

use super::encode::{parse_ts, to_json, ts};
use super::error::{corrupt, At};
use super::{Store, StoreError};
use crate::model::{BasketItem, Origin, Product, ProductKey};
use crate::text;

impl Store {
    /// The basket, in the order items were added.
    pub fn basket(&self) -> Result<Vec<BasketItem>, StoreError> {
        items_where(&self.conn, &self.path, "1", params![])
    }

    /// Adds `quantity` of `product`. If the same feed+id is already in the basket its
    /// quantity grows and its stored product is refreshed (new price, facts); the
    /// line keeps its place, `added_by` and `added_at`.
    pub fn add_item(
        &mut self,
        product: &Product,
        quantity: u32,
        added_by: &Origin,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        add_in(
            &self.conn,
            &self.path,
            product,
            quantity,
            added_by.as_str(),
            now,
        )
    }

    /// Removes the item with this key, returning it if it was there.
    #[cfg(test)]
    pub fn remove_item(&mut self, key: &ProductKey) -> Result<Option<BasketItem>, StoreError> {
        let path = &self.path;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(path)?;
        let item = item_by_key(&tx, path, key)?;
        if item.is_some() {
            delete_item(&tx, path, key)?;
        }
        tx.commit().at(path)?;
        Ok(item)
    }

    /// The items `basket remove ITEM` could mean, trying the most precise reading
    /// first: `feed/id` exactly, else the id exactly, else a case- and
    /// accent-insensitive substring of the name. Several matches are for the caller
    /// to disambiguate.
    pub fn find_items(&self, query: &str) -> Result<Vec<BasketItem>, StoreError> {
        let items = self.basket()?;
        let query = query.trim();
        let by_key: Vec<BasketItem> = items
            .iter()
            .filter(|i| i.product.key().to_string() == query)
            .cloned()
            .collect();
        if !by_key.is_empty() {
            return Ok(by_key);
        }
        let by_id: Vec<BasketItem> = items
            .iter()
            .filter(|i| i.product.id == query)
            .cloned()
            .collect();
        if !by_id.is_empty() {
            return Ok(by_id);
        }
        let needle = text::fold(query);
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        Ok(items
            .into_iter()
            .filter(|i| text::fold(&i.product.name).contains(&needle))
            .collect())
    }

    /// Empties the basket; returns how many lines it had.
    pub fn clear(&mut self) -> Result<usize, StoreError> {
        self.conn
            .execute("DELETE FROM basket_items", [])
            .at(&self.path)
    }

    /// The basket's total per currency: the sum of price × quantity. Items without a
    /// price, or with a price but no currency, cannot be added up and are skipped.
    pub fn totals(&self) -> Result<BTreeMap<String, Decimal>, StoreError> {
        let mut totals = BTreeMap::new();
        for item in self.basket()? {
            if let (Some(price), Some(currency)) = (item.product.price, item.product.currency) {
                *totals.entry(currency).or_insert(Decimal::ZERO) +=
                    price * Decimal::from(item.quantity);
            }
        }
        Ok(totals)
    }
}

/// Inserts a basket line or, for a product already there, adds to its quantity
/// (saturating rather than failing at u32::MAX) and refreshes the stored product.
pub(super) fn add_in(
    conn: &Connection,
    path: &Path,
    product: &Product,
    quantity: u32,
    added_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let json = to_json(path, "a product", product)?;
    conn.execute(
        "INSERT INTO basket_items (feed, product_id, product_json, quantity, added_by, added_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (feed, product_id) DO UPDATE SET
             quantity = min(quantity + excluded.quantity, 4294967295),
             product_json = excluded.product_json",
        params![product.feed, product.id, json, quantity, added_by, ts(now)],
    )
    .at(path)?;
    Ok(())
}

pub(super) fn delete_item(
    conn: &Connection,
    path: &Path,
    key: &ProductKey,
) -> Result<usize, StoreError> {
    conn.execute(
        "DELETE FROM basket_items WHERE feed = ?1 AND product_id = ?2",
        params![key.feed, key.id],
    )
    .at(path)
}

pub(super) fn item_by_key(
    conn: &Connection,
    path: &Path,
    key: &ProductKey,
) -> Result<Option<BasketItem>, StoreError> {
    Ok(items_where(
        conn,
        path,
        "feed = ?1 AND product_id = ?2",
        [key.feed.as_str(), key.id.as_str()],
    )?
    .into_iter()
    .next())
}

fn items_where<P: rusqlite::Params>(
    conn: &Connection,
    path: &Path,
    condition: &str,
    params: P,
) -> Result<Vec<BasketItem>, StoreError> {
    let sql = format!(
        "SELECT feed, product_id, product_json, quantity, added_by, added_at
         FROM basket_items WHERE {condition} ORDER BY seq"
    );
    let mut stmt = conn.prepare(&sql).at(path)?;
    let rows = stmt
        .query_map(params, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .at(path)?;
    let mut out = Vec::new();
    for row in rows {
        let (feed, id, json, quantity, added_by, added_at) = row.at(path)?;
        let product: Product = serde_json::from_str(&json)
            .map_err(|e| corrupt(path, format!("basket item {feed}/{id}: {e}")))?;
        out.push(BasketItem {
            product,
            quantity,
            added_by: Origin::from(added_by),
            added_at: parse_ts(path, &added_at)?,
        });
    }
    Ok(out)
}
