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
//!
//! One file per aggregate, each with its own `impl Store` block: `basket`,
//! `proposals` (pending), `decisions` (and their history), `observations` (price
//! history), `outbox`, `notified`, `latches` and `purchases`. This file opens the database and
//! keeps its schema current; the schema itself is in `migrations/*.sql`.

mod basket;
mod decisions;
mod encode;
mod error;
mod feed_reads;
mod latches;
mod notified;
mod observations;
mod outbox;
mod proposals;
mod purchases;

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

pub use decisions::DecisionRecord;
pub use error::StoreError;
pub use feed_reads::{FeedRead, FeedReadRecord};
#[cfg(test)]
pub use notified::NotifiedRecord;
pub use purchases::{CheckoutLine, RuleRecord};

use error::{sql_error, At};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "basket.db";

/// How long a command waits for another basket process (cron's `check`, say) to
/// finish writing before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Schema migrations, in order: `MIGRATIONS[n]` takes `user_version` n to n + 1.
/// Append only; never edit a migration that has shipped, not even its whitespace:
/// `sqlite_master` keeps each CREATE statement's text as written, so a changed
/// file would make new databases differ from old ones.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    include_str!("migrations/0001_first_schema.sql"),
    // 2: the outbox. A message is queued in the same transaction that marks its
    // products notified, then sent; a failed send stays queued for the next run,
    // so nothing is lost and nothing is sent twice.
    include_str!("migrations/0002_outbox.sql"),
    // 3: price history and re-arming. An observation is stored only when it
    // differs from the product's previous one; feeds that answered are noted so
    // "newly listed" can tell a new product from a feed never seen before.
    include_str!("migrations/0003_price_history_and_latches.sql"),
    // 4: what the last check read from each feed, for `basket feeds list`.
    include_str!("migrations/0004_feed_runs.sql"),
    // 5: purchases (`basket checkout`), and which basket lines their feed no
    // longer lists, so a checkout can say so.
    include_str!("migrations/0005_purchases.sql"),
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

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
    #[cfg(test)]
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
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
