//! Re-arming: which (rule, product) pairs are latched after firing, and which
//! rules have run before.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{params, TransactionBehavior};

use super::encode::ts;
use super::error::At;
use super::{Store, StoreError};
use crate::model::ProductKey;

impl Store {
    /// Latched (rule, product) pairs: fired, and not re-armed since.
    pub fn latches(&self) -> Result<HashSet<(String, ProductKey)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT rule, feed, product_id FROM latches")
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
        let mut out = HashSet::new();
        for row in rows {
            let (rule, feed, id) = row.at(&self.path)?;
            out.insert((rule, ProductKey { feed, id }));
        }
        Ok(out)
    }

    /// Rules that have run before (for `first_run = "skip"`).
    pub fn rules_run(&self) -> Result<HashSet<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT rule FROM rule_runs")
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .at(&self.path)?;
        let mut out = HashSet::new();
        for row in rows {
            out.insert(row.at(&self.path)?);
        }
        Ok(out)
    }

    /// Applies one run's re-arming: latches set and cleared, rules marked as
    /// having run; one transaction.
    pub fn update_latches(
        &mut self,
        set: &[(String, ProductKey)],
        clear: &[(String, ProductKey)],
        rules_ran: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        for (rule, key) in clear {
            tx.execute(
                "DELETE FROM latches WHERE rule = ?1 AND feed = ?2 AND product_id = ?3",
                params![rule, key.feed, key.id],
            )
            .at(&path)?;
        }
        for (rule, key) in set {
            tx.execute(
                "INSERT OR IGNORE INTO latches (rule, feed, product_id, since) VALUES (?1, ?2, ?3, ?4)",
                params![rule, key.feed, key.id, ts(now)],
            )
            .at(&path)?;
        }
        for rule in rules_ran {
            tx.execute(
                "INSERT INTO rule_runs (rule, first_run_at, last_run_at) VALUES (?1, ?2, ?2)
                 ON CONFLICT (rule) DO UPDATE SET last_run_at = excluded.last_run_at",
                params![rule, ts(now)],
            )
            .at(&path)?;
        }
        tx.commit().at(&path)
    }
}
