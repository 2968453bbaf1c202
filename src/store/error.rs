//! Why the store could not do something, and the one place rusqlite's errors are
//! turned into messages a shopper can act on.

use std::io;
use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

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
pub(super) trait At<T> {
    fn at(self, path: &Path) -> Result<T, StoreError>;
}

impl<T> At<T> for rusqlite::Result<T> {
    fn at(self, path: &Path) -> Result<T, StoreError> {
        self.map_err(|error| sql_error(path, error))
    }
}

pub(super) fn sql_error(path: &Path, error: rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy { path },
        _ => StoreError::Sqlite { path, error },
    }
}

pub(super) fn corrupt(path: &Path, detail: String) -> StoreError {
    StoreError::Corrupt {
        path: path.to_path_buf(),
        detail,
    }
}
