//! The shopper's decisions: applying one to the basket, and the history of them
//! (`basket history`, the engine's cooldowns).

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
#[cfg(test)]
use rusqlite::OptionalExtension;
use rusqlite::{params, Connection, TransactionBehavior};
use rust_decimal::Decimal;
use serde::Serialize;

use super::basket::{add_in, delete_item, item_by_key};
use super::encode::{parse_decimal, parse_ts, ts};
use super::error::{corrupt, At};
use super::{Store, StoreError};
use crate::model::{ActionKind, Origin, ProductKey, Proposal};
use crate::text;

/// What `apply_decision` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    /// Approved, and the basket changed.
    Changed,
    /// Declined: recorded, the basket is unchanged.
    Declined,
    /// Approved, but the basket already reflected it (the same rule's add is there,
    /// or the item to remove or swap out is gone). Nothing is recorded.
    AlreadyDone,
}

/// One decision, as `history` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRecord {
    pub decided_at: DateTime<Utc>,
    pub rule: String,
    pub action: ActionKind,
    pub product_name: String,
    pub feed: String,
    pub product_id: String,
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    pub quantity: u32,
    pub approved: bool,
}

/// When a proposal was last declined, and its product's price then.
pub type LastDecline = (DateTime<Utc>, Option<Decimal>);

impl Store {
    /// The most recent decline of this proposal: when, and the price then (so the
    /// engine can wait out the rule's cooldown, or re-propose on a lower price).
    #[cfg(test)]
    pub fn last_decline(&self, proposal_id: &str) -> Result<Option<LastDecline>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT decided_at, price FROM decisions
                 WHERE proposal_id = ?1 AND decision = 'declined'
                 ORDER BY decided_at DESC, id DESC LIMIT 1",
                [proposal_id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)),
            )
            .optional()
            .at(&self.path)?;
        match row {
            None => Ok(None),
            Some((at, price)) => Ok(Some((
                parse_ts(&self.path, &at)?,
                parse_decimal(&self.path, price.as_deref())?,
            ))),
        }
    }

    /// Records the shopper's decision on `proposal` and, if approved, changes the
    /// basket, all in one transaction; the proposal stops being pending either way.
    ///
    /// Approving something the basket already reflects is not an error and changes
    /// nothing: an `add` whose product is already there from the same rule, or a
    /// `remove`/`swap` whose basket item is gone. That returns `AlreadyDone` and
    /// records no decision, so a retried approval does not show up twice in history.
    pub fn apply_decision(
        &mut self,
        proposal: &Proposal,
        approved: bool,
        now: DateTime<Utc>,
    ) -> Result<Applied, StoreError> {
        let path = &self.path;
        // Immediate: take the write lock up front, so the checks below and the
        // change they guard cannot interleave with another process's write.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(path)?;
        let outcome = if approved {
            apply_change(&tx, path, proposal, now)?
        } else {
            Applied::Declined
        };
        if outcome != Applied::AlreadyDone {
            record_decision(&tx, path, proposal, approved, now)?;
        }
        tx.execute("DELETE FROM pending WHERE id = ?1", [&proposal.id])
            .at(path)?;
        tx.commit().at(path)?;
        Ok(outcome)
    }

    /// The latest `limit` decisions, newest first.
    pub fn history(&self, limit: usize) -> Result<Vec<DecisionRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT decided_at, rule, action, product_name, feed, product_id,
                        price, currency, quantity, decision
                 FROM decisions ORDER BY decided_at DESC, id DESC LIMIT ?1",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map([limit], |r| {
                Ok(RawDecision {
                    decided_at: r.get(0)?,
                    rule: r.get(1)?,
                    action: r.get(2)?,
                    product_name: r.get(3)?,
                    feed: r.get(4)?,
                    product_id: r.get(5)?,
                    price: r.get(6)?,
                    currency: r.get(7)?,
                    quantity: r.get(8)?,
                    decision: r.get(9)?,
                })
            })
            .at(&self.path)?;
        let mut out = Vec::new();
        for row in rows {
            let raw = row.at(&self.path)?;
            out.push(raw.decode(&self.path)?);
        }
        Ok(out)
    }

    /// The latest decline of every proposal ever declined, for the engine's
    /// cooldown check (one query instead of one per candidate).
    pub fn declines(&self) -> Result<HashMap<String, LastDecline>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT proposal_id, decided_at, price FROM decisions
                 WHERE decision = 'declined'
                 ORDER BY decided_at ASC, id ASC",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .at(&self.path)?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, at, price) = row.at(&self.path)?;
            // Ascending order: later declines overwrite earlier ones.
            out.insert(
                id,
                (
                    parse_ts(&self.path, &at)?,
                    parse_decimal(&self.path, price.as_deref())?,
                ),
            );
        }
        Ok(out)
    }

    /// The products the shopper approved taking out of the basket (removed, or
    /// swapped out for another), each with the time of the latest such
    /// approval: the engine treats them like a declined proposal of the
    /// product for every rule that would bring them back, so an approved swap
    /// does not come undone on the next run. Hand removals (`basket remove`,
    /// recorded as rule "manual") are left to re-arming, as docs/rules.md says.
    pub fn taken_out(&self) -> Result<HashMap<ProductKey, DateTime<Utc>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT decided_at,
                        CASE action WHEN 'swap' THEN replaces_feed ELSE feed END,
                        CASE action WHEN 'swap' THEN replaces_id ELSE product_id END
                 FROM decisions
                 WHERE decision = 'approved' AND action IN ('remove', 'swap')
                   AND rule <> 'manual'
                 ORDER BY decided_at ASC, id ASC",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .at(&self.path)?;
        let mut out = HashMap::new();
        for row in rows {
            // A swap recorded without what it replaced names nothing taken out.
            if let (at, Some(feed), Some(id)) = row.at(&self.path)? {
                // Ascending order: later approvals overwrite earlier ones.
                out.insert(ProductKey { feed, id }, parse_ts(&self.path, &at)?);
            }
        }
        Ok(out)
    }

    /// Decisions filtered by rule and product (name words or feed/id), newest first.
    pub fn history_filtered(
        &self,
        limit: usize,
        rule: Option<&str>,
        product: Option<&str>,
    ) -> Result<Vec<DecisionRecord>, StoreError> {
        let all = self.history(usize::MAX)?;
        let want = product.map(text::words).unwrap_or_default();
        Ok(all
            .into_iter()
            .filter(|d| rule.is_none_or(|r| text::fold(&d.rule) == text::fold(r)))
            .filter(|d| {
                product.is_none_or(|q| {
                    format!("{}/{}", d.feed, d.product_id) == q.trim()
                        || d.product_id == q.trim()
                        || (!want.is_empty() && {
                            let have = text::words(&d.product_name);
                            want.iter().all(|w| have.contains(w))
                        })
                })
            })
            .take(limit)
            .collect())
    }
}

fn apply_change(
    conn: &Connection,
    path: &Path,
    proposal: &Proposal,
    now: DateTime<Utc>,
) -> Result<Applied, StoreError> {
    let key = proposal.product.key();
    match proposal.action {
        ActionKind::Add => {
            // The same rule's product already there means this approval was applied
            // before (a retry); a manual line or another rule's gets the quantity added.
            // A hand add is never a retry: each `basket add` asks for more.
            let origin = proposal.origin();
            if let Some(item) = item_by_key(conn, path, &key)? {
                if origin != Origin::Manual && item.added_by == origin {
                    return Ok(Applied::AlreadyDone);
                }
            }
            add_in(
                conn,
                path,
                &proposal.product,
                proposal.quantity,
                &proposal.rule,
                now,
            )?;
            Ok(Applied::Changed)
        }
        ActionKind::Remove => {
            if delete_item(conn, path, &key)? == 0 {
                return Ok(Applied::AlreadyDone);
            }
            Ok(Applied::Changed)
        }
        ActionKind::Swap => {
            let replaces =
                proposal
                    .replaces
                    .as_ref()
                    .ok_or_else(|| StoreError::InvalidProposal {
                        path: path.to_path_buf(),
                        id: proposal.id.clone(),
                        problem: "a swap that does not say which item it replaces".to_string(),
                    })?;
            if delete_item(conn, path, &replaces.key())? == 0 {
                return Ok(Applied::AlreadyDone);
            }
            add_in(
                conn,
                path,
                &proposal.product,
                proposal.quantity,
                &proposal.rule,
                now,
            )?;
            Ok(Applied::Changed)
        }
    }
}

fn record_decision(
    conn: &Connection,
    path: &Path,
    proposal: &Proposal,
    approved: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let product = &proposal.product;
    let replaces = proposal.replaces.as_ref();
    conn.execute(
        "INSERT INTO decisions (proposal_id, decided_at, rule, action, feed, product_id,
                                product_name, price, currency, quantity,
                                replaces_feed, replaces_id, decision)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            proposal.id,
            ts(now),
            proposal.rule,
            proposal.action.as_str(),
            product.feed,
            product.id,
            product.name,
            product.price.map(|p| p.to_string()),
            product.currency,
            proposal.quantity,
            replaces.map(|r| r.feed.as_str()),
            replaces.map(|r| r.id.as_str()),
            if approved { "approved" } else { "declined" },
        ],
    )
    .at(path)?;
    Ok(())
}

/// A `decisions` row before its text columns are parsed.
struct RawDecision {
    decided_at: String,
    rule: String,
    action: String,
    product_name: String,
    feed: String,
    product_id: String,
    price: Option<String>,
    currency: Option<String>,
    quantity: u32,
    decision: String,
}

impl RawDecision {
    fn decode(self, path: &Path) -> Result<DecisionRecord, StoreError> {
        let action = ActionKind::parse(&self.action)
            .ok_or_else(|| corrupt(path, format!("decision action '{}'", self.action)))?;
        Ok(DecisionRecord {
            decided_at: parse_ts(path, &self.decided_at)?,
            rule: self.rule,
            action,
            product_name: self.product_name,
            feed: self.feed,
            product_id: self.product_id,
            price: parse_decimal(path, self.price.as_deref())?,
            currency: self.currency,
            quantity: self.quantity,
            approved: self.decision == "approved",
        })
    }
}
