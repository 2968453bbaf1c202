//! The page loop of the shop kinds (`shopify`, `woocommerce`): page 1, 2, ...
//! of the shop's API, each through the one [`Fetcher`] (so each page is cached
//! and revalidated, retried, and `Retry-After` honoured like any feed), each
//! streamed to disk and never held with the others. Parsing then reads the
//! pages one after another ([`PagedBody::parse`]), so a shop of any size costs
//! the memory of one page.
//!
//! The loop ends at an empty page, at a page identical to the one before (a
//! shop that ignores `page=` would page forever), at a short WooCommerce page
//! or the 400 WordPress answers past the last page, or at `max_pages`, with a
//! warning when that cap cuts.

use std::io::Read;
use std::time::Duration;

use crate::model::Product;
use crate::text::fnv1a64;

use super::fetch::{FetchedFile, Fetcher};
use super::formats::{shop, shopify, woocommerce};
use super::{FeedError, FeedKind, FeedReport, FeedSource};

/// The wait between two page requests: Shopify answers 429 to clients that
/// ask faster than about two requests a second.
pub const PAGE_PAUSE: Duration = Duration::from_millis(250);

/// A shop's pages, fetched (each a file) and not yet parsed.
#[derive(Debug)]
pub struct PagedBody {
    pub pages: Vec<FetchedFile>,
    /// What the loop had to say: a cap that cut, a page that repeated, a stale
    /// page; without the feed's name.
    pub warnings: Vec<String>,
}

impl PagedBody {
    /// Streams every page's products into `sink`, page after page.
    pub fn parse(
        &self,
        source: &FeedSource,
        sink: &mut dyn FnMut(Product),
    ) -> Result<FeedReport, FeedError> {
        let mut report = FeedReport::new(&source.name);
        for (i, page) in self.pages.iter().enumerate() {
            let file = page.open().map_err(|e| FeedError::Read {
                path: page.path.display().to_string(),
                reason: e.to_string(),
            })?;
            shop::parse_shop_page(source, file, &mut report, sink)
                .map_err(|e| on_page(i + 1, e))?;
        }
        if report.records > 0 && report.records == report.skipped {
            let first_problem = report.problems.first().cloned().unwrap_or_default();
            return Err(FeedError::NoValidRecords { first_problem });
        }
        Ok(report)
    }
}

/// The URL of page `n` of a shop feed, or `None` when there is no such page
/// (a single Shopify product has one).
pub fn page_url(source: &FeedSource, n: u32) -> Option<String> {
    match source.kind {
        FeedKind::WooCommerce(_) => Some(woocommerce::page_url(&source.url, n)),
        _ => shopify::page_url(&source.url, n),
    }
}

/// Fetches a shop's pages (see the module's note for when the loop ends).
pub fn fetch_pages(fetcher: &Fetcher, source: &FeedSource) -> Result<PagedBody, FeedError> {
    let max_pages = source.kind.pages().unwrap_or_default().max_pages.max(1);
    let woo = matches!(source.kind, FeedKind::WooCommerce(_));
    let mut body = PagedBody {
        pages: Vec::new(),
        warnings: Vec::new(),
    };
    let mut previous: Option<u64> = None;
    for n in 1..=max_pages {
        let Some(url) = page_url(source, n) else {
            return Ok(body);
        };
        if n > 1 && !fetcher.options().offline {
            std::thread::sleep(PAGE_PAUSE);
        }
        let file = match fetcher.get_file(&url) {
            Ok(file) => file,
            // WordPress answers 400 (rest_post_invalid_page_number) for a page
            // past X-WP-TotalPages: the list has ended.
            Err(FeedError::Http { status: 400, .. }) if woo && n > 1 => return Ok(body),
            Err(e) => return Err(on_page(n as usize, e)),
        };
        if let Some(w) = &file.warning {
            body.warnings.push(format!("page {n}: {w}"));
        }
        let (items, hash) = peek(source, &file).map_err(|e| on_page(n as usize, e))?;
        if items == 0 {
            return Ok(body);
        }
        if previous == Some(hash) {
            body.warnings.push(format!(
                "page {n} is the same as page {}: read {} page{} only \
                 (the shop seems to ignore page=)",
                n - 1,
                n - 1,
                if n - 1 == 1 { "" } else { "s" }
            ));
            return Ok(body);
        }
        previous = Some(hash);
        body.pages.push(file);
        // WordPress fills every page but the last: a short page is the last
        // one, which saves asking for an empty page.
        if woo && items < woocommerce::PER_PAGE {
            return Ok(body);
        }
    }
    body.warnings.push(format!(
        "stopped after {max_pages} page{} (max_pages); the shop may list more: \
         raise max_pages in the feed's table to read them",
        if max_pages == 1 { "" } else { "s" }
    ));
    Ok(body)
}

/// How many products a fetched page holds, and a hash of its bytes (to tell
/// a repeated page). The page is read into memory for this, then dropped.
fn peek(source: &FeedSource, file: &FetchedFile) -> Result<(usize, u64), FeedError> {
    let mut bytes = Vec::new();
    file.open()
        .and_then(|f| {
            f.take(shop::MAX_SHOP_PAGE_BYTES + 1)
                .read_to_end(&mut bytes)
        })
        .map_err(|e| FeedError::Read {
            path: file.path.display().to_string(),
            reason: e.to_string(),
        })?;
    let hash = fnv1a64(&bytes);
    let mut report = FeedReport::new(&source.name);
    // Counting goes through the parser itself, so a page it cannot read fails
    // here, at fetch time, naming the page.
    let read = shop::parse_shop_page(source, bytes.as_slice(), &mut report, &mut |_| {})?;
    Ok((read.items, hash))
}

/// An error on page `n`, said as such; an answer that only a closed or
/// password-protected shop gives is said to be that.
fn on_page(n: usize, e: FeedError) -> FeedError {
    let closed = matches!(
        &e,
        FeedError::Http {
            status: 401..=403,
            ..
        }
    );
    let text = if closed {
        format!("{e}: the shop is password-protected or closed")
    } else {
        e.to_string()
    };
    FeedError::Shape(format!("page {n}: {text}"))
}
