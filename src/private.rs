//! Files only the user may read: the basket, its decisions and the HTTP cache
//! say what someone shops for, and cached answers may carry API keys in their
//! URLs. Directories basket creates are 0700 and its files 0600, whatever the
//! umask, and the rules file (which decides what gets proposed) is checked for
//! being writable by other users. Unix only; elsewhere these do nothing special.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` and any missing parents as 0700 (existing ones are left alone:
/// `--data-dir ~/shared` is the user's choice).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Options that create a missing file as 0600.
pub fn open_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Creates `path` empty as 0600 if it does not exist, so that a library that
/// creates it otherwise (SQLite: 0644 under the usual umask, and its `-wal` and
/// `-shm` files copy the database's mode) finds it private already.
pub fn create_file(path: &Path) -> io::Result<()> {
    match open_options().write(true).create_new(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Takes group and other permissions off `path` if it exists (a store made by
/// an older basket). Best effort: a file basket cannot chmod is still usable.
pub fn restrict(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path) {
            let mode = meta.permissions().mode();
            if meta.is_file() && mode & 0o077 != 0 {
                let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o700));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Whether users other than the owner (and its group) may write `path`.
pub fn writable_by_others(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o002 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn creates_private_dirs_and_files_and_restricts_old_ones() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("a/b");
        create_dir(&dir).expect("create");
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("f");
        create_file(&file).expect("create file");
        assert_eq!(mode(&file), 0o600);
        fs::write(&file, "kept").expect("write");
        create_file(&file).expect("exists already");
        assert_eq!(fs::read_to_string(&file).expect("read"), "kept");

        let old = dir.join("old");
        fs::write(&old, "x").expect("write");
        fs::set_permissions(&old, fs::Permissions::from_mode(0o666)).expect("chmod");
        assert!(writable_by_others(&old));
        restrict(&old);
        assert_eq!(mode(&old), 0o600);
        assert!(!writable_by_others(&old));
        restrict(&dir.join("missing"));
    }
}
