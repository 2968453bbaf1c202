//! The `merchant` feed kind: a Google Merchant Center product feed, as RSS 2.0 or
//! Atom XML with the attributes in the `http://base.google.com/ns/1.0` namespace,
//! or as its tab-separated form (a header row of attribute names, `g:` optional).
//!
//! Feeds of this kind are the big ones (a shop's whole catalog), so they are read
//! as a stream: only the item being read is held in memory, and each product is
//! handed to a sink as soon as its item ends. Only the attributes basket maps are
//! kept (see `docs/feeds.md`); shipping, tax, images and the rest are read past
//! without being stored.
//!
//! XML safety: no entity is ever expanded beyond the five predefined ones and
//! character references, so a `<!DOCTYPE>` declaring entities (billion laughs) is
//! inert; an item that refers to any other entity is skipped and counted. Nothing
//! external is ever read.
//!
//! A bad item is skipped and counted (`item 3 (id tddy123uk): price "abc USD" is
//! not a number`, or `line 4 ...` in the tab-separated form). A document that
//! breaks off keeps the items read before the break; only a feed that yields no
//! product at all is a [`FeedError`].
//!
//! The reading is in [`xml`] and [`tsv`]; both fill a [`RawItem`] per item,
//! which [`fields`] checks and maps to a product.

use std::io::BufRead;

use chrono::{DateTime, Utc};

use crate::feeds::{FeedError, FeedReport, FeedSource};
use crate::model::Product;
use fields::{to_product, truncate, RawItem};
pub use local::{parse_local, LocalRow};
use tsv::parse_tsv;
use xml::parse_xml;

mod fields;
mod local;
mod tsv;
mod xml;

#[cfg(test)]
mod tests;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses a merchant feed from `reader`, handing each product to `sink` as soon as
/// its item is read. `now` decides whether a `sale_price_effective_date` range is
/// in effect. The report counts every item, kept or skipped.
pub fn parse<R: BufRead>(
    source: &FeedSource,
    mut reader: R,
    now: DateTime<Utc>,
    sink: &mut dyn FnMut(Product),
) -> Result<FeedReport, FeedError> {
    let lead = sniff(source, &mut reader)?;
    if lead.first == b'<' {
        parse_xml(source, reader, lead, now, Sink::Products(sink))
    } else {
        parse_tsv(source, reader, lead, now, Sink::Products(sink))
    }
}

/// What came before the document proper: its first byte, and how many bytes and
/// line breaks (BOM, blank lines) were consumed to find it, so positions in
/// problems still match the file.
struct Lead {
    first: u8,
    bytes: u64,
    newlines: u64,
}

/// Consumes a UTF-8 BOM and leading whitespace, and peeks at the first real byte:
/// `<` is XML, anything else the tab-separated form.
fn sniff<R: BufRead>(source: &FeedSource, reader: &mut R) -> Result<Lead, FeedError> {
    let mut lead = Lead {
        first: 0,
        bytes: 0,
        newlines: 0,
    };
    let mut at_start = true;
    loop {
        let buf = reader.fill_buf().map_err(|e| read_error(source, &e))?;
        if buf.is_empty() {
            return Err(FeedError::Empty);
        }
        if std::mem::take(&mut at_start) && buf.starts_with(UTF8_BOM) {
            reader.consume(UTF8_BOM.len());
            lead.bytes += UTF8_BOM.len() as u64;
            continue;
        }
        let blank = buf
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(buf.len());
        lead.newlines += buf[..blank].iter().filter(|&&b| b == b'\n').count() as u64;
        let first = buf.get(blank).copied();
        reader.consume(blank);
        lead.bytes += blank as u64;
        if let Some(first) = first {
            lead.first = first;
            return Ok(lead);
        }
    }
}

fn read_error(source: &FeedSource, e: &dyn std::fmt::Display) -> FeedError {
    FeedError::Read {
        path: source.url.clone(),
        reason: e.to_string(),
    }
}

/// `item 3 (id tddy123uk)`, or `item 3` before the id is known.
fn label(what: &str, n: u64, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("{what} {n} (id {})", truncate(id)),
        None => format!("{what} {n}"),
    }
}

/// Where finished items go: a catalog's products, or a local inventory
/// feed's rows (the same readers serve both).
enum Sink<'a> {
    Products(&'a mut dyn FnMut(Product)),
    Local(&'a mut dyn FnMut(LocalRow)),
}

/// Hands a finished item to the sink, or counts why it was skipped.
struct Emitter<'a> {
    source: &'a FeedSource,
    now: DateTime<Utc>,
    sink: Sink<'a>,
    report: FeedReport,
    kept: usize,
}

impl Emitter<'_> {
    fn emit(&mut self, at: String, raw: RawItem, problem: Option<String>) {
        if let Sink::Local(sink) = &mut self.sink {
            match problem.map_or_else(|| local::to_row(self.source, raw), Err) {
                Ok(row) => {
                    self.report.kept();
                    self.kept += 1;
                    sink(row);
                }
                Err(problem) => self.report.skip(format!("{at}: {problem}")),
            }
            return;
        }
        let result = match problem {
            Some(problem) => Err(problem),
            None => to_product(self.source, raw, self.now),
        };
        match result {
            Ok((product, kept_without)) => {
                self.report.kept();
                if let Some(problem) = kept_without {
                    self.report.kept_without(format!("{at}: {problem}"));
                }
                self.kept += 1;
                if let Sink::Products(sink) = &mut self.sink {
                    sink(product);
                }
            }
            Err(problem) => self.report.skip(format!("{at}: {problem}")),
        }
    }

    /// The report, or the error for a feed where every item was bad.
    fn finish(self) -> Result<FeedReport, FeedError> {
        if self.kept == 0 {
            if let Some(first) = self.report.problems.first() {
                return Err(FeedError::NoValidRecords {
                    first_problem: first.clone(),
                });
            }
        }
        Ok(self.report)
    }
}
