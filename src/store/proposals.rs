//! Pending proposals: shown to the shopper and not decided yet.

use chrono::{DateTime, Utc};
use rusqlite::{params, TransactionBehavior};

use super::encode::{to_json, ts};
use super::error::{corrupt, At};
use super::{Store, StoreError};
use crate::model::{Proposal, ProposalStatus};

impl Store {
    /// Proposals shown before and not decided yet, oldest first.
    pub fn pending(&self) -> Result<Vec<Proposal>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, proposal_json FROM pending ORDER BY first_seen, seq")
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .at(&self.path)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row.at(&self.path)?;
            let mut proposal: Proposal = serde_json::from_str(&json)
                .map_err(|e| corrupt(&self.path, format!("pending proposal {id}: {e}")))?;
            proposal.status = ProposalStatus::Pending;
            out.push(proposal);
        }
        Ok(out)
    }

    /// Whether this proposal is still pending.
    #[cfg(test)]
    pub fn is_pending(&self, id: &str) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM pending WHERE id = ?1)",
                [id],
                |r| r.get(0),
            )
            .at(&self.path)
    }

    /// Remembers proposals as pending. One already pending keeps its `first_seen`
    /// (so it stays in its place and is not "new" again) but gets the latest body,
    /// since its price or reason may have changed since it was first shown.
    pub fn save_pending(
        &mut self,
        proposals: &[Proposal],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let path = &self.path;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(path)?;
        let now = ts(now);
        for proposal in proposals {
            let mut stored = proposal.clone();
            stored.status = ProposalStatus::Pending;
            let json = to_json(path, "a proposal", &stored)?;
            tx.execute(
                "INSERT INTO pending (id, proposal_json, first_seen, last_seen)
                 VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT (id) DO UPDATE SET
                     proposal_json = excluded.proposal_json,
                     last_seen = excluded.last_seen",
                params![proposal.id, json, now],
            )
            .at(path)?;
        }
        tx.commit().at(path)
    }

    /// Drops pending proposals that no longer apply (the rule stopped firing, the
    /// product went away). Unknown ids are ignored.
    pub fn forget_pending(&mut self, ids: &[String]) -> Result<(), StoreError> {
        let path = &self.path;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(path)?;
        for id in ids {
            tx.execute("DELETE FROM pending WHERE id = ?1", [id])
                .at(path)?;
        }
        tx.commit().at(path)
    }
}
