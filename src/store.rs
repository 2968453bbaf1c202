//! The store: everything basket remembers between runs, in one SQLite file
//! (`basket.db` in the data directory).
//!
//! In the flow it sits on both sides of the engine: before a run it hands the engine
//! the basket, the pending proposals and the decision history (cooldowns, "already
//! notified"); after the shopper decides, `apply_decision` records the decision and
//! changes the basket in one transaction, so Ctrl-C between prompts leaves the basket
//! exactly as the decisions taken so far made it.
//!
//! The store never reads the clock (callers pass `now`, so tests control time), knows
//! nothing of HTTP or rules, and never prints. Money is stored as decimal TEXT so it
//! comes back exactly; products and proposals are stored whole as JSON so every field
//! (three-valued facts included) round-trips without a column per field.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::{
    ActionKind, Availability, BasketItem, Observation, Product, ProductKey, Proposal,
    ProposalStatus,
};
use crate::text;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "basket.db";

/// How long a command waits for another basket process (cron's `check`, say) to
/// finish writing before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Schema migrations, in order: `MIGRATIONS[n]` takes `user_version` n to n + 1.
/// Append only; never edit a migration that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "
    CREATE TABLE basket_items (
        -- seq keeps the order items were added in: an explicit INTEGER PRIMARY KEY,
        -- because VACUUM may renumber implicit rowids.
        seq          INTEGER PRIMARY KEY,
        feed         TEXT NOT NULL,
        product_id   TEXT NOT NULL,
        product_json TEXT NOT NULL,
        quantity     INTEGER NOT NULL CHECK (quantity >= 1),
        added_by     TEXT NOT NULL,
        added_at     TEXT NOT NULL,
        UNIQUE (feed, product_id)
    );

    CREATE TABLE pending (
        seq           INTEGER PRIMARY KEY,
        id            TEXT NOT NULL UNIQUE,
        proposal_json TEXT NOT NULL,
        first_seen    TEXT NOT NULL,
        last_seen     TEXT NOT NULL
    );

    CREATE TABLE decisions (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        proposal_id   TEXT NOT NULL,
        decided_at    TEXT NOT NULL,
        rule          TEXT NOT NULL,
        action        TEXT NOT NULL CHECK (action IN ('add', 'remove', 'swap')),
        feed          TEXT NOT NULL,
        product_id    TEXT NOT NULL,
        product_name  TEXT NOT NULL,
        price         TEXT,
        currency      TEXT,
        quantity      INTEGER NOT NULL,
        -- what a swap replaced: not in DecisionRecord yet, but lost forever if not kept
        replaces_feed TEXT,
        replaces_id   TEXT,
        decision      TEXT NOT NULL CHECK (decision IN ('approved', 'declined'))
    );
    CREATE INDEX decisions_by_proposal ON decisions (proposal_id, decided_at);
    CREATE INDEX decisions_by_time ON decisions (decided_at);

    -- one row per (rule, product): the last time it was notified and what it was then
    CREATE TABLE notified (
        rule         TEXT NOT NULL,
        feed         TEXT NOT NULL,
        product_id   TEXT NOT NULL,
        price        TEXT,
        availability TEXT,
        notified_at  TEXT NOT NULL,
        PRIMARY KEY (rule, feed, product_id)
    );
    ",
    // 2: the outbox. A message is queued in the same transaction that marks its
    // products notified, then sent; a failed send stays queued for the next run,
    // so nothing is lost and nothing is sent twice.
    "
    CREATE TABLE outbox (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        channel      TEXT NOT NULL,
        message_json TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        sent_at      TEXT,
        answer       TEXT
    );
    CREATE INDEX outbox_unsent ON outbox (sent_at, id);
    ",
    // 3: price history and re-arming. An observation is stored only when it
    // differs from the product's previous one; feeds that answered are noted so
    // "newly listed" can tell a new product from a feed never seen before.
    "
    CREATE TABLE observations (
        id            INTEGER PRIMARY KEY,
        feed          TEXT NOT NULL,
        product_id    TEXT NOT NULL,
        gtin          TEXT,
        name          TEXT NOT NULL,
        price         TEXT,
        regular_price TEXT,
        currency      TEXT,
        availability  TEXT,
        observed_at   TEXT NOT NULL
    );
    CREATE INDEX observations_by_product ON observations (feed, product_id, observed_at);
    CREATE INDEX observations_by_gtin ON observations (gtin, observed_at);
    CREATE INDEX observations_by_time ON observations (observed_at);

    CREATE TABLE feed_runs (
        feed        TEXT PRIMARY KEY,
        first_ok_at TEXT NOT NULL,
        last_ok_at  TEXT NOT NULL
    );

    -- a rule that fired for a product stays latched until its condition is
    -- false for that product at some run (hysteresis)
    CREATE TABLE latches (
        rule       TEXT NOT NULL,
        feed       TEXT NOT NULL,
        product_id TEXT NOT NULL,
        since      TEXT NOT NULL,
        PRIMARY KEY (rule, feed, product_id)
    );

    CREATE TABLE rule_runs (
        rule         TEXT PRIMARY KEY,
        first_run_at TEXT NOT NULL,
        last_run_at  TEXT NOT NULL
    );
    ",
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Why the store could not do something. Each message is one line that names the
/// file, complete on its own: the underlying error is part of the message rather
/// than a `source()`, so the command layer does not print it twice.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {}: {error}", path.display())]
    CreateDir { path: PathBuf, error: io::Error },

    #[error("cannot open {}: {error}; check the data directory's permissions or pass --data-dir", path.display())]
    Open { path: PathBuf, error: io::Error },

    #[error("{} is not a basket database (file is not a database); move it aside or pass --data-dir", path.display())]
    NotADatabase { path: PathBuf },

    #[error("{} is not a basket database (it holds other tables and no basket schema version); move it aside or pass --data-dir", path.display())]
    ForeignDatabase { path: PathBuf },

    #[error("{} has schema version {found}, newer than this basket supports ({supported}); upgrade basket or pass --data-dir", path.display())]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error("{} is locked by another basket process (waited 5 s); try again when it has finished", path.display())]
    Busy { path: PathBuf },

    #[error("{}: {error}", path.display())]
    Sqlite {
        path: PathBuf,
        error: rusqlite::Error,
    },

    #[error("{}: unreadable stored data ({detail}); the file may have been edited by hand", path.display())]
    Corrupt { path: PathBuf, detail: String },

    #[error("{}: cannot encode {what} for storage: {detail}", path.display())]
    Encode {
        path: PathBuf,
        what: String,
        detail: String,
    },

    #[error("{}: proposal {id} cannot be applied: {problem}", path.display())]
    InvalidProposal {
        path: PathBuf,
        id: String,
        problem: String,
    },
}

/// Attaches the database path to rusqlite errors and sorts out the ones a shopper
/// can act on (not a database, locked) from the rest.
trait At<T> {
    fn at(self, path: &Path) -> Result<T, StoreError>;
}

impl<T> At<T> for rusqlite::Result<T> {
    fn at(self, path: &Path) -> Result<T, StoreError> {
        self.map_err(|error| sql_error(path, error))
    }
}

fn sql_error(path: &Path, error: rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy { path },
        _ => StoreError::Sqlite { path, error },
    }
}

fn corrupt(path: &Path, detail: String) -> StoreError {
    StoreError::Corrupt {
        path: path.to_path_buf(),
        detail,
    }
}

/// What `apply_decision` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    /// Approved, and the basket changed.
    Applied,
    /// Declined: recorded, the basket is unchanged.
    Declined,
    /// Approved, but the basket already reflected it (the same rule's add is there,
    /// or the item to remove or swap out is gone). Nothing is recorded.
    AlreadyApplied,
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

/// What a product looked like the last time a rule notified about it, so the
/// engine can tell "new or changed" from "already reported".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotifiedRecord {
    pub price: Option<Decimal>,
    pub availability: Option<String>,
    pub notified_at: DateTime<Utc>,
}

/// The open database. One per command; not shared between threads.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) `basket.db` in `data_dir` and brings its schema up
    /// to date. A file this build must refuse (newer schema, not a database) is left
    /// exactly as it was found.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        create_data_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        // Private before SQLite creates it (0644 under the usual umask); its
        // -wal and -shm files copy its mode. A failure here is SQLite's to report.
        let _ = crate::private::create_file(&path);
        let conn = match Connection::open(&path) {
            Ok(conn) => conn,
            Err(error) => return Err(open_error(&path, error)),
        };
        let store = Store::init(conn, path)?;
        // A store an older basket made may be world-readable.
        for suffix in ["", "-wal", "-shm"] {
            crate::private::restrict(Path::new(&format!("{}{suffix}", store.path.display())));
        }
        Ok(store)
    }

    /// A throwaway store for tests of other modules.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().at(&path)?;
        Store::init(conn, path)
    }

    fn init(mut conn: Connection, path: PathBuf) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT).at(&path)?;
        let found = retry_while_busy(|| {
            // Look before writing anything: switching to WAL rewrites the header,
            // and a file we refuse must stay byte-for-byte as it was.
            let found = checked_version(&conn, &path)?;
            // WAL lets `list` read while a cron `check` writes; NORMAL is durable
            // enough in WAL mode (a power cut may lose the last commit, never
            // corrupt). In-memory databases answer "memory" here, which is fine.
            let _mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .at(&path)?;
            Ok(found)
        })?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .at(&path)?;
        conn.pragma_update(None, "foreign_keys", "ON").at(&path)?;

        if found < SCHEMA_VERSION {
            migrate(&mut conn, &path)?;
        }
        Ok(Store { conn, path })
    }

    /// The database file (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

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
        added_by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        add_in(&self.conn, &self.path, product, quantity, added_by, now)
    }

    /// Removes the item with this key, returning it if it was there.
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

    /// The most recent decline of this proposal: when, and the price then (so the
    /// engine can wait out the rule's cooldown, or re-propose on a lower price).
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
    /// `remove`/`swap` whose basket item is gone. That returns `AlreadyApplied` and
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
        if outcome != Applied::AlreadyApplied {
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

    /// What `rule` last notified about this product, if it ever did.
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
    pub fn record_notified(
        &mut self,
        rule: &str,
        product: &Product,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        upsert_notified(&self.conn, &self.path, rule, product, now)
    }
}

impl Store {
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

    /// Everything notified before, keyed by (rule, product), for the engine.
    pub fn notified_map(
        &self,
    ) -> Result<HashMap<(String, ProductKey), crate::engine::NotifiedBefore>, StoreError> {
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
                crate::engine::NotifiedBefore {
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
        {
            let mut last = tx
                .prepare(
                    "SELECT price, regular_price, currency, availability FROM observations
                     WHERE feed = ?1 AND product_id = ?2 ORDER BY observed_at DESC, id DESC LIMIT 1",
                )
                .at(&path)?;
            let mut insert = tx
                .prepare(
                    "INSERT INTO observations
                     (feed, product_id, gtin, name, price, regular_price, currency, availability, observed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .at(&path)?;
            for p in products {
                let obs = Observation::of(p, now);
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
                    .at(&path)?;
                if let Some((price, regular, currency, availability)) = previous {
                    let before = Observation {
                        price: parse_decimal(&path, price.as_deref())?,
                        regular_price: parse_decimal(&path, regular.as_deref())?,
                        currency,
                        availability: availability.as_deref().and_then(Availability::parse),
                        ..obs.clone()
                    };
                    if before.same_state(&obs) {
                        continue;
                    }
                }
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
                    .at(&path)?;
                written += 1;
            }
            for feed in answered_feeds {
                tx.execute(
                    "INSERT INTO feed_runs (feed, first_ok_at, last_ok_at) VALUES (?1, ?2, ?2)
                     ON CONFLICT (feed) DO UPDATE SET last_ok_at = excluded.last_ok_at",
                    params![feed, ts(now)],
                )
                .at(&path)?;
            }
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
            tx.execute(
                "INSERT INTO observations
                 (feed, product_id, gtin, name, price, regular_price, currency, availability, observed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    o.feed,
                    o.id,
                    o.gtin,
                    o.name,
                    o.price.map(|d| d.to_string()),
                    o.regular_price.map(|d| d.to_string()),
                    o.currency,
                    o.availability.map(|a| a.as_str()),
                    ts(o.at),
                ],
            )
            .at(&path)?;
            written += 1;
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

/// Remembers that `rule` notified about `product` as it is now (price and
/// availability), replacing what was remembered; on the connection or inside a
/// caller's transaction.
fn upsert_notified(
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

/// Creates the data directory and any missing parents, private to the user: the
/// basket and its history are nobody else's business.
fn create_data_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|error| {
        // The OS says "File exists", which reads as if a directory were there.
        let error = if error.kind() == io::ErrorKind::AlreadyExists && !dir.is_dir() {
            io::Error::new(error.kind(), "it exists and is not a directory")
        } else {
            error
        };
        StoreError::CreateDir {
            path: dir.to_path_buf(),
            error,
        }
    })
}

/// SQLite's "unable to open database file" does not say why; asking the OS directly
/// gets the real reason (permission denied, read-only file system...) for the
/// message.
fn open_error(path: &Path, error: rusqlite::Error) -> StoreError {
    if error.sqlite_error_code() == Some(ErrorCode::CannotOpen) {
        let probe = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path);
        if let Err(io_error) = probe {
            return StoreError::Open {
                path: path.to_path_buf(),
                error: io_error,
            };
        }
    }
    sql_error(path, error)
}

/// Runs `step` again while SQLite answers "busy", for up to `BUSY_TIMEOUT` in
/// all. SQLite's own busy timeout does not cover every case: where waiting could
/// deadlock it answers SQLITE_BUSY at once, as it does to one of two connections
/// that switch a new file into WAL mode together (two `check --wait` started by
/// cron and by hand on a fresh data directory). Each retry starts the step over,
/// so it must hold no transaction across the error.
fn retry_while_busy<T>(mut step: impl FnMut() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    loop {
        match step() {
            Err(StoreError::Busy { .. }) if Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            result => return result,
        }
    }
}

/// The schema version a file holds, after refusing files this build must not
/// write to: a newer schema (an older basket would corrupt it), or some other
/// program's SQLite database. The version and the tables are read in one
/// statement, so from one snapshot: read apart, another basket's migration
/// could commit between them, and its new tables at "version 0" would look
/// like another program's.
fn checked_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let (found, tables): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version), \
                    (SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .at(path)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < 0 || (found == 0 && tables > 0) {
        return Err(StoreError::ForeignDatabase {
            path: path.to_path_buf(),
        });
    }
    Ok(found)
}

/// Applies the missing migrations and bumps `user_version`, all in one transaction:
/// a crash mid-way leaves the old schema, never half of the new one.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .at(path)?;
    // Read again under the write lock: another basket may have migrated meanwhile.
    let current = checked_version(&tx, path)?;
    let done = usize::try_from(current).unwrap_or(0);
    for sql in MIGRATIONS.iter().skip(done) {
        tx.execute_batch(sql).at(path)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .at(path)?;
    tx.commit().at(path)
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
            if let Some(item) = item_by_key(conn, path, &key)? {
                if item.added_by == proposal.rule {
                    return Ok(Applied::AlreadyApplied);
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
            Ok(Applied::Applied)
        }
        ActionKind::Remove => {
            if delete_item(conn, path, &key)? == 0 {
                return Ok(Applied::AlreadyApplied);
            }
            Ok(Applied::Applied)
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
                return Ok(Applied::AlreadyApplied);
            }
            add_in(
                conn,
                path,
                &proposal.product,
                proposal.quantity,
                &proposal.rule,
                now,
            )?;
            Ok(Applied::Applied)
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

/// Inserts a basket line or, for a product already there, adds to its quantity
/// (saturating rather than failing at u32::MAX) and refreshes the stored product.
fn add_in(
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

fn delete_item(conn: &Connection, path: &Path, key: &ProductKey) -> Result<usize, StoreError> {
    conn.execute(
        "DELETE FROM basket_items WHERE feed = ?1 AND product_id = ?2",
        params![key.feed, key.id],
    )
    .at(path)
}

fn item_by_key(
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
            added_by,
            added_at: parse_ts(path, &added_at)?,
        });
    }
    Ok(out)
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

/// Timestamps are fixed-width RFC 3339 in UTC with nanoseconds: they round-trip
/// exactly and sort correctly as text, which the ORDER BYs rely on.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn parse_ts(path: &Path, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(path, format!("timestamp '{s}': {e}")))
}

fn parse_decimal(path: &Path, s: Option<&str>) -> Result<Option<Decimal>, StoreError> {
    s.map(|s| Decimal::from_str(s).map_err(|e| corrupt(path, format!("amount '{s}': {e}"))))
        .transpose()
}

fn to_json<T: Serialize>(path: &Path, what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Encode {
        path: path.to_path_buf(),
        what: what.to_string(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::TimeZone;

    use super::*;
    use crate::model::Availability;

    fn t(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn product(feed: &str, id: &str, name: &str, price: Option<&str>, currency: &str) -> Product {
        Product {
            feed: feed.to_string(),
            id: id.to_string(),
            name: name.to_string(),
            price: price.map(dec),
            currency: price.map(|_| currency.to_string()),
            ..Product::default()
        }
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn proposal(
        rule: &str,
        action: ActionKind,
        product: Product,
        replaces: Option<Product>,
    ) -> Proposal {
        Proposal {
            id: Proposal::stable_id(
                rule,
                action,
                &product.key(),
                replaces.as_ref().map(|r| r.key()).as_ref(),
            ),
            rule: rule.to_string(),
            action,
            product,
            quantity: 1,
            replaces,
            reason: "because".to_string(),
            status: ProposalStatus::New,
            over_budget: false,
        }
    }

    fn open_temp() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn a_product_round_trips_with_its_three_valued_facts() {
        let (_dir, mut store) = open_temp();
        let full = Product {
            feed: "grocer".into(),
            id: "CHOC-1".into(),
            gtin: Some("05449000011527".into()),
            name: "Crème chocolate 100g".into(),
            brand: Some("Acme".into()),
            url: Some("https://example.test/choc".into()),
            categories: vec!["Food".into(), "en:chocolates".into()],
            price: Some(dec("1.10")),
            currency: Some("GBP".into()),
            regular_price: Some(dec("1.500")),
            availability: Some(Availability::Preorder),
            contains: set(&["milk"]),
            free_from: set(&["palm-oil"]),
            allergens: None,
            traces: Some(BTreeSet::new()),
            labels: set(&["fairtrade"]),
        };
        store.add_item(&full, 2, "manual", t(0)).unwrap();
        let basket = store.basket().unwrap();
        assert_eq!(basket.len(), 1);
        assert_eq!(basket[0].product, full);
        // Unknown and "none" stay distinct after the trip through JSON.
        assert_eq!(basket[0].product.allergens, None);
        assert_eq!(basket[0].product.traces, Some(BTreeSet::new()));
        // The scale survives: 1.500 is not 1.5.
        assert_eq!(
            basket[0].product.regular_price.unwrap().to_string(),
            "1.500"
        );
        assert_eq!(basket[0].quantity, 2);
        assert_eq!(basket[0].added_by, "manual");
        assert_eq!(basket[0].added_at, t(0));
    }

    #[test]
    fn adding_the_same_product_again_merges_quantity_and_refreshes_it() {
        let (_dir, mut store) = open_temp();
        store
            .add_item(
                &product("g", "A", "Apples", Some("1.00"), "GBP"),
                1,
                "manual",
                t(0),
            )
            .unwrap();
        store
            .add_item(
                &product("g", "B", "Bread", Some("2.00"), "GBP"),
                1,
                "manual",
                t(1),
            )
            .unwrap();
        store
            .add_item(
                &product("g", "A", "Apples", Some("0.90"), "GBP"),
                3,
                "Fruit",
                t(2),
            )
            .unwrap();
        let basket = store.basket().unwrap();
        assert_eq!(basket.len(), 2);
        // Order added, not order last touched.
        assert_eq!(basket[0].product.id, "A");
        assert_eq!(basket[0].quantity, 4);
        assert_eq!(basket[0].product.price, Some(dec("0.90")));
        assert_eq!(basket[0].added_by, "manual");
        assert_eq!(basket[0].added_at, t(0));
        assert_eq!(basket[1].product.id, "B");
    }

    #[test]
    fn remove_find_and_clear() {
        let (_dir, mut store) = open_temp();
        store
            .add_item(
                &product("g", "A1", "Dark Chocolate", None, ""),
                1,
                "manual",
                t(0),
            )
            .unwrap();
        store
            .add_item(
                &product("h", "A1", "Milk chocolate", None, ""),
                1,
                "manual",
                t(1),
            )
            .unwrap();
        store
            .add_item(
                &product("g", "C", "Crème fraîche", None, ""),
                1,
                "manual",
                t(2),
            )
            .unwrap();

        let ids = |items: Vec<BasketItem>| -> Vec<String> {
            items.iter().map(|i| i.product.key().to_string()).collect()
        };
        assert_eq!(ids(store.find_items("g/A1").unwrap()), ["g/A1"]);
        assert_eq!(ids(store.find_items("A1").unwrap()), ["g/A1", "h/A1"]);
        assert_eq!(
            ids(store.find_items("CHOCOLATE").unwrap()),
            ["g/A1", "h/A1"]
        );
        assert_eq!(ids(store.find_items("creme").unwrap()), ["g/C"]);
        assert!(store.find_items("nothing").unwrap().is_empty());
        assert!(store.find_items("  ").unwrap().is_empty());

        let key = ProductKey {
            feed: "h".into(),
            id: "A1".into(),
        };
        let removed = store.remove_item(&key).unwrap().unwrap();
        assert_eq!(removed.product.name, "Milk chocolate");
        assert_eq!(store.remove_item(&key).unwrap(), None);
        assert_eq!(store.basket().unwrap().len(), 2);

        assert_eq!(store.clear().unwrap(), 2);
        assert!(store.basket().unwrap().is_empty());
        assert_eq!(store.clear().unwrap(), 0);
    }

    #[test]
    fn totals_are_exact_and_per_currency() {
        let (_dir, mut store) = open_temp();
        store
            .add_item(
                &product("g", "A", "A", Some("1.10"), "GBP"),
                2,
                "manual",
                t(0),
            )
            .unwrap();
        store
            .add_item(
                &product("g", "B", "B", Some("3.30"), "GBP"),
                1,
                "manual",
                t(1),
            )
            .unwrap();
        store
            .add_item(
                &product("e", "C", "C", Some("0.10"), "EUR"),
                3,
                "manual",
                t(2),
            )
            .unwrap();
        store
            .add_item(&product("g", "D", "No price", None, ""), 5, "manual", t(3))
            .unwrap();
        let totals = store.totals().unwrap();
        assert_eq!(totals.len(), 2);
        assert_eq!(totals["GBP"], dec("5.50"));
        assert_eq!(totals["EUR"], dec("0.30"));
        assert_eq!(crate::model::money(totals["GBP"]), "5.50");
    }

    #[test]
    fn pending_upsert_keeps_first_seen_and_does_not_duplicate() {
        let (_dir, mut store) = open_temp();
        let a = proposal(
            "R1",
            ActionKind::Add,
            product("g", "A", "A", Some("2.00"), "GBP"),
            None,
        );
        let b = proposal(
            "R2",
            ActionKind::Add,
            product("g", "B", "B", Some("1.00"), "GBP"),
            None,
        );
        store.save_pending(std::slice::from_ref(&a), t(0)).unwrap();
        store.save_pending(std::slice::from_ref(&b), t(1)).unwrap();

        let mut cheaper = a.clone();
        cheaper.product.price = Some(dec("1.50"));
        store.save_pending(&[b.clone(), cheaper], t(5)).unwrap();

        let pending = store.pending().unwrap();
        assert_eq!(pending.len(), 2);
        // `a` was seen first, so it stays first although it was saved last.
        assert_eq!(pending[0].id, a.id);
        assert_eq!(pending[0].product.price, Some(dec("1.50")));
        assert_eq!(pending[0].status, ProposalStatus::Pending);
        assert_eq!(pending[1].id, b.id);
        let first_seen: String = store
            .conn
            .query_row(
                "SELECT first_seen FROM pending WHERE id = ?1",
                [&a.id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(first_seen, ts(t(0)));
        assert!(store.is_pending(&a.id).unwrap());

        store
            .forget_pending(&[a.id.clone(), "unknown".into()])
            .unwrap();
        assert!(!store.is_pending(&a.id).unwrap());
        assert_eq!(store.pending().unwrap().len(), 1);
    }

    #[test]
    fn approved_add_remove_and_swap_change_the_basket_and_the_history() {
        let (_dir, mut store) = open_temp();
        let spread = product("g", "SPREAD", "Choco spread", Some("3.00"), "GBP");
        let alt = product("g", "ALT", "Palm-free spread", Some("3.50"), "GBP");
        let cream = product("g", "SUN", "Sun cream", Some("7.99"), "GBP");

        let add = proposal("Sunscreen", ActionKind::Add, cream.clone(), None);
        store
            .save_pending(std::slice::from_ref(&add), t(0))
            .unwrap();
        assert_eq!(
            store.apply_decision(&add, true, t(1)).unwrap(),
            Applied::Applied
        );
        assert!(!store.is_pending(&add.id).unwrap());
        let basket = store.basket().unwrap();
        assert_eq!(basket.len(), 1);
        assert_eq!(basket[0].added_by, "Sunscreen");
        assert_eq!(basket[0].added_at, t(1));

        store.add_item(&spread, 2, "manual", t(2)).unwrap();
        let mut swap = proposal(
            "No palm oil",
            ActionKind::Swap,
            alt.clone(),
            Some(spread.clone()),
        );
        swap.quantity = 2;
        assert_eq!(
            store.apply_decision(&swap, true, t(3)).unwrap(),
            Applied::Applied
        );
        let basket = store.basket().unwrap();
        assert_eq!(
            basket
                .iter()
                .map(|i| (i.product.id.as_str(), i.quantity))
                .collect::<Vec<_>>(),
            [("SUN", 1), ("ALT", 2)]
        );
        // The swap's item is gone now, so approving it again changes nothing.
        assert_eq!(
            store.apply_decision(&swap, true, t(4)).unwrap(),
            Applied::AlreadyApplied
        );

        let remove = proposal("Too dear", ActionKind::Remove, cream.clone(), None);
        assert_eq!(
            store.apply_decision(&remove, true, t(5)).unwrap(),
            Applied::Applied
        );
        assert_eq!(
            store.apply_decision(&remove, true, t(6)).unwrap(),
            Applied::AlreadyApplied
        );
        assert_eq!(store.basket().unwrap().len(), 1);

        let history = store.history(10).unwrap();
        assert_eq!(
            history
                .iter()
                .map(|d| (d.action, d.product_id.as_str(), d.approved))
                .collect::<Vec<_>>(),
            [
                (ActionKind::Remove, "SUN", true),
                (ActionKind::Swap, "ALT", true),
                (ActionKind::Add, "SUN", true),
            ]
        );
        assert_eq!(history[2].decided_at, t(1));
        assert_eq!(history[2].rule, "Sunscreen");
        assert_eq!(history[2].price, Some(dec("7.99")));
        assert_eq!(history[2].currency.as_deref(), Some("GBP"));
        assert_eq!(history[1].quantity, 2);
        assert_eq!(store.history(1).unwrap().len(), 1);
    }

    #[test]
    fn a_decision_that_fails_half_way_changes_nothing() {
        let (_dir, mut store) = open_temp();
        let old = product("g", "OLD", "Old spread", None, "");
        store.add_item(&old, 1, "manual", t(0)).unwrap();
        // Quantity 0 makes the insert of the alternative fail after the delete of
        // the replaced item: the transaction must undo the delete.
        let mut swap = proposal(
            "R",
            ActionKind::Swap,
            product("g", "NEW", "New", None, ""),
            Some(old),
        );
        swap.quantity = 0;
        store
            .save_pending(std::slice::from_ref(&swap), t(0))
            .unwrap();
        assert!(store.apply_decision(&swap, true, t(1)).is_err());

        let basket = store.basket().unwrap();
        assert_eq!(basket.len(), 1);
        assert_eq!(basket[0].product.id, "OLD");
        assert!(store.history(10).unwrap().is_empty());
        assert!(store.is_pending(&swap.id).unwrap());
    }

    #[test]
    fn a_swap_without_the_replaced_item_is_refused() {
        let (_dir, mut store) = open_temp();
        let swap = proposal(
            "R",
            ActionKind::Swap,
            product("g", "A", "A", None, ""),
            None,
        );
        let err = store.apply_decision(&swap, true, t(0)).unwrap_err();
        assert!(matches!(err, StoreError::InvalidProposal { .. }), "{err}");
        assert!(store.history(10).unwrap().is_empty());
    }

    #[test]
    fn declining_records_history_and_leaves_the_basket() {
        let (_dir, mut store) = open_temp();
        let boots = product("boots", "BOOT-42", "Chelsea boot", Some("14.50"), "GBP");
        let add = proposal("Boots under £15", ActionKind::Add, boots.clone(), None);
        store
            .save_pending(std::slice::from_ref(&add), t(0))
            .unwrap();
        assert_eq!(store.last_decline(&add.id).unwrap(), None);

        assert_eq!(
            store.apply_decision(&add, false, t(1)).unwrap(),
            Applied::Declined
        );
        assert!(store.basket().unwrap().is_empty());
        assert!(!store.is_pending(&add.id).unwrap());
        assert_eq!(
            store.last_decline(&add.id).unwrap(),
            Some((t(1), Some(dec("14.50"))))
        );

        let mut cheaper = add.clone();
        cheaper.product.price = Some(dec("12.00"));
        store.apply_decision(&cheaper, false, t(9)).unwrap();
        assert_eq!(
            store.last_decline(&add.id).unwrap(),
            Some((t(9), Some(dec("12.00"))))
        );

        let history = store.history(10).unwrap();
        assert_eq!(history.len(), 2);
        assert!(!history[0].approved);
        assert_eq!(history[0].product_name, "Chelsea boot");
    }

    #[test]
    fn approving_the_same_add_twice_adds_it_once() {
        let (_dir, mut store) = open_temp();
        let add = proposal(
            "Sunscreen",
            ActionKind::Add,
            product("g", "SUN", "Sun cream", None, ""),
            None,
        );
        assert_eq!(
            store.apply_decision(&add, true, t(0)).unwrap(),
            Applied::Applied
        );
        assert_eq!(
            store.apply_decision(&add, true, t(1)).unwrap(),
            Applied::AlreadyApplied
        );
        let basket = store.basket().unwrap();
        assert_eq!(basket.len(), 1);
        assert_eq!(basket[0].quantity, 1);
        assert_eq!(store.history(10).unwrap().len(), 1);
    }

    #[test]
    fn an_approved_add_of_a_manual_item_adds_to_its_quantity() {
        let (_dir, mut store) = open_temp();
        let sun = product("g", "SUN", "Sun cream", None, "");
        store.add_item(&sun, 1, "manual", t(0)).unwrap();
        let add = proposal("Sunscreen", ActionKind::Add, sun, None);
        assert_eq!(
            store.apply_decision(&add, true, t(1)).unwrap(),
            Applied::Applied
        );
        assert_eq!(store.basket().unwrap()[0].quantity, 2);
    }

    #[test]
    fn notifications_are_remembered_per_rule_and_product() {
        let (_dir, mut store) = open_temp();
        let mut food = product("pets", "F1", "Cat food", Some("4.00"), "GBP");
        food.availability = Some(Availability::InStock);
        assert_eq!(store.last_notified("Pet deals", &food.key()).unwrap(), None);

        store.record_notified("Pet deals", &food, t(0)).unwrap();
        food.price = Some(dec("3.50"));
        food.availability = None;
        store.record_notified("Pet deals", &food, t(5)).unwrap();

        let seen = store
            .last_notified("Pet deals", &food.key())
            .unwrap()
            .unwrap();
        assert_eq!(
            seen,
            NotifiedRecord {
                price: Some(dec("3.50")),
                availability: None,
                notified_at: t(5)
            }
        );
        assert_eq!(
            store.last_notified("Other rule", &food.key()).unwrap(),
            None
        );
    }

    #[test]
    fn data_survives_reopening_and_the_file_is_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut store = Store::open(dir.path()).unwrap();
            assert_eq!(store.path(), dir.path().join(DB_FILE));
            store
                .add_item(
                    &product("g", "A", "Apples", Some("1.00"), "GBP"),
                    2,
                    "manual",
                    t(0),
                )
                .unwrap();
            let p = proposal("R", ActionKind::Add, product("g", "B", "B", None, ""), None);
            store.save_pending(&[p], t(0)).unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.basket().unwrap()[0].quantity, 2);
        assert_eq!(store.pending().unwrap().len(), 1);
        drop(store);

        // journal_mode=WAL is persistent: a fresh plain connection sees it.
        let raw = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let mode: String = raw
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let version: i64 = raw
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    /// Regression: two `basket check --wait` started together (cron and a shell)
    /// both open a store that does not exist yet. Switching a new file into WAL
    /// mode can fail at once with SQLITE_BUSY, without the busy timeout being
    /// consulted, and one of them failed with "locked by another basket process".
    #[test]
    fn a_new_store_opened_from_several_places_at_once_opens_everywhere() {
        const OPENERS: usize = 4;
        for round in 0..40 {
            let dir = tempfile::tempdir().unwrap();
            let start = std::sync::Barrier::new(OPENERS);
            let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..OPENERS)
                    .map(|_| {
                        scope.spawn(|| {
                            start.wait();
                            Store::open(dir.path()).map(drop).map_err(|e| e.to_string())
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for result in results {
                assert_eq!(result, Ok(()), "round {round}");
            }
            let store = Store::open(dir.path()).unwrap();
            let mode: String = store
                .conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal", "round {round}");
        }
    }

    #[test]
    fn the_connection_settings_are_applied() {
        let (_dir, store) = open_temp();
        let sync: i64 = store
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 1, "NORMAL");
        let fk: i64 = store
            .conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        let busy: i64 = store
            .conn
            .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
            .unwrap();
        assert_eq!(busy, 5000);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_data_dir_and_its_parents_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a").join("b");
        Store::open(&data).unwrap();
        for d in [dir.path().join("a"), data] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{}", d.display());
        }
    }

    #[test]
    fn a_newer_schema_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        {
            // A rollback-journal file, as a future basket might leave it: opening it
            // must not even switch it to WAL.
            let raw = Connection::open(&path).unwrap();
            raw.execute_batch("CREATE TABLE future (x); INSERT INTO future VALUES (1);")
                .unwrap();
            raw.pragma_update(None, "user_version", 99).unwrap();
        }
        let before = std::fs::read(&path).unwrap();

        let err = Store::open(dir.path()).unwrap_err();
        match &err {
            StoreError::NewerSchema {
                path: p,
                found,
                supported,
            } => {
                assert_eq!(p, &path);
                assert_eq!(*found, 99);
                assert_eq!(*supported, SCHEMA_VERSION);
            }
            other => panic!("expected NewerSchema, got {other:?}"),
        }
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(!message.contains('\n'));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_newer_schema_in_a_wal_file_is_refused_and_left_untouched() {
        // The likelier case: a file a newer basket wrote, already in WAL mode.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        {
            let mut store = Store::open(dir.path()).unwrap();
            store
                .add_item(&product("g", "A", "A", None, ""), 1, "manual", t(0))
                .unwrap();
        }
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let before = std::fs::read(&path).unwrap();

        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::NewerSchema { .. }), "{err:?}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn adding_zero_of_something_is_an_error_and_changes_nothing() {
        let (_dir, mut store) = open_temp();
        let err = store
            .add_item(&product("g", "A", "A", None, ""), 0, "manual", t(0))
            .unwrap_err();
        assert!(matches!(err, StoreError::Sqlite { .. }), "{err:?}");
        assert!(store.basket().unwrap().is_empty());
    }

    #[test]
    fn a_garbage_file_is_refused_and_left_untouched() {
        // Long and short: SQLite reads a short file differently from a long one.
        for garbage in [
            "this is not a database, just a shopping list\n".repeat(100),
            "milk\n".to_string(),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(DB_FILE);
            std::fs::write(&path, &garbage).unwrap();

            let err = Store::open(dir.path()).unwrap_err();
            assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
            assert_eq!(
                err.to_string(),
                format!(
                    "{} is not a basket database (file is not a database); move it aside or pass --data-dir",
                    path.display()
                )
            );
            assert_eq!(std::fs::read(&path).unwrap(), garbage.as_bytes());
        }
    }

    #[test]
    fn another_programs_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE basket_items (x);")
            .unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err:?}");
    }

    #[test]
    fn a_data_dir_that_cannot_be_created_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "x").unwrap();
        let data = file.join("data");

        let err = Store::open(&data).unwrap_err();
        assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(&data.display().to_string()), "{message}");
        assert!(message.contains("os error"), "{message}");
    }

    #[test]
    fn a_data_dir_that_is_a_file_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data");
        std::fs::write(&file, "x").unwrap();

        let err = Store::open(&file).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot create the data directory {}: it exists and is not a directory",
                file.display()
            )
        );
        assert_eq!(std::fs::read(&file).unwrap(), b"x");
    }

    #[test]
    fn an_in_memory_store_works() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .add_item(
                &product("g", "A", "A", Some("1.00"), "GBP"),
                1,
                "manual",
                t(0),
            )
            .unwrap();
        assert_eq!(store.basket().unwrap().len(), 1);
    }
}
