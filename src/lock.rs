//! One `basket check` at a time per data directory: an advisory lock on
//! `basket.lock`, held for the whole run, so a cron run and an interactive run
//! never evaluate and apply the same proposals twice. The holder's pid is
//! written into the file so the other run can say who holds it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub const LOCK_FILE: &str = "basket.lock";

/// Held until dropped; the OS releases it if the process dies.
#[derive(Debug)]
pub struct CheckLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another basket check is running (pid {pid})")]
    Held { pid: String },
    #[error("cannot lock {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// Takes the lock; with `wait`, blocks until the other run finishes.
pub fn acquire(data_dir: &Path, wait: bool) -> Result<CheckLock, LockError> {
    let path = data_dir.join(LOCK_FILE);
    let io = |error| LockError::Io {
        path: path.clone(),
        error,
    };
    // The lock runs before the store opens, so it may be what creates the data
    // directory: private, like the store in it.
    crate::private::create_dir(data_dir).map_err(io)?;
    let mut file = crate::private::open_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    if wait {
        file.lock().map_err(io)?;
    } else {
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(LockError::Held {
                    pid: if pid.is_empty() {
                        "unknown".into()
                    } else {
                        pid.to_string()
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
    }
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    write!(file, "{}", std::process::id()).map_err(io)?;
    file.flush().map_err(io)?;
    Ok(CheckLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_holder_pid() {
        let dir = tempfile::tempdir().expect("tempdir");
        let _held = acquire(dir.path(), false).expect("first lock");
        let err = acquire(dir.path(), false).expect_err("second lock must fail");
        assert_eq!(
            err.to_string(),
            format!(
                "another basket check is running (pid {})",
                std::process::id()
            )
        );
    }

    #[test]
    fn the_lock_is_released_on_drop() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(acquire(dir.path(), false).expect("first lock"));
        assert!(acquire(dir.path(), false).is_ok());
    }
}
