//! A fetched feed's body, streamed into products: the dispatch by kind, the
//! checks on a body's start (a BOM, leading blanks, an HTML page where data
//! should be), parsing on a thread of its own while the caller works, and the
//! fetching of every catalog feed at once.

use std::io::{self, Read};
use std::time::Duration;

use crate::model::Product;

use super::fetch::{FetchedFile, Fetcher, Guard};
use super::formats::{blocked, csv, json, merchant, page, shop};
use super::paged::{self, PagedBody};
use super::{FeedError, FeedKind, FeedReport, FeedSource};

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
        // One page of a shop (the demo's built-in shop, a page on disk).
        FeedKind::Shopify(_) | FeedKind::WooCommerce(_) => {
            let mut report = FeedReport::new(&source.name);
            shop::parse_shop_page(source, reader, &mut report, sink)?;
            Ok(report)
        }
        kind @ FeedKind::OpenFoodFacts => Err(FeedError::FactsOnly(kind)),
        kind @ FeedKind::OpenPrices => Err(FeedError::HistoryOnly(kind)),
        kind @ FeedKind::MerchantLocal => Err(FeedError::LocalOnly(kind)),
    }
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
    /// A shop's pages, each on disk (`shopify`, `woocommerce`).
    Pages(PagedBody),
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
            Body::Pages(pages) => pages.parse(&self.source, sink),
        }
    }

    /// The rows of a `merchant-local` feed's body, into `sink`.
    pub fn parse_local(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        sink: &mut dyn FnMut(merchant::LocalRow),
    ) -> Result<FeedReport, FeedError> {
        match &self.body {
            Body::Bytes(bytes) => merchant::parse_local(&self.source, *bytes, now, sink),
            Body::File(file) => {
                let f = std::fs::File::open(&file.path).map_err(|e| FeedError::Read {
                    path: file.path.display().to_string(),
                    reason: e.to_string(),
                })?;
                merchant::parse_local(
                    &self.source,
                    io::BufReader::with_capacity(1 << 16, f),
                    now,
                    sink,
                )
            }
            Body::Pages(_) => Err(FeedError::Unsupported(self.source.kind)),
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
        FeedKind::Shopify(_) | FeedKind::WooCommerce(_) => {
            let pages = paged::fetch_pages(fetcher, source)?;
            let warning = (!pages.warnings.is_empty()).then(|| pages.warnings.join("; "));
            return Ok(FetchedBody {
                source: source.clone(),
                body: Body::Pages(pages),
                warning,
            });
        }
        _ => {}
    }
    let file = if source.kind == FeedKind::Page {
        // A page may be a bot wall: judged before it replaces the copy.
        let judge =
            |new: &std::path::Path, old: Option<&std::path::Path>| blocked::judge(source, new, old);
        let guard = Guard {
            refusals_blocked: true,
            body: &judge,
        };
        fetcher.get_file_guarded(&source.url, &guard)?
    } else {
        fetcher.get_file(&source.url)?
    };
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
pub(super) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// A streamed body after the checks of [`checked_body`]: the BOM dropped, the
/// leading whitespace put back in front (so parsers' line numbers and columns
/// match the file), and the first real byte.
pub(super) struct Sniffed<R> {
    pub first: u8,
    pub reader: io::Chain<io::Cursor<Vec<u8>>, R>,
}

/// Leading whitespace kept verbatim up to this size; beyond it (a hostile or broken
/// body) only its line breaks and the last line's width are kept, which is all
/// that positions depend on.
const MAX_KEPT_LEAD: usize = 64 * 1024;

/// [`checked_body`] for a stream: reads past a BOM and leading whitespace without
/// reading the body itself, and refuses an empty body or an HTML page.
pub(super) fn checked_reader<R: io::BufRead>(
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
pub(super) fn read_error(source: &FeedSource, e: &io::Error) -> FeedError {
    FeedError::Read {
        path: source.url.clone(),
        reason: e.to_string(),
    }
}

/// The body without a BOM, or the error for a body that is empty or is an HTML page
/// (a login wall, an error page, a wrong URL) where `expected` data should be.
/// Leading whitespace is kept so that parsers' line numbers match the file.
pub(super) fn checked_body<'a>(
    bytes: &'a [u8],
    expected: &'static str,
) -> Result<&'a [u8], FeedError> {
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
    use crate::feeds::formats::parse_products;
    use crate::feeds::FetchOptions;

    fn source(kind: FeedKind) -> FeedSource {
        FeedSource {
            name: "grocer".into(),
            kind,
            url: String::new(),
            currency: None,
            rate_limit: None,
            of: None,
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
            rate_limit: None,
            of: None,
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
            rate_limit: None,
            of: None,
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
}
