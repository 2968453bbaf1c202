//! Feeds: where products and the forecast come from.
//!
//! This module turns the bytes of a product feed (JSON, CSV, a product page,
//! and merchant XML) into [`Product`]s, Open Food Facts answers into facts about
//! the GTINs of those products, Open Prices answers into price history for them,
//! and an Open-Meteo answer into a [`Forecast`].
//! It knows nothing of rules: the engine folds over what comes out of here.
//! Fetching goes through one [`Fetcher`], so timeouts, the size cap, retries and
//! the HTTP cache live in one place.
//!
//! A bad record is skipped and counted in a [`FeedReport`], never fatal; a feed
//! that cannot be read at all is a [`FeedError`], which the caller turns into a
//! warning naming the feed while the other feeds carry on.

use std::fmt;
use std::io::{self, Read};
use std::time::Duration;

use crate::model::Product;

mod cache;
mod csv;
mod fetch;
mod json;
pub mod merchant;
mod page;
mod record;

pub mod price;

pub mod open_meteo;
pub mod open_prices;
pub mod openfoodfacts;

pub use fetch::{FetchOptions, Fetched, FetchedFile, Fetcher};

/// The format of a product feed, as named by `kind` in the rules file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    Json,
    Csv,
    Merchant,
    Page,
    OpenFoodFacts,
    /// Price history for given GTINs from the Open Prices API; fills history, not
    /// a catalog.
    OpenPrices,
}

impl FeedKind {
    /// Every kind's name, in the order the docs list them (for "did you mean" hints).
    pub const ALL: [&'static str; 6] = [
        "json",
        "csv",
        "merchant",
        "page",
        "openfoodfacts",
        "open-prices",
    ];

    /// Reads a kind's name from the rules file (case-insensitive, trimmed).
    pub fn parse(s: &str) -> Option<FeedKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Some(FeedKind::Json),
            "csv" => Some(FeedKind::Csv),
            "merchant" => Some(FeedKind::Merchant),
            "page" => Some(FeedKind::Page),
            "openfoodfacts" => Some(FeedKind::OpenFoodFacts),
            "open-prices" => Some(FeedKind::OpenPrices),
            _ => None,
        }
    }

    /// Kinds that add price history for GTINs rather than list products.
    pub fn fills_history_only(self) -> bool {
        self == FeedKind::OpenPrices
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Json => "json",
            FeedKind::Csv => "csv",
            FeedKind::Merchant => "merchant",
            FeedKind::Page => "page",
            FeedKind::OpenFoodFacts => "openfoodfacts",
            FeedKind::OpenPrices => "open-prices",
        }
    }
}

impl fmt::Display for FeedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One feed table of the rules file.
#[derive(Debug, Clone)]
pub struct FeedSource {
    /// The table's key; every product of the feed carries it as `Product::feed`.
    pub name: String,
    pub kind: FeedKind,
    /// `http(s)://`, `file://` or a plain path.
    pub url: String,
    /// Used for records that give no currency of their own.
    pub currency: Option<String>,
}

/// What parsing a feed found: records seen, records skipped and the first few reasons.
#[derive(Debug, Clone, Default)]
pub struct FeedReport {
    pub feed: String,
    /// Every record seen, good or bad.
    pub records: usize,
    /// Records that were not turned into products.
    pub skipped: usize,
    /// The first [`MAX_PROBLEMS`] reasons, e.g. `line 88: price "abc" is not a number`.
    pub problems: Vec<String>,
}

/// How many skip reasons a report keeps: enough to show the pattern, bounded for
/// a feed where every record is bad.
pub const MAX_PROBLEMS: usize = 3;

impl FeedReport {
    fn new(feed: &str) -> FeedReport {
        FeedReport {
            feed: feed.to_string(),
            ..FeedReport::default()
        }
    }

    /// Counts a record that was kept.
    fn kept(&mut self) {
        self.records += 1;
    }

    /// Counts a record that was skipped, keeping the reason if there is room.
    fn skip(&mut self, problem: String) {
        self.records += 1;
        self.skipped += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        }
    }

    /// The one-line warning for skipped records, or `None` when nothing was skipped:
    /// `feed 'grocer': 3 of 1,204 records skipped: line 88: price "abc" is not a number`.
    pub fn warning(&self) -> Option<String> {
        if self.skipped == 0 {
            return None;
        }
        let noun = if self.records == 1 {
            "record"
        } else {
            "records"
        };
        let mut text = format!(
            "feed '{}': {} of {} {noun} skipped",
            self.feed,
            thousands(self.skipped),
            thousands(self.records)
        );
        if let Some(first) = self.problems.first() {
            text.push_str(": ");
            text.push_str(first);
        }
        Some(text)
    }
}

/// `1204` -> `1,204`: counts in warnings are read by people.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A feed's products and what parsing it found.
#[derive(Debug)]
pub struct FetchedFeed {
    pub source: FeedSource,
    pub products: Vec<Product>,
    pub report: FeedReport,
    /// How the fetch went wrong but was saved by the cache (or that it was served
    /// offline), without the feed's name: `HTTP 503 Service Unavailable, used the
    /// cached copy from 2 hours ago`.
    pub warning: Option<String>,
}

/// Why a feed (or the forecast) could not be used at all.
///
/// Each message is one short line without the feed's name: the caller prefixes
/// `feed 'grocer': `.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    #[error("unsupported URL scheme '{scheme}' in {}", shown_url(.url))]
    UnsupportedScheme { scheme: String, url: String },
    #[error("HTTP {status}{} from {}{}", reason_suffix(.reason), shown_url(.url), detail_suffix(.detail))]
    Http {
        status: u16,
        reason: Option<String>,
        url: String,
        /// What the server said in its error body, when it said it in a known way.
        detail: Option<String>,
    },
    #[error("timed out after {}", seconds(.after))]
    Timeout { after: Duration },
    #[error("cannot connect to {}: {}", shown_url(.url), scrub(.reason, .url))]
    Connect { url: String, reason: String },
    #[error("request to {} failed: {}", shown_url(.url), scrub(.reason, .url))]
    Request { url: String, reason: String },
    #[error("response larger than the {} limit", size(*.limit))]
    TooLarge { limit: u64 },
    /// `--offline` and the URL was never fetched before.
    #[error("not in the cache, and --offline forbids fetching it")]
    NotCached { url: String },
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("empty response")]
    Empty,
    #[error("answered with an HTML page, not {expected}")]
    Html { expected: &'static str },
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON must be UTF-8 (RFC 8259); a Latin-1 or Windows-1252 export is the
    /// usual cause, and serde_json's "invalid unicode code point" does not say so.
    #[error("not UTF-8 text: byte 0x{byte:02X} at line {line}, column {column} (is it Latin-1?)")]
    NotUtf8 {
        byte: u8,
        line: usize,
        column: usize,
    },
    #[error("not valid CSV: {0}")]
    Csv(String),
    #[error("missing column {0}")]
    MissingColumn(String),
    /// The document parsed but is not shaped like the format says.
    #[error("{0}")]
    Shape(String),
    #[error("no valid records: {first_problem}")]
    NoValidRecords { first_problem: String },
    #[error("kind '{0}' is not supported yet")]
    Unsupported(FeedKind),
    /// An `openfoodfacts` feed named where a catalog is expected: it is asked per
    /// GTIN by `openfoodfacts::fetch_facts`, never fetched whole.
    #[error(
        "an {0} feed supplies facts for products of other feeds; it is not fetched as a catalog"
    )]
    FactsOnly(FeedKind),
    /// An `open-prices` feed named where a catalog is expected: it is asked per
    /// GTIN by `open_prices::fetch_prices` and fills the price history.
    #[error(
        "an {0} feed fills the price history of products of other feeds; it is not fetched as a catalog"
    )]
    HistoryOnly(FeedKind),
    /// The service answered but refused the request (Open-Meteo's `"error": true`).
    #[error("the service refused the request: {0}")]
    Refused(String),
    #[error("no daily forecast in the answer")]
    NoDaily,
    /// A parser thread panicked: a bug, reported as this feed's failure only.
    #[error("internal error while reading the feed")]
    Panicked,
}

/// A URL as basket shows it: without the `user:password@` a feed URL may carry
/// for HTTP basic auth (the query is kept: it tells feeds apart). Anything that
/// does not parse as a URL is shown as given: a path, or text that was never a
/// request.
pub fn shown_url(url: &str) -> std::borrow::Cow<'_, str> {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            std::borrow::Cow::Owned(u.to_string())
        }
        _ => std::borrow::Cow::Borrowed(url),
    }
}

/// A reason from the HTTP stack, with `url` (should it quote it) shown without
/// its credentials.
fn scrub(reason: &str, url: &str) -> String {
    let shown = shown_url(url);
    if shown == url {
        return reason.to_string();
    }
    let mut text = reason.replace(url, &shown);
    // reqwest quotes the parsed form, which may differ in spelling (a trailing
    // slash, lowercase host); drop any `user:password@` left over.
    if let Ok(u) = reqwest::Url::parse(url) {
        if let Some(password) = u.password() {
            text = text.replace(&format!(":{password}@"), "@");
        }
    }
    text
}

fn reason_suffix(reason: &Option<String>) -> String {
    reason.as_ref().map(|r| format!(" {r}")).unwrap_or_default()
}

fn detail_suffix(detail: &Option<String>) -> String {
    detail
        .as_ref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

/// `30 s`, or `0.25 s` for the short timeouts tests use.
fn seconds(d: &Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

/// `64 MiB`, `512 KiB`, `1000 bytes`: the cap as the user configured it.
fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * MIB;
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Parses a feed's bytes by its kind, as of the wall clock now. Kinds not written
/// yet are an error, so a rules file that names one gets a clear warning instead of
/// an empty feed.
pub fn parse_products(source: &FeedSource, bytes: &[u8]) -> Result<FetchedFeed, FeedError> {
    parse_products_at(source, bytes, chrono::Utc::now())
}

/// [`parse_products`] as of `now`: a merchant feed's sale prices hold only within
/// their effective dates, and a run (or a test) fixes its own "now".
pub fn parse_products_at(
    source: &FeedSource,
    bytes: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<FetchedFeed, FeedError> {
    let (products, report) = match source.kind {
        FeedKind::Json => json::parse(source, bytes)?,
        FeedKind::Csv => csv::parse(source, bytes)?,
        FeedKind::Merchant => {
            let mut products = Vec::new();
            let report = merchant::parse(source, bytes, now, &mut |p| products.push(p))?;
            (products, report)
        }
        FeedKind::Page => return page::parse(source, bytes),
        kind @ FeedKind::OpenFoodFacts => return Err(FeedError::FactsOnly(kind)),
        kind @ FeedKind::OpenPrices => return Err(FeedError::HistoryOnly(kind)),
    };
    Ok(FetchedFeed {
        source: source.clone(),
        products,
        report,
        warning: None,
    })
}

/// The largest product page read: a page is read whole (it holds one product),
/// so it keeps the cap that whole bodies had before feeds were streamed.
pub const MAX_PAGE_BYTES: u64 = 64 * 1024 * 1024;

/// Parses a feed from `reader` by its kind, handing each product to `sink` as soon
/// as it is read, so a feed of any size needs the memory of one record (plus what
/// the sink keeps). `now` decides a merchant feed's sale dates.
///
/// JSON, CSV and merchant feeds are streamed; a product page is read whole (it
/// is one small page, refused over [`MAX_PAGE_BYTES`]). On an `Err` the sink may
/// already have received the products read before a break (a truncated JSON
/// list): a caller folding over the stream treats the feed as failed all the same.
pub fn parse_stream(
    source: &FeedSource,
    reader: impl io::BufRead,
    now: chrono::DateTime<chrono::Utc>,
    sink: &mut dyn FnMut(Product),
) -> Result<FeedReport, FeedError> {
    match source.kind {
        FeedKind::Json => json::parse_reader(source, reader, sink),
        FeedKind::Csv => csv::parse_reader(source, reader, sink),
        FeedKind::Merchant => merchant::parse(source, reader, now, sink),
        FeedKind::Page => {
            let mut bytes = Vec::new();
            reader
                .take(MAX_PAGE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| read_error(source, &e))?;
            if bytes.len() as u64 > MAX_PAGE_BYTES {
                return Err(FeedError::TooLarge {
                    limit: MAX_PAGE_BYTES,
                });
            }
            let feed = page::parse(source, &bytes)?;
            feed.products.into_iter().for_each(&mut *sink);
            Ok(feed.report)
        }
        kind @ FeedKind::OpenFoodFacts => Err(FeedError::FactsOnly(kind)),
        kind @ FeedKind::OpenPrices => Err(FeedError::HistoryOnly(kind)),
    }
}

/// The GTINs to ask a per-product API (Open Food Facts, Open Prices): folded
/// to 14 digits to drop duplicates (the first spelling is the one asked), with
/// a warning for each value that is not a GTIN.
pub(crate) fn gtin_queue(feed: &str, gtins: &[String]) -> (Vec<String>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut queue = Vec::new();
    for raw in gtins {
        let digits: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.is_empty() {
            continue;
        }
        match crate::model::normalize_gtin(&digits).filter(|_| digits.len() >= 8) {
            Some(gtin14) => {
                if seen.insert(gtin14) {
                    queue.push(digits);
                }
            }
            None => warnings.push(format!(
                "{feed}: \"{}\" is not a GTIN (8 to 14 digits), not asked",
                raw.trim()
            )),
        }
    }
    (queue, warnings)
}

/// Runs `ask` on each item with at most `concurrency` at once (0 counts as 1),
/// answers in the items' order; `None` where a worker panicked. A shared
/// cursor, not a split of the list: a slow answer holds up one worker while
/// the others carry on with the rest.
pub(crate) fn ask_each<T: Send>(
    items: &[String],
    concurrency: usize,
    ask: impl Fn(&str) -> T + Sync,
) -> Vec<Option<T>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let workers = concurrency.clamp(1, items.len().max(1));
    let mut answers: Vec<Option<T>> = (0..items.len()).map(|_| None).collect();
    let done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, ask(item)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (i, answer) in done {
        answers[i] = Some(answer);
    }
    answers
}

/// A catalog feed's body, fetched but not parsed: parsing streams from it, so
/// a feed of any size is never held in memory whole.
pub struct FetchedBody {
    pub source: FeedSource,
    pub body: Body,
    /// What the fetch had to say (a stale copy, an offline copy).
    pub warning: Option<String>,
}

pub enum Body {
    /// On disk: the cache's copy, a local file, or a temporary file.
    File(FetchedFile),
    /// In memory (the demo's built-in feeds).
    Bytes(&'static [u8]),
}

impl FetchedBody {
    /// Streams the body's products into `sink`, in feed order.
    pub fn parse(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        sink: &mut dyn FnMut(Product),
    ) -> Result<FeedReport, FeedError> {
        match &self.body {
            Body::Bytes(bytes) => parse_stream(&self.source, *bytes, now, sink),
            Body::File(file) => {
                let f = std::fs::File::open(&file.path).map_err(|e| FeedError::Read {
                    path: file.path.display().to_string(),
                    reason: e.to_string(),
                })?;
                parse_stream(
                    &self.source,
                    io::BufReader::with_capacity(1 << 16, f),
                    now,
                    sink,
                )
            }
        }
    }

    /// [`FetchedBody::parse`], [`pipelined`]: the parsing on a thread of its
    /// own while `sink` works on this one.
    pub fn parse_pipelined(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        sink: &mut dyn FnMut(&mut Product),
    ) -> Result<FeedReport, FeedError> {
        pipelined(|products| self.parse(now, products), sink)
    }
}

/// Runs `parse` on a thread of its own and hands its products to `sink` on
/// this one, in feed order, a batch at a time: the caller (the engine) works
/// on one batch while the next is parsed, so on two cores a check over a large
/// feed takes about as long as parsing it. At most a few batches are in
/// flight, so memory stays bounded whatever the feed's size.
///
/// `sink` gets each product by `&mut`; what it leaves there goes back to the
/// parsing thread to be freed, because memory freed by a thread other than the
/// one that allocated it is slow to free (a lock on glibc's arena; a deferred
/// free list in mimalloc, which basket runs with): that alone made a
/// pipelined parse slower than a plain one. A sink that keeps a product takes
/// it (`std::mem::take`).
pub fn pipelined<P>(parse: P, sink: &mut dyn FnMut(&mut Product)) -> Result<FeedReport, FeedError>
where
    P: FnOnce(&mut dyn FnMut(Product)) -> Result<FeedReport, FeedError> + Send,
{
    const BATCH: usize = 512;
    const IN_FLIGHT: usize = 4;
    let (batches, received) = std::sync::mpsc::sync_channel::<Vec<Product>>(IN_FLIGHT);
    let (used, to_reuse) = std::sync::mpsc::channel::<Vec<Product>>();
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            // Set when this side stops listening (it panicked): parsing then
            // runs to its end without keeping anything.
            let mut gone = false;
            let result = parse(&mut |p| {
                if gone {
                    return;
                }
                batch.push(p);
                if batch.len() == BATCH {
                    // A used batch when there is one: its products are freed
                    // here, where they were allocated, and its room reused.
                    let mut next = to_reuse
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                    next.clear();
                    let full = std::mem::replace(&mut batch, next);
                    gone = batches.send(full).is_err();
                }
            });
            if !batch.is_empty() && !gone {
                // A failed send means this side is gone; nothing is waiting.
                let _ = batches.send(batch);
            }
            result
        });
        for mut batch in received {
            batch.iter_mut().for_each(&mut *sink);
            // Once parsing has finished nobody takes it back: it is freed here.
            let _ = used.send(batch);
        }
        parser.join().unwrap_or(Err(FeedError::Panicked))
    })
}

/// Fetches every catalog feed concurrently, each body streamed to disk (the
/// cache), results in the order of `sources`. Parsing is left to the caller,
/// who folds the products into the engine one at a time.
pub fn fetch_bodies(
    fetcher: &Fetcher,
    sources: &[FeedSource],
) -> Vec<Result<FetchedBody, FeedError>> {
    let progress = Progress::new(fetcher.options().progress);
    std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .iter()
            .map(|source| {
                let bar = progress.feed(&source.name);
                scope.spawn(move || {
                    let result = fetch_body(fetcher, source);
                    bar.finish_and_clear();
                    result
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(FeedError::Panicked)))
            .collect()
    })
}

fn fetch_body(fetcher: &Fetcher, source: &FeedSource) -> Result<FetchedBody, FeedError> {
    match source.kind {
        FeedKind::OpenFoodFacts => return Err(FeedError::FactsOnly(source.kind)),
        FeedKind::OpenPrices => return Err(FeedError::HistoryOnly(source.kind)),
        _ => {}
    }
    let file = fetcher.get_file(&source.url)?;
    let warning = file.warning.clone();
    Ok(FetchedBody {
        source: source.clone(),
        body: Body::File(file),
        warning,
    })
}

/// The spinners of [`fetch_bodies`], or hidden bars that draw nothing.
struct Progress {
    multi: Option<indicatif::MultiProgress>,
}

impl Progress {
    fn new(enabled: bool) -> Progress {
        Progress {
            multi: enabled.then(|| {
                indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr())
            }),
        }
    }

    fn feed(&self, name: &str) -> indicatif::ProgressBar {
        let Some(multi) = &self.multi else {
            return indicatif::ProgressBar::hidden();
        };
        let bar = multi.add(indicatif::ProgressBar::new_spinner());
        bar.set_message(format!("feed '{name}': fetching"));
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }
}

/// Drops a UTF-8 byte order mark: spreadsheet exports often start with one.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// A streamed body after the checks of [`checked_body`]: the BOM dropped, the
/// leading whitespace put back in front (so parsers' line numbers and columns
/// match the file), and the first real byte.
pub(crate) struct Sniffed<R> {
    pub first: u8,
    pub reader: io::Chain<io::Cursor<Vec<u8>>, R>,
}

/// Leading whitespace kept verbatim up to this size; beyond it (a hostile or broken
/// body) only its line breaks and the last line's width are kept, which is all
/// that positions depend on.
const MAX_KEPT_LEAD: usize = 64 * 1024;

/// [`checked_body`] for a stream: reads past a BOM and leading whitespace without
/// reading the body itself, and refuses an empty body or an HTML page.
pub(crate) fn checked_reader<R: io::BufRead>(
    source: &FeedSource,
    mut reader: R,
    expected: &'static str,
) -> Result<Sniffed<R>, FeedError> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let mut lead = Vec::new();
    // How much of a BOM has been read, byte by byte: a reader may hand over
    // fewer than three bytes at a time.
    let mut bom = 0;
    let first = loop {
        let buf = reader.fill_buf().map_err(|e| read_error(source, &e))?;
        if buf.is_empty() {
            if bom > 0 && bom < BOM.len() {
                // Not a BOM after all, just a short body.
                return Ok(Sniffed {
                    first: BOM[0],
                    reader: io::Cursor::new(BOM[..bom].to_vec()).chain(reader),
                });
            }
            return Err(FeedError::Empty);
        }
        if bom < BOM.len() && lead.is_empty() {
            if buf[0] == BOM[bom] {
                bom += 1;
                reader.consume(1);
                continue;
            }
            if bom > 0 {
                // A partial BOM: those bytes were the body's own; put them back.
                return Ok(Sniffed {
                    first: BOM[0],
                    reader: io::Cursor::new(BOM[..bom].to_vec()).chain(reader),
                });
            }
            bom = BOM.len();
        }
        let blank = buf
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(buf.len());
        lead.extend_from_slice(&buf[..blank]);
        let first = buf.get(blank).copied();
        reader.consume(blank);
        if lead.len() > MAX_KEPT_LEAD {
            lead = compact_lead(&lead);
        }
        if let Some(first) = first {
            break first;
        }
    };
    if first == b'<' {
        return Err(FeedError::Html { expected });
    }
    Ok(Sniffed {
        first,
        reader: io::Cursor::new(lead).chain(reader),
    })
}

/// Whitespace with the same line breaks and last-line width, in fewer bytes.
fn compact_lead(lead: &[u8]) -> Vec<u8> {
    let last_line = lead.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut out: Vec<u8> = lead[..last_line]
        .iter()
        .filter(|&&b| b == b'\n')
        .copied()
        .collect();
    let tail = &lead[last_line..];
    out.extend_from_slice(&tail[..tail.len().min(MAX_KEPT_LEAD)]);
    out
}

/// A failure to read a feed's bytes (a file, or a body being streamed).
fn read_error(source: &FeedSource, e: &io::Error) -> FeedError {
    FeedError::Read {
        path: source.url.clone(),
        reason: e.to_string(),
    }
}

/// The body without a BOM, or the error for a body that is empty or is an HTML page
/// (a login wall, an error page, a wrong URL) where `expected` data should be.
/// Leading whitespace is kept so that parsers' line numbers match the file.
fn checked_body<'a>(bytes: &'a [u8], expected: &'static str) -> Result<&'a [u8], FeedError> {
    let bytes = strip_bom(bytes);
    let first = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .ok_or(FeedError::Empty)?;
    if *first == b'<' {
        return Err(FeedError::Html { expected });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(kind: FeedKind) -> FeedSource {
        FeedSource {
            name: "grocer".into(),
            kind,
            url: String::new(),
            currency: None,
        }
    }

    /// A CSV feed of `n` rows, the last one broken.
    fn csv_feed(n: usize) -> String {
        let mut body = String::from("id,name,price\n");
        for i in 0..n {
            body.push_str(&format!("{i},Product {i},1.00\n"));
        }
        body.push_str("broken,row\n");
        body
    }

    #[test]
    fn pipelined_parsing_hands_over_every_product_in_order() {
        let body = csv_feed(5_000);
        let mut ids = Vec::new();
        let report = pipelined(
            |sink| {
                parse_stream(
                    &source(FeedKind::Csv),
                    body.as_bytes(),
                    chrono::Utc::now(),
                    sink,
                )
            },
            &mut |p| ids.push(std::mem::take(&mut p.id)),
        )
        .expect("the feed parses");
        let expected: Vec<String> = (0..5_000).map(|i| i.to_string()).collect();
        assert_eq!(ids, expected);
        assert_eq!((report.records, report.skipped), (5_001, 1));
    }

    #[test]
    fn pipelined_parsing_keeps_what_came_before_a_failure() {
        let mut seen = 0;
        let result = pipelined(
            |sink| {
                parse_stream(
                    &source(FeedKind::Csv),
                    csv_feed(700).as_bytes(),
                    chrono::Utc::now(),
                    sink,
                )?;
                Err(FeedError::Csv("the stream broke".into()))
            },
            &mut |_| seen += 1,
        );
        assert_eq!(seen, 700);
        assert!(matches!(result, Err(FeedError::Csv(m)) if m == "the stream broke"));
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for name in FeedKind::ALL {
            let kind = FeedKind::parse(name).expect("every listed name parses");
            assert_eq!(kind.as_str(), name);
        }
        assert_eq!(FeedKind::parse(" JSON "), Some(FeedKind::Json));
        assert_eq!(FeedKind::parse("xml"), None);
    }

    #[test]
    fn warning_counts_with_separators_and_shows_the_first_problem() {
        let report = FeedReport {
            feed: "grocer".into(),
            records: 1204,
            skipped: 3,
            problems: vec![
                "line 88: price \"abc\" is not a number".into(),
                "line 90: no name".into(),
            ],
        };
        assert_eq!(
            report.warning().as_deref(),
            Some(
                "feed 'grocer': 3 of 1,204 records skipped: line 88: price \"abc\" is not a number"
            )
        );
        assert_eq!(FeedReport::new("x").warning(), None);
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn report_keeps_at_most_three_problems() {
        let mut r = FeedReport::new("f");
        for i in 0..5 {
            r.skip(format!("record {i}: bad"));
        }
        r.kept();
        assert_eq!(
            (r.records, r.skipped, r.problems.len()),
            (6, 5, MAX_PROBLEMS)
        );
    }

    #[test]
    fn error_messages_are_one_line() {
        let e = FeedError::Http {
            status: 503,
            reason: Some("Service Unavailable".into()),
            url: "http://127.0.0.1:4000/cat.json".into(),
            detail: None,
        };
        assert_eq!(
            e.to_string(),
            "HTTP 503 Service Unavailable from http://127.0.0.1:4000/cat.json"
        );
        assert_eq!(
            FeedError::TooLarge {
                limit: 64 * 1024 * 1024
            }
            .to_string(),
            "response larger than the 64 MiB limit"
        );
        assert_eq!(
            FeedError::Timeout {
                after: Duration::from_secs(30)
            }
            .to_string(),
            "timed out after 30 s"
        );
        assert_eq!(
            FeedError::Unsupported(FeedKind::Page).to_string(),
            "kind 'page' is not supported yet"
        );
    }

    #[test]
    fn unsupported_kinds_are_an_error_not_an_empty_feed() {
        let err = parse_products(&source(FeedKind::OpenFoodFacts), b"{}").expect_err("facts only");
        assert_eq!(
            err.to_string(),
            "an openfoodfacts feed supplies facts for products of other feeds; \
             it is not fetched as a catalog"
        );
        let sources = [FeedSource {
            url: "http://127.0.0.1:9/never-asked".into(),
            ..source(FeedKind::OpenFoodFacts)
        }];
        let fetcher = Fetcher::new(FetchOptions::default()).expect("client builds");
        assert!(matches!(
            fetch_bodies(&fetcher, &sources)[0],
            Err(FeedError::FactsOnly(FeedKind::OpenFoodFacts))
        ));
    }

    #[test]
    fn open_prices_is_history_not_a_catalog() {
        let err = parse_products(&source(FeedKind::OpenPrices), b"{}").expect_err("history only");
        assert_eq!(
            err.to_string(),
            "an open-prices feed fills the price history of products of other feeds; \
             it is not fetched as a catalog"
        );
        let sources = [FeedSource {
            url: "http://127.0.0.1:9/never-asked".into(),
            ..source(FeedKind::OpenPrices)
        }];
        let fetcher = Fetcher::new(FetchOptions::default()).expect("client builds");
        assert!(matches!(
            fetch_bodies(&fetcher, &sources)[0],
            Err(FeedError::HistoryOnly(FeedKind::OpenPrices))
        ));
    }

    #[test]
    fn fetch_bodies_keeps_order_and_isolates_failures() {
        let dir = tempfile::tempdir().expect("temp dir");
        let json_path = dir.path().join("a.json");
        let csv_path = dir.path().join("b.csv");
        std::fs::write(
            &json_path,
            br#"[{"id":"1","name":"Tea","price":"abc"},{"id":"2","name":"Jam"}]"#,
        )
        .expect("write json");
        std::fs::write(&csv_path, b"id,name\n1,Gum\n").expect("write csv");
        let at = |name: &str, kind, path: &std::path::Path| FeedSource {
            name: name.into(),
            kind,
            url: path.display().to_string(),
            currency: None,
        };
        let sources = [
            at("a", FeedKind::Json, &json_path),
            at("gone", FeedKind::Csv, &dir.path().join("missing.csv")),
            at("b", FeedKind::Csv, &csv_path),
            at("shop", FeedKind::Page, &csv_path),
        ];
        let fetcher = Fetcher::new(FetchOptions::default()).expect("client builds");
        let results = fetch_bodies(&fetcher, &sources);
        assert_eq!(results.len(), 4);
        let parse = |i: usize| {
            let body = results[i]
                .as_ref()
                .map_err(|e| e.to_string())
                .expect("fetched");
            let mut products = Vec::new();
            let report = body.parse(chrono::Utc::now(), &mut |p| products.push(p));
            (body.source.name.clone(), products, report)
        };
        let (name, products, report) = parse(0);
        assert_eq!((name.as_str(), products.len()), ("a", 1));
        assert_eq!(
            report.expect("a parses").warning().as_deref(),
            Some("feed 'a': 1 of 2 records skipped: record 1: price \"abc\" is not a number")
        );
        assert!(matches!(results[1], Err(FeedError::Read { .. })));
        let (_, products, _) = parse(2);
        assert_eq!(products[0].name, "Gum");
        // A page feed is fetched, then parsed; a CSV file has no product page in it.
        let (_, _, report) = parse(3);
        assert!(matches!(&report, Err(FeedError::Shape(m)) if m.starts_with("no price found")));
    }

    #[test]
    fn progress_on_changes_nothing_but_the_drawing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("b.csv");
        std::fs::write(&path, b"id,name\n1,Gum\n").expect("write csv");
        let sources = [FeedSource {
            name: "b".into(),
            kind: FeedKind::Csv,
            url: path.display().to_string(),
            currency: None,
        }];
        let fetcher = Fetcher::new(FetchOptions {
            progress: true,
            ..FetchOptions::default()
        })
        .expect("client builds");
        let results = fetch_bodies(&fetcher, &sources);
        let b = results[0]
            .as_ref()
            .map_err(|e| e.to_string())
            .expect("b fetched");
        assert_eq!(b.warning, None);
        let mut n = 0;
        b.parse(chrono::Utc::now(), &mut |_| n += 1)
            .expect("b parses");
        assert_eq!(n, 1);
    }

    #[test]
    fn parse_products_dispatches_by_kind() {
        let feed = parse_products(&source(FeedKind::Json), br#"[{"id":"1","name":"Tea"}]"#)
            .expect("valid json");
        assert_eq!(feed.products.len(), 1);
        assert_eq!(feed.products[0].feed, "grocer");
        let feed = parse_products(&source(FeedKind::Csv), b"id,name\n1,Tea\n").expect("valid csv");
        assert_eq!(feed.products[0].name, "Tea");
    }
}

pub mod demo;
