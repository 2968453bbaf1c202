//! What the last check read from each catalog feed (`basket feeds list`): the
//! last good read and the last error, one row per feed.

use chrono::{DateTime, Utc};
use rusqlite::{params, TransactionBehavior};

use super::encode::{parse_ts, ts};
use super::error::At;
use super::{Store, StoreError};

/// How one feed's read went this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedRead {
    /// Read: products kept, records skipped.
    Ok { products: usize, skipped: usize },
    /// Not read at all, and why (without the feed's name).
    Failed(String),
}

/// A feed's row, as `feeds list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedReadRecord {
    pub feed: String,
    /// The last good read.
    pub ok_at: Option<DateTime<Utc>>,
    pub products: usize,
    pub skipped: usize,
    /// The last run's error, if the last run failed.
    pub error: Option<String>,
    pub error_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Records this run's reads, in one transaction.
    pub fn record_feed_reads(
        &mut self,
        reads: &[(String, FeedRead)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        for (feed, read) in reads {
            match read {
                FeedRead::Ok { products, skipped } => tx.execute(
                    "INSERT INTO feed_reads (feed, ok_at, products, skipped) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (feed) DO UPDATE SET ok_at = excluded.ok_at,
                       products = excluded.products, skipped = excluded.skipped,
                       error = NULL, error_at = NULL",
                    params![feed, ts(now), *products as i64, *skipped as i64],
                ),
                FeedRead::Failed(why) => tx.execute(
                    "INSERT INTO feed_reads (feed, error, error_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (feed) DO UPDATE SET error = excluded.error,
                       error_at = excluded.error_at",
                    params![feed, why, ts(now)],
                ),
            }
            .at(&path)?;
        }
        tx.commit().at(&path)
    }

    /// Every feed's row, by name.
    pub fn feed_reads(&self) -> Result<Vec<FeedReadRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT feed, ok_at, products, skipped, error, error_at FROM feed_reads ORDER BY feed",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .at(&self.path)?;
        let mut out = Vec::new();
        for row in rows {
            let (feed, ok_at, products, skipped, error, error_at) = row.at(&self.path)?;
            let at = |t: Option<String>| t.map(|t| parse_ts(&self.path, &t)).transpose();
            out.push(FeedReadRecord {
                feed,
                ok_at: at(ok_at)?,
                products: products.max(0) as usize,
                skipped: skipped.max(0) as usize,
                error,
                error_at: at(error_at)?,
            });
        }
        Ok(out)
    }
}
