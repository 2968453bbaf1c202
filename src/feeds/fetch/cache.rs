//! The HTTP cache: one body file and one small JSON metadata file per URL, under
//! `CACHE_DIR/http/`, named by a hash of the URL.
//!
//! The metadata keeps what revalidation needs (`ETag`, `Last-Modified`) and when the
//! copy was last confirmed (`fetched_at`), which is how old a stale copy is said to
//! be. Both files are written to a temporary file and renamed, so a run killed
//! mid-write leaves the old copy or the new one, never half of one. The two renames
//! are not one atomic step, so the metadata also records the body's length and
//! hash: a body that does not match its metadata is treated as not cached.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::feeds::shown_url;
use crate::text::{fnv1a64, fnv1a64_continue, FNV_OFFSET};

/// What is known about a cached answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The full URL, so a hash collision is detected instead of serving another
    /// feed's body.
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// When the server last gave or confirmed (304) this body.
    pub fetched_at: DateTime<Utc>,
    /// The status the body came with (200).
    pub status: u16,
    pub body_len: u64,
    /// FNV-1a of the body, hex.
    pub body_fnv: String,
}

/// A cached answer.
#[derive(Debug, Clone)]
pub struct Entry {
    pub meta: Meta,
    pub body: Vec<u8>,
}

/// The cache directory for HTTP answers.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache under `cache_dir/http`. Nothing is created until the first store.
    pub fn new(cache_dir: &Path) -> Cache {
        Cache {
            dir: cache_dir.join("http"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keyed by the URL without credentials, which is also what the metadata
    /// keeps: a password has no business on disk, even in a private cache.
    fn paths(&self, url: &str) -> (PathBuf, PathBuf) {
        let key = format!("{:016x}", fnv1a64(shown_url(url).as_bytes()));
        (
            self.dir.join(format!("{key}.body")),
            self.dir.join(format!("{key}.json")),
        )
    }

    /// The cached answer for `url`. Missing, unreadable, corrupt or mismatched
    /// files all mean "not cached": the cache is an optimisation and a fallback,
    /// never a reason to fail.
    pub fn load(&self, url: &str) -> Option<Entry> {
        let (body_path, meta_path) = self.paths(url);
        let meta: Meta = serde_json::from_slice(&fs::read(meta_path).ok()?).ok()?;
        if meta.url != shown_url(url) {
            return None;
        }
        let body = fs::read(body_path).ok()?;
        if body.len() as u64 != meta.body_len || meta.body_fnv != body_hash(&body) {
            return None;
        }
        Some(Entry { meta, body })
    }

    /// Stores a fresh answer: body first, then the metadata that vouches for it.
    pub fn store(&self, meta: &Meta, body: &[u8]) -> io::Result<()> {
        self.ensure_dir()?;
        let (body_path, meta_path) = self.paths(&meta.url);
        let meta = Meta {
            body_len: body.len() as u64,
            body_fnv: body_hash(body),
            ..meta.clone()
        };
        write_atomic(&self.dir, &body_path, body)?;
        write_atomic(&self.dir, &meta_path, &meta_json(&meta)?)
    }

    /// The cached answer for `url` as a file, without reading it into memory: its
    /// metadata and the body's path. The body is checked against its metadata as
    /// [`Cache::load`] does (length, then the hash, read in chunks).
    pub fn load_file(&self, url: &str) -> Option<(Meta, PathBuf)> {
        let (body_path, meta_path) = self.paths(url);
        let meta: Meta = serde_json::from_slice(&fs::read(meta_path).ok()?).ok()?;
        if meta.url != shown_url(url) {
            return None;
        }
        let file = fs::File::open(&body_path).ok()?;
        if file.metadata().ok()?.len() != meta.body_len {
            return None;
        }
        let mut hasher = HashingWriter::new(io::sink());
        io::copy(
            &mut io::BufReader::with_capacity(256 * 1024, file),
            &mut hasher,
        )
        .ok()?;
        if meta.body_fnv != format!("{:016x}", hasher.hash) {
            return None;
        }
        Some((meta, body_path))
    }

    /// A new empty file in the cache directory to stream a body into, to be
    /// handed to [`Cache::store_file`]. Deleted if dropped before.
    pub fn temp_file(&self) -> io::Result<tempfile::NamedTempFile> {
        self.ensure_dir()?;
        tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&self.dir)
    }

    /// Stores a body already streamed into `body` (from [`Cache::temp_file`]),
    /// with its length and hash, by renaming it into place: the body is never
    /// copied. On failure the body comes back as a temporary path, still
    /// readable for this run and deleted when dropped.
    pub fn store_file(
        &self,
        meta: &Meta,
        body: tempfile::NamedTempFile,
        len: u64,
        hash: u64,
    ) -> Result<PathBuf, StoreFailed> {
        let (body_path, meta_path) = self.paths(&meta.url);
        let meta = Meta {
            body_len: len,
            body_fnv: format!("{hash:016x}"),
            ..meta.clone()
        };
        let failed = |error, file: tempfile::NamedTempFile| StoreFailed {
            error,
            path: file.path().to_path_buf(),
            temp: Some(file.into_temp_path()),
        };
        if let Err(e) = body.as_file().sync_all() {
            return Err(failed(e, body));
        }
        body.persist(&body_path)
            .map_err(|e| failed(e.error, e.file))?;
        match meta_json(&meta).and_then(|json| write_atomic(&self.dir, &meta_path, &json)) {
            Ok(()) => Ok(body_path),
            // The body is in place but nothing vouches for it: it will not be
            // served from the cache again, and this run reads it and drops it.
            Err(error) => Err(StoreFailed {
                error,
                temp: tempfile::TempPath::try_from_path(&body_path).ok(),
                path: body_path,
            }),
        }
    }

    /// Rewrites only the metadata (a 304 confirmed the body).
    pub fn update_meta(&self, meta: &Meta) -> io::Result<()> {
        self.ensure_dir()?;
        let (_, meta_path) = self.paths(&meta.url);
        write_atomic(&self.dir, &meta_path, &meta_json(meta)?)
    }

    /// Creates the directory readable by the user only: cached answers may carry
    /// API keys in their URLs and say what the user shops for.
    fn ensure_dir(&self) -> io::Result<()> {
        if self.dir.is_dir() {
            return Ok(());
        }
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&self.dir)
    }
}

/// Why a streamed body could not be stored, and where it is meanwhile: `temp`
/// deletes it when dropped (when the path could be taken over).
#[derive(Debug)]
pub struct StoreFailed {
    pub error: io::Error,
    pub path: PathBuf,
    pub temp: Option<tempfile::TempPath>,
}

/// A writer that passes bytes on and keeps their FNV-1a hash and count, so a body
/// streamed to disk is hashed on the way and never read twice.
pub struct HashingWriter<W> {
    inner: W,
    pub hash: u64,
    pub len: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hash: FNV_OFFSET,
            len: 0,
        }
    }

    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash = fnv1a64_continue(self.hash, &buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The hash that ties a body to its metadata.
pub fn body_hash(body: &[u8]) -> String {
    format!("{:016x}", fnv1a64(body))
}

/// Every metadata file goes through here, so no URL on disk keeps a password,
/// whichever path (`get` or `get_file`) stored it.
fn meta_json(meta: &Meta) -> io::Result<Vec<u8>> {
    let shown = Meta {
        url: shown_url(&meta.url).into_owned(),
        ..meta.clone()
    };
    serde_json::to_vec_pretty(&shown).map_err(io::Error::other)
}

/// Writes `bytes` to a temporary file in `dir`, then renames it over `path`, so
/// readers see the old file or the new one, whole.
fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    // tempfile creates the file with mode 0600.
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(url: &str) -> Meta {
        Meta {
            url: url.to_string(),
            etag: Some("\"v1\"".into()),
            last_modified: None,
            fetched_at: DateTime::parse_from_rfc3339("2026-10-03T09:00:00Z")
                .expect("valid time")
                .with_timezone(&Utc),
            status: 200,
            body_len: 0,
            body_fnv: String::new(),
        }
    }

    #[test]
    fn stores_and_loads_by_url() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = Cache::new(dir.path());
        assert!(cache.load("http://a/x").is_none());
        cache.store(&meta("http://a/x"), b"[1]").expect("store");
        let entry = cache.load("http://a/x").expect("cached");
        assert_eq!(entry.body, b"[1]");
        assert_eq!(entry.meta.etag.as_deref(), Some("\"v1\""));
        assert_eq!(entry.meta.body_len, 3);
        assert!(cache.load("http://a/y").is_none());
        // Only the two files: no temporary file is left behind.
        let names = fs::read_dir(cache.dir()).expect("dir").count();
        assert_eq!(names, 2);
    }

    #[cfg(unix)]
    #[test]
    fn the_directory_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = Cache::new(&dir.path().join("nested"));
        cache.store(&meta("http://a/x"), b"x").expect("store");
        let mode = fs::metadata(cache.dir()).expect("dir").permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn a_body_that_does_not_match_its_metadata_is_not_served() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = Cache::new(dir.path());
        cache.store(&meta("http://a/x"), b"old").expect("store");
        // As if a run died between renaming the new body and its metadata.
        let (body_path, _) = cache.paths("http://a/x");
        fs::write(body_path, b"new").expect("overwrite body");
        assert!(cache.load("http://a/x").is_none());
    }

    #[test]
    fn corrupt_metadata_is_not_cached() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = Cache::new(dir.path());
        cache.store(&meta("http://a/x"), b"x").expect("store");
        let (_, meta_path) = cache.paths("http://a/x");
        fs::write(meta_path, b"{not json").expect("overwrite meta");
        assert!(cache.load("http://a/x").is_none());
    }
}
