//! Persist: what a run leaves in the store besides the decisions: pending
//! proposals, the price history, re-arming, what was notified and the outbox.

use std::collections::HashSet;

use anyhow::Context as _;

use crate::context::Context;
use crate::engine;
use crate::error::{CmdResult, Failure};
use crate::model::{FailedInputs, Product, Proposal};
use crate::rules::RuleSet;
use crate::store::Store;

/// Batches the watched products of a streaming check into the price history.
pub(super) struct HistoryWriter {
    enabled: bool,
    batch: Vec<Product>,
    pub(super) written: usize,
    error: Option<crate::store::StoreError>,
}

impl HistoryWriter {
    const BATCH: usize = 2_000;

    pub(super) fn new(enabled: bool) -> HistoryWriter {
        HistoryWriter {
            enabled,
            batch: Vec::new(),
            written: 0,
            error: None,
        }
    }

    pub(super) fn push(
        &mut self,
        store: &mut Store,
        p: Product,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        if !self.enabled || self.error.is_some() {
            return;
        }
        self.batch.push(p);
        if self.batch.len() >= Self::BATCH {
            // Kept for `flush`, which the caller checks: a write error must not
            // be lost inside the parser's callback.
            if let Err(e) = self.write(store, now) {
                self.error = Some(e);
            }
        }
    }

    fn write(
        &mut self,
        store: &mut Store,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), crate::store::StoreError> {
        let refs: Vec<&Product> = self.batch.iter().collect();
        let n = store.record_observations(&refs, &[], now);
        self.batch.clear();
        self.written += n?;
        Ok(())
    }

    pub(super) fn flush(
        &mut self,
        store: &mut Store,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Failure> {
        if let Some(e) = self.error.take() {
            return Err(e.into());
        }
        if !self.batch.is_empty() {
            self.write(store, now)?;
        }
        Ok(())
    }
}

/// How far back the rules look into price history: the longest
/// `lowest_in_days` or `price_drop_pct` window, at least a day.
pub(super) fn history_window(ruleset: &RuleSet) -> chrono::Duration {
    let days = ruleset
        .rules
        .iter()
        .flat_map(|r| r.selector.iter().chain(r.action.product_selector()))
        .flat_map(|s| [s.lowest_in_days, s.price_drop_pct.map(|d| d.days)])
        .flatten()
        .max()
        .unwrap_or(1)
        .max(1);
    chrono::Duration::days(i64::from(days))
}

pub(super) fn uses_history(ruleset: &RuleSet) -> bool {
    ruleset
        .rules
        .iter()
        .filter(|r| r.enabled)
        .flat_map(|r| r.selector.iter().chain(r.action.product_selector()))
        .any(|s| s.uses_history())
}

/// Feeds that only fill history (their points are matched to products by GTIN).
pub(super) fn history_only_feeds(ruleset: &RuleSet) -> HashSet<String> {
    ruleset
        .feeds
        .iter()
        .filter(|f| f.kind.fills_history_only())
        .map(|f| f.name.clone())
        .collect()
}

/// Writes this run into the price history (only for feeds that answered: a
/// failed feed is unknown, never "out of stock"), applies re-arming, and prunes
/// history past the retention.
pub(super) fn record_history(
    ctx: &Context,
    store: &mut Store,
    ruleset: &RuleSet,
    failed: &FailedInputs,
    outcome: &engine::Outcome,
    written: usize,
    listed: &HashSet<crate::model::ProductKey>,
) -> CmdResult {
    let catalog = ruleset.catalog_feeds();
    let answered: Vec<&str> = catalog
        .iter()
        .filter(|f| failed.catalog_failed(&f.name).is_none())
        .map(|f| f.name.as_str())
        .collect();
    // The observations were written while the feeds streamed; this notes the
    // feeds that answered.
    store.record_observations(&[], &answered, ctx.now)?;
    store.note_listing(listed, &answered, ctx.now)?;
    ctx.info(&format!(
        "history: {written} price change{} recorded",
        if written == 1 { "" } else { "s" }
    ));
    store.update_latches(
        &outcome.latch_set,
        &outcome.latch_clear,
        &outcome.rules_ran,
        ctx.now,
    )?;
    let keep = chrono::Duration::days(i64::from(ruleset.settings.history_days));
    store.prune_observations(ctx.now - keep)?;
    Ok(())
}

/// Remembers what was notified and, with `--notify`, queues one message per
/// channel, in one transaction, so a message is never lost between the two.
pub(super) fn queue_notifications(
    ctx: &Context,
    store: &mut Store,
    ruleset: &RuleSet,
    notifications: &[crate::model::Notification],
    proposals: &[Proposal],
    notify: bool,
) -> CmdResult {
    let notified: Vec<(&str, &Product)> = notifications
        .iter()
        .filter(|n| n.new)
        .flat_map(|n| n.products.iter().map(move |p| (n.rule.as_str(), p)))
        .collect();
    let mut messages = Vec::new();
    if notify {
        for channel in ruleset.notify.channels() {
            let digest =
                crate::notify::Digest::for_channel(&channel, notifications, proposals, ctx.now);
            if !digest.is_empty() {
                let json = serde_json::to_string(&digest.message())
                    .context("cannot serialise the notification")?;
                messages.push((channel, json));
            }
        }
    }
    let messages: Vec<(&str, String)> = messages
        .iter()
        .map(|(c, j)| (c.as_str(), j.clone()))
        .collect();
    store.record_notifications(&notified, &messages, ctx.now)?;
    Ok(())
}

/// Sends every queued message, this run's and those earlier runs failed to send.
/// A failure is a warning and the message stays queued; the run still succeeds.
pub fn send_queued(
    ctx: &Context,
    store: &mut Store,
    ruleset: &RuleSet,
) -> Result<Vec<String>, Failure> {
    let mut warnings = Vec::new();
    for entry in store.unsent()? {
        let message: crate::notify::Message = match serde_json::from_str(&entry.message_json) {
            Ok(m) => m,
            Err(e) => {
                store.mark_failed(entry.id, &format!("unreadable queued message: {e}"))?;
                continue;
            }
        };
        let id = crate::notify::message_id(entry.id, entry.created_at);
        match crate::notify::send(&ruleset.notify, &entry.channel, &message, &id) {
            Ok(answer) => {
                ctx.info(&format!("notify {}: sent ({answer})", entry.channel));
                store.mark_sent(entry.id, &answer, ctx.now)?;
            }
            Err(e) => {
                store.mark_failed(entry.id, &e.to_string())?;
                warnings.push(format!(
                    "notify {}: not sent ({e}); it stays queued and will be retried on the next run",
                    entry.channel
                ));
            }
        }
    }
    Ok(warnings)
}

/// Stores what was found as pending, and forgets pending proposals that a rule
/// which ran this time no longer makes (the price went back up, the item left).
/// A proposal about a product of a feed that failed this run is kept: the rule
/// could not see that product, which says nothing about whether it still holds.
pub(super) fn remember(
    ctx: &Context,
    store: &mut Store,
    ruleset: &RuleSet,
    proposals: &[Proposal],
    explanations: &[engine::Explanation],
    failed: &FailedInputs,
) -> CmdResult {
    store.save_pending(proposals, ctx.now)?;
    let made: HashSet<&str> = proposals.iter().map(|p| p.id.as_str()).collect();
    let ran: HashSet<&str> = explanations
        .iter()
        .filter(|e| e.evaluated)
        .map(|e| e.rule.as_str())
        .collect();
    let known: HashSet<&str> = ruleset.rules.iter().map(|r| r.name.as_str()).collect();
    let stale: Vec<String> = store
        .pending()?
        .into_iter()
        .filter(|p| !made.contains(p.id.as_str()))
        .filter(|p| ran.contains(p.rule.as_str()) || !known.contains(p.rule.as_str()))
        .filter(|p| {
            let unseen = |feed: &str| failed.catalog_failed(feed).is_some();
            !unseen(&p.product.feed) && !p.replaces.as_ref().is_some_and(|r| unseen(&r.feed))
        })
        .map(|p| p.id)
        .collect();
    store.forget_pending(&stale)?;
    Ok(())
}
