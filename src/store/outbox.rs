//! The outbox: notification messages queued with the products they tell about,
//! then sent, or kept for the next run when sending fails.

use chrono::{DateTime, Utc};
use rusqlite::{params, TransactionBehavior};
use serde::Serialize;

use super::encode::{parse_ts, ts};
use super::error::At;
use super::notified::upsert_notified;
use super::{Store, StoreError};
use crate::model::Product;

/// A queued notification message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub channel: String,
    /// The message, as the notify module serialised it.
    pub message_json: String,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub answer: Option<String>,
}

impl Store {
    /// Marks the products notified and queues the messages that tell about them,
    /// in one transaction: either both happen or neither.
    pub fn record_notifications(
        &mut self,
        notified: &[(&str, &Product)],
        messages: &[(&str, String)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        for (rule, product) in notified {
            upsert_notified(&tx, &path, rule, product, now)?;
        }
        for (channel, json) in messages {
            tx.execute(
                "INSERT INTO outbox (channel, message_json, created_at) VALUES (?1, ?2, ?3)",
                params![channel, json, ts(now)],
            )
            .at(&path)?;
        }
        tx.commit().at(&path)
    }

    /// Messages not sent yet, oldest first.
    pub fn unsent(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.outbox_query("WHERE sent_at IS NULL ORDER BY id ASC", -1)
    }

    /// The latest messages, sent or not, newest first.
    #[cfg(test)]
    pub fn outbox_log(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.outbox_query("ORDER BY id DESC", i64::try_from(limit).unwrap_or(i64::MAX))
    }

    fn outbox_query(&self, tail: &str, limit: i64) -> Result<Vec<OutboxEntry>, StoreError> {
        let sql = format!(
            "SELECT id, channel, message_json, created_at, attempts, last_error, sent_at, answer
             FROM outbox {tail} LIMIT ?1"
        );
        let mut stmt = self.conn.prepare(&sql).at(&self.path)?;
        let rows = stmt
            .query_map([limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .at(&self.path)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, channel, message_json, created, attempts, last_error, sent, answer) =
                row.at(&self.path)?;
            out.push(OutboxEntry {
                id,
                channel,
                message_json,
                created_at: parse_ts(&self.path, &created)?,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                last_error,
                sent_at: sent
                    .as_deref()
                    .map(|s| parse_ts(&self.path, s))
                    .transpose()?,
                answer,
            });
        }
        Ok(out)
    }

    /// Records a successful send, with what the server answered.
    pub fn mark_sent(
        &mut self,
        id: i64,
        answer: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET sent_at = ?2, answer = ?3, attempts = attempts + 1, last_error = NULL
                 WHERE id = ?1 AND sent_at IS NULL",
                params![id, ts(now), answer],
            )
            .at(&self.path)?;
        Ok(())
    }

    /// Records a failed send; the message stays queued for the next run.
    pub fn mark_failed(&mut self, id: i64, error: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                params![id, error],
            )
            .at(&self.path)?;
        Ok(())
    }
}
