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

use std::borrow::Cow;
use std::io::{BufRead, Read};
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;
use rust_decimal::Decimal;

use crate::model::{Availability, Product};

use crate::feeds::{FeedError, FeedReport, FeedSource};

/// Google's namespace; the prefix bound to it varies between feeds (`g:`, `gm:`...).
const GOOGLE_NS: &[u8] = b"http://base.google.com/ns/1.0";
const ATOM_NS: &[u8] = b"http://www.w3.org/2005/Atom";
const RSS1_NS: &[u8] = b"http://purl.org/rss/1.0/";

/// The longest text kept for one attribute. Real values are a few hundred bytes;
/// the cap keeps a hostile or broken item from growing one string without bound.
const MAX_FIELD: usize = 64 * 1024;

/// A read buffer that grew past this (one huge description) is dropped after use,
/// so a single odd item does not pin its memory for the rest of the feed.
const MAX_KEPT_BUFFER: usize = 1024 * 1024;

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
        parse_xml(source, reader, lead, now, sink)
    } else {
        parse_tsv(source, reader, lead, now, sink)
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

/// The attributes basket maps. XML elements and TSV columns both name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Title,
    Brand,
    Gtin,
    Upc,
    Ean,
    ProductType,
    GoogleCategory,
    Price,
    SalePrice,
    SaleDates,
    Availability,
    Link,
    /// The legacy Google Base currency, given apart from a bare `g:price`.
    Currency,
    /// RSS `<title>` / Atom `<title>`, used when there is no `g:title`.
    PlainTitle,
    /// RSS `<link>` / Atom `<link href>`, used when there is no `g:link`.
    PlainLink,
    /// RSS `<guid>` / Atom `<id>`: the item's id when there is no `g:id` (the
    /// legacy Google Base feeds had none).
    Guid,
}

impl Field {
    /// A Google attribute by its name (an element's local name, or a TSV column).
    fn google(name: &[u8]) -> Option<Field> {
        Some(match name {
            b"id" => Field::Id,
            b"title" => Field::Title,
            b"brand" => Field::Brand,
            b"gtin" => Field::Gtin,
            b"upc" => Field::Upc,
            b"ean" => Field::Ean,
            b"product_type" => Field::ProductType,
            b"google_product_category" => Field::GoogleCategory,
            b"price" => Field::Price,
            b"sale_price" => Field::SalePrice,
            b"sale_price_effective_date" => Field::SaleDates,
            b"availability" => Field::Availability,
            b"link" => Field::Link,
            b"currency" => Field::Currency,
            _ => return None,
        })
    }

    /// An RSS or Atom element of the item itself.
    fn plain(name: &[u8]) -> Option<Field> {
        Some(match name {
            b"title" => Field::PlainTitle,
            b"link" => Field::PlainLink,
            b"guid" | b"id" => Field::Guid,
            _ => return None,
        })
    }

    /// The name problems use, as the feed's author wrote it.
    fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Title => "title",
            Field::Brand => "brand",
            Field::Gtin => "gtin",
            Field::Upc => "upc",
            Field::Ean => "ean",
            Field::ProductType => "product_type",
            Field::GoogleCategory => "google_product_category",
            Field::Price => "price",
            Field::SalePrice => "sale_price",
            Field::SaleDates => "sale_price_effective_date",
            Field::Availability => "availability",
            Field::Link => "link",
            Field::Currency => "currency",
            Field::PlainTitle => "<title>",
            Field::PlainLink => "<link>",
            Field::Guid => "<guid>",
        }
    }
}

/// One item's attributes as text, before any of them is checked.
#[derive(Debug, Default)]
struct RawItem {
    id: Option<String>,
    title: Option<String>,
    brand: Option<String>,
    gtin: Option<String>,
    upc: Option<String>,
    ean: Option<String>,
    /// `g:product_type` may be given more than once; every path counts.
    product_types: Vec<String>,
    google_categories: Vec<String>,
    price: Option<String>,
    sale_price: Option<String>,
    sale_dates: Option<String>,
    availability: Option<String>,
    link: Option<String>,
    currency: Option<String>,
    plain_title: Option<String>,
    plain_link: Option<String>,
    guid: Option<String>,
}

impl RawItem {
    /// Stores a value, trimmed; blank values are "not given". For single-valued
    /// attributes the first one wins, as a repeated `g:price` would otherwise
    /// silently change the price.
    fn set(&mut self, field: Field, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let slot = match field {
            Field::ProductType => return self.product_types.push(value.to_string()),
            Field::GoogleCategory => return self.google_categories.push(value.to_string()),
            Field::Id => &mut self.id,
            Field::Title => &mut self.title,
            Field::Brand => &mut self.brand,
            Field::Gtin => &mut self.gtin,
            Field::Upc => &mut self.upc,
            Field::Ean => &mut self.ean,
            Field::Price => &mut self.price,
            Field::SalePrice => &mut self.sale_price,
            Field::SaleDates => &mut self.sale_dates,
            Field::Availability => &mut self.availability,
            Field::Link => &mut self.link,
            Field::Currency => &mut self.currency,
            Field::PlainTitle => &mut self.plain_title,
            Field::PlainLink => &mut self.plain_link,
            Field::Guid => &mut self.guid,
        };
        if slot.is_none() {
            *slot = Some(value.to_string());
        }
    }

    /// The id problems name the item by, when it has one.
    fn shown_id(&self) -> Option<&str> {
        self.id.as_deref().or(self.guid.as_deref())
    }
}

/// `item 3 (id tddy123uk)`, or `item 3` before the id is known.
fn label(what: &str, n: u64, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("{what} {n} (id {})", truncate(id)),
        None => format!("{what} {n}"),
    }
}

/// Hands a finished item to the sink, or counts why it was skipped.
struct Emitter<'a> {
    source: &'a FeedSource,
    now: DateTime<Utc>,
    sink: &'a mut dyn FnMut(Product),
    report: FeedReport,
    kept: usize,
}

impl Emitter<'_> {
    fn emit(&mut self, at: String, raw: RawItem, problem: Option<String>) {
        let result = match problem {
            Some(problem) => Err(problem),
            None => to_product(self.source, raw, self.now),
        };
        match result {
            Ok(product) => {
                self.report.kept();
                self.kept += 1;
                (self.sink)(product);
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

/// Where an element's name is bound, reduced to what the mapping cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Google,
    /// No namespace (RSS 2.0), Atom, or RSS 1.0: the item's own elements.
    Plain,
    Other,
}

fn classify(ns: &ResolveResult<'_>) -> Ns {
    match ns {
        ResolveResult::Bound(Namespace(uri)) if *uri == GOOGLE_NS => Ns::Google,
        ResolveResult::Bound(Namespace(uri)) if *uri == ATOM_NS || *uri == RSS1_NS => Ns::Plain,
        ResolveResult::Unbound => Ns::Plain,
        // Some hand-written feeds use `g:` without declaring it; the intent is clear.
        ResolveResult::Unknown(prefix) if prefix == b"g" => Ns::Google,
        _ => Ns::Other,
    }
}

/// The item being read, and the attribute whose text is being collected.
struct OpenItem {
    /// Depth of the `<item>`/`<entry>` element; its attributes are one deeper.
    depth: usize,
    raw: RawItem,
    /// The first reason to skip the item, found while reading it.
    problem: Option<String>,
    capture: Option<Field>,
    text: String,
}

impl OpenItem {
    fn fail(&mut self, problem: String) {
        self.problem.get_or_insert(problem);
    }

    /// Appends text to the attribute being collected, within [`MAX_FIELD`].
    fn push(&mut self, field: Field, text: &str) {
        if self.text.len() + text.len() > MAX_FIELD {
            self.fail(format!(
                "{} is longer than {} KiB",
                field.name(),
                MAX_FIELD / 1024
            ));
            return;
        }
        self.text.push_str(text);
    }
}

fn parse_xml<R: BufRead>(
    source: &FeedSource,
    reader: R,
    lead: Lead,
    now: DateTime<Utc>,
    sink: &mut dyn FnMut(Product),
) -> Result<FeedReport, FeedError> {
    let mut xml = NsReader::from_reader(reader);
    // A bare `&` ("Black & Decker") is a common slip in hand-made feeds; reading it
    // as itself keeps the item, where strict XML would end the whole document.
    xml.config_mut().allow_dangling_amp = true;

    let mut out = Emitter {
        source,
        now,
        sink,
        report: FeedReport::new(&source.name),
        kept: 0,
    };
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut root_seen = false;
    let mut items = 0u64;
    let mut item: Option<OpenItem> = None;

    loop {
        if buf.capacity() > MAX_KEPT_BUFFER {
            buf = Vec::new();
        }
        buf.clear();
        let (ns, event) = match xml.read_resolved_event_into(&mut buf) {
            Ok((ns, event)) => (classify(&ns), event),
            Err(e) => {
                let at = xml.error_position() + lead.bytes;
                let detail = format!("not valid XML at byte {at}: {e}");
                return broken(out, item, items, &detail);
            }
        };
        let is_start = matches!(event, Event::Start(_));
        match event {
            Event::Start(e) | Event::Empty(e) if !root_seen => {
                check_root(&e)?;
                root_seen = true;
                depth += usize::from(is_start);
            }
            Event::Start(e) => {
                depth += 1;
                match &mut item {
                    None if is_item(ns, &e) => {
                        items += 1;
                        item = Some(OpenItem {
                            depth,
                            raw: RawItem::default(),
                            problem: None,
                            capture: None,
                            text: String::new(),
                        });
                    }
                    None => {}
                    Some(open) if depth == open.depth + 1 => {
                        open.capture = field_of(ns, &e);
                        open.text.clear();
                        if open.capture == Some(Field::PlainLink) {
                            atom_link(open, &e);
                        }
                    }
                    Some(_) => {}
                }
            }
            Event::Empty(e) => match &mut item {
                // An empty `<item/>` is an item without an id.
                None if is_item(ns, &e) => {
                    items += 1;
                    out.emit(label("item", items, None), RawItem::default(), None);
                }
                Some(open) if depth == open.depth && field_of(ns, &e) == Some(Field::PlainLink) => {
                    atom_link(open, &e);
                }
                _ => {}
            },
            Event::End(_) => {
                if let Some(open) = &mut item {
                    if depth == open.depth + 1 {
                        if let Some(field) = open.capture.take() {
                            let text = std::mem::take(&mut open.text);
                            open.raw.set(field, &text);
                            open.text = text;
                        }
                    } else if depth == open.depth {
                        if let Some(done) = item.take() {
                            let at = label("item", items, done.raw.shown_id());
                            out.emit(at, done.raw, done.problem);
                        }
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) => {
                if let Some(open) = capturing(&mut item, depth) {
                    match t.decode() {
                        Ok(text) => push_text(open, &text),
                        Err(e) => open.fail(format!("not valid UTF-8: {e}")),
                    }
                }
            }
            Event::CData(t) => {
                if let Some(open) = capturing(&mut item, depth) {
                    match t.decode() {
                        Ok(text) => push_text(open, &text),
                        Err(e) => open.fail(format!("not valid UTF-8: {e}")),
                    }
                }
            }
            Event::GeneralRef(r) => {
                if let Some(open) = &mut item {
                    let name = String::from_utf8_lossy(&r).into_owned();
                    let resolved: Option<Cow<'static, str>> = if r.is_char_ref() {
                        r.resolve_char_ref()
                            .ok()
                            .flatten()
                            .map(|c| Cow::Owned(c.to_string()))
                    } else {
                        // Only the five predefined entities: anything a DOCTYPE
                        // declared is refused, never expanded.
                        quick_xml::escape::resolve_xml_entity(&name).map(Cow::Borrowed)
                    };
                    match resolved {
                        Some(text) => {
                            if let Some(field) = open.capture.filter(|_| depth == open.depth + 1) {
                                open.push(field, &text);
                            }
                        }
                        None => open.fail(format!(
                            "uses the entity &{}; (only XML's predefined entities are expanded, never a DTD's)",
                            truncate(&name)
                        )),
                    }
                }
            }
            Event::DocType(d) => {
                let text = String::from_utf8_lossy(&d);
                if text.trim_start().to_ascii_lowercase().starts_with("html") {
                    return Err(FeedError::Html {
                        expected: "a merchant feed",
                    });
                }
            }
            Event::Eof => {
                if !root_seen {
                    return Err(FeedError::Shape(
                        "no RSS or Atom feed element in the document".into(),
                    ));
                }
                if depth > 0 {
                    return broken(
                        out,
                        item,
                        items,
                        "not valid XML: the file ends before the feed does (truncated?)",
                    );
                }
                break;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    out.finish()
}

/// The item whose attribute text is being collected at this depth, if any.
fn capturing(item: &mut Option<OpenItem>, depth: usize) -> Option<&mut OpenItem> {
    item.as_mut()
        .filter(|open| open.capture.is_some() && depth == open.depth + 1)
}

fn push_text(open: &mut OpenItem, text: &str) {
    if let Some(field) = open.capture {
        open.push(field, text);
    }
}

/// The root must be a feed; an HTML page (a login wall, an error page) is told
/// apart so the warning says what went wrong.
fn check_root(e: &BytesStart<'_>) -> Result<(), FeedError> {
    let name = e.local_name();
    let name = name.as_ref();
    if name.eq_ignore_ascii_case(b"html") {
        return Err(FeedError::Html {
            expected: "a merchant feed",
        });
    }
    if matches!(name, b"rss" | b"feed" | b"RDF") {
        return Ok(());
    }
    Err(FeedError::Shape(format!(
        "expected an RSS or Atom feed, found <{}>",
        truncate(&String::from_utf8_lossy(e.name().as_ref()))
    )))
}

fn is_item(ns: Ns, e: &BytesStart<'_>) -> bool {
    ns == Ns::Plain && matches!(e.local_name().as_ref(), b"item" | b"entry")
}

fn field_of(ns: Ns, e: &BytesStart<'_>) -> Option<Field> {
    match ns {
        Ns::Google => Field::google(e.local_name().as_ref()),
        Ns::Plain => Field::plain(e.local_name().as_ref()),
        Ns::Other => None,
    }
}

/// Atom gives the link as `<link rel="alternate" href="..."/>`; other `rel`s
/// (enclosures, edit links) are not the product page.
fn atom_link(open: &mut OpenItem, e: &BytesStart<'_>) {
    let mut href = None;
    let mut alternate = true;
    for attr in e.attributes().flatten() {
        let value = attr.normalized_value_with(
            quick_xml::XmlVersion::Implicit1_0,
            1,
            quick_xml::escape::resolve_xml_entity,
        );
        let Ok(value) = value else { continue };
        match attr.key.local_name().as_ref() {
            b"href" => href = Some(value.into_owned()),
            b"rel" => alternate = value.trim() == "alternate",
            _ => {}
        }
    }
    if let (Some(href), true) = (href, alternate) {
        open.raw.set(Field::PlainLink, &href);
    }
}

/// The document broke off: keep what was read, count the break, and fail the
/// feed only if it gave no product at all.
fn broken(
    mut out: Emitter<'_>,
    item: Option<OpenItem>,
    items: u64,
    detail: &str,
) -> Result<FeedReport, FeedError> {
    if out.kept == 0 {
        return Err(FeedError::Shape(detail.to_string()));
    }
    let problem = match item {
        Some(open) => format!("{}: {detail}", label("item", items, open.raw.shown_id())),
        None => format!("after item {items}: {detail}"),
    };
    out.report.skip(problem);
    Ok(out.report)
}

fn parse_tsv<R: Read>(
    source: &FeedSource,
    reader: R,
    lead: Lead,
    now: DateTime<Utc>,
    sink: &mut dyn FnMut(Product),
) -> Result<FeedReport, FeedError> {
    let mut tsv = ::csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .has_headers(true)
        // As in the csv kind: a short or long row is broken, and guessing which
        // cell is which would put prices into names.
        .flexible(false)
        .from_reader(reader);
    let columns: Vec<Option<Field>> = tsv
        .headers()
        .map_err(|e| FeedError::Csv(e.to_string()))?
        .iter()
        .map(|h| {
            let h = h.trim().to_ascii_lowercase();
            Field::google(h.strip_prefix("g:").unwrap_or(&h).as_bytes())
        })
        .collect();
    if !columns.contains(&Some(Field::Title)) {
        return Err(FeedError::MissingColumn("'title'".into()));
    }
    if !columns.contains(&Some(Field::Id)) && !columns.contains(&Some(Field::Gtin)) {
        return Err(FeedError::MissingColumn("'id' (or 'gtin')".into()));
    }

    let mut out = Emitter {
        source,
        now,
        sink,
        report: FeedReport::new(&source.name),
        kept: 0,
    };
    let line = |pos: Option<&::csv::Position>| pos.map_or(0, |p| p.line()) + lead.newlines;
    let mut row = ::csv::StringRecord::new();
    loop {
        match tsv.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                let mut raw = RawItem::default();
                for (column, cell) in columns.iter().zip(row.iter()) {
                    if let Some(field) = column {
                        raw.set(*field, cell);
                    }
                }
                let at = label("line", line(row.position()), raw.shown_id());
                out.emit(at, raw, None);
            }
            Err(e) => match e.kind() {
                ::csv::ErrorKind::UnequalLengths {
                    pos,
                    expected_len,
                    len,
                } => out.report.skip(format!(
                    "line {}: {len} fields, expected {expected_len}",
                    line(pos.as_ref())
                )),
                ::csv::ErrorKind::Utf8 { pos, .. } => out
                    .report
                    .skip(format!("line {}: not valid UTF-8", line(pos.as_ref()))),
                ::csv::ErrorKind::Io(io) => return Err(read_error(source, io)),
                _ => return Err(FeedError::Csv(e.to_string())),
            },
        }
    }
    out.finish()
}

/// Checks an item's attributes and maps them to a product. `Err` is the reason
/// to skip it, without its position.
fn to_product(source: &FeedSource, raw: RawItem, now: DateTime<Utc>) -> Result<Product, String> {
    let gtin = raw.gtin.or(raw.upc).or(raw.ean);
    // The barcode identifies the product within a feed as well as an id does
    // (the same rule as the json and csv kinds).
    let id = raw
        .id
        .or(raw.guid)
        .or_else(|| gtin.clone())
        .ok_or("no id")?;
    let name = raw.title.or(raw.plain_title).ok_or("no title")?;

    let regular = raw
        .price
        .as_deref()
        .map(|p| parse_money("price", p))
        .transpose()?;
    let sale = raw
        .sale_price
        .as_deref()
        .map(|p| parse_money("sale_price", p))
        .transpose()?;
    let named = |m: &Option<Money>| m.as_ref().and_then(|m| m.currency.clone());
    let currency = match (named(&regular), named(&sale)) {
        (Some(r), Some(s)) if r != s => {
            return Err(format!("sale_price is in {s} but price is in {r}"));
        }
        (Some(c), _) | (None, Some(c)) => Some(c),
        (None, None) => raw
            .currency
            .or_else(|| source.currency.clone())
            .map(|c| c.trim().to_ascii_uppercase()),
    };
    let sale_on = match (&sale, raw.sale_dates.as_deref()) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(_), Some(range)) => sale_in_effect(range, now)?,
    };
    let (price, regular_price) = match (regular, sale) {
        (regular, Some(sale)) if sale_on => (Some(sale.amount), regular.map(|r| r.amount)),
        (regular, _) => (regular.map(|r| r.amount), None),
    };

    let mut product = Product {
        feed: source.name.clone(),
        id,
        gtin,
        name,
        brand: raw.brand,
        url: raw.link.or(raw.plain_link),
        categories: categories(&raw.product_types, &raw.google_categories),
        price,
        currency,
        regular_price,
        availability: raw.availability.as_deref().and_then(Availability::parse),
        ..Product::default()
    };
    product.make_printable();
    Ok(product)
}

/// The levels of every `product_type` path, then of every `google_product_category`
/// given as a path; Google's numeric category ids name nothing a rule could match.
fn categories(product_types: &[String], google: &[String]) -> Vec<String> {
    let paths = product_types.iter().chain(
        google
            .iter()
            .filter(|c| !c.bytes().all(|b| b.is_ascii_digit())),
    );
    let mut levels: Vec<String> = Vec::new();
    for path in paths {
        for level in path.split('>').map(str::trim).filter(|l| !l.is_empty()) {
            if !levels.iter().any(|l| l == level) {
                levels.push(level.to_string());
            }
        }
    }
    levels
}

#[derive(Debug, Clone, PartialEq)]
struct Money {
    amount: Decimal,
    currency: Option<String>,
}

/// `"15.00 GBP"`, `"15 GBP"`, `"1,299.00 USD"`, `"GBP 15.00"`, `"15.00GBP"`, or a
/// bare amount (`"2995"`, the legacy form with a separate `g:currency`).
fn parse_money(field: &str, raw: &str) -> Result<Money, String> {
    let not_a_number = || format!("{field} {} is not a number", quoted(raw));
    let tokens: Vec<&str> = raw.split_whitespace().collect();
    let (amount, currency) = match tokens.as_slice() {
        [one] => match parse_amount(one) {
            Some(amount) => (amount, None),
            None => {
                // `15.00USD`: the code written against the amount.
                let split = one.len().saturating_sub(3);
                match (one.get(..split), one.get(split..)) {
                    (Some(a), Some(c)) if is_currency_code(c) && !a.is_empty() => {
                        (parse_amount(a).ok_or_else(not_a_number)?, Some(c))
                    }
                    _ => return Err(not_a_number()),
                }
            }
        },
        [a, c] if is_currency_code(c) => (parse_amount(a).ok_or_else(not_a_number)?, Some(*c)),
        [c, a] if is_currency_code(c) => (parse_amount(a).ok_or_else(not_a_number)?, Some(*c)),
        [a, _] if parse_amount(a).is_some() => {
            return Err(format!(
                "{field} {} has no ISO 4217 currency code",
                quoted(raw)
            ))
        }
        _ => return Err(not_a_number()),
    };
    Ok(Money {
        amount,
        currency: currency.map(str::to_ascii_uppercase),
    })
}

fn is_currency_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

/// An amount as an exact decimal. The decimal separator is the last `.` or `,`
/// when both appear (`1,299.00`, `1.299,00`); a lone `,` followed by exactly three
/// digits is a thousands separator (`1,299`), otherwise a decimal comma (`12,50`);
/// repeated separators of one kind group thousands (`1.299.000`). Groups after the
/// first must have three digits, so `1,2,3` is not read as 123.
fn parse_amount(raw: &str) -> Option<Decimal> {
    if !raw
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return None;
    }
    let dots = raw.matches('.').count();
    let commas = raw.matches(',').count();
    let decimal = match (raw.rfind('.'), raw.rfind(',')) {
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (Some(_), None) => (dots == 1).then_some('.'),
        (None, Some(c)) => (commas == 1 && raw.len() - c - 1 != 3).then_some(','),
        (None, None) => None,
    };
    let (int, frac) = match decimal {
        Some(sep) => {
            let (int, frac) = raw.rsplit_once(sep)?;
            if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (int, frac)
        }
        None => (raw, ""),
    };
    let group = match decimal {
        Some('.') => ',',
        Some(_) => '.',
        None if dots > 0 => '.',
        None => ',',
    };
    let mut digits = String::with_capacity(int.len() + frac.len() + 1);
    for (i, part) in int.split(group).enumerate() {
        let grouped = int.contains(group);
        let size_ok = match (grouped, i) {
            (false, _) => true,
            (true, 0) => (1..=3).contains(&part.len()),
            (true, _) => part.len() == 3,
        };
        if !size_ok || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push_str(part);
    }
    if digits.is_empty() && frac.is_empty() {
        return None;
    }
    if digits.is_empty() {
        digits.push('0');
    }
    if !frac.is_empty() {
        digits.push('.');
        digits.push_str(frac);
    }
    Decimal::from_str(&digits).ok()
}

/// Whether `now` falls in a `start/end` range such as
/// `2011-03-01T13:00-0800/2011-03-11T15:30-0800` (start and end included).
fn sale_in_effect(range: &str, now: DateTime<Utc>) -> Result<bool, String> {
    let bad = || {
        format!(
            "sale_price_effective_date {} is not a start/end range of ISO 8601 times",
            quoted(range)
        )
    };
    let (start, end) = range.split_once('/').ok_or_else(bad)?;
    let start = parse_instant(start, false).ok_or_else(bad)?;
    let end = parse_instant(end, true).ok_or_else(bad)?;
    Ok(start <= now && now <= end)
}

/// An ISO 8601 time as feeds write it: with or without seconds, fractions, a
/// `Z` or a `-0800`/`-08:00` offset. A time without an offset is read as UTC; a
/// bare date is its whole day (its start, or for an `end`, its last moment).
fn parse_instant(raw: &str, end: bool) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    let zoned = match raw.strip_suffix(['Z', 'z']) {
        Some(rest) => Cow::Owned(format!("{rest}+0000")),
        None => Cow::Borrowed(raw),
    };
    for format in [
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&zoned, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(t.and_utc());
        }
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    let start = day.and_hms_opt(0, 0, 0)?.and_utc();
    if end {
        Some(start + TimeDelta::days(1) - TimeDelta::nanoseconds(1))
    } else {
        Some(start)
    }
}

/// A value as the feed gave it, quoted and cut short for a one-line problem.
fn quoted(raw: &str) -> String {
    format!("\"{}\"", truncate(raw))
}

fn truncate(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Read};

    use chrono::TimeZone;

    use super::*;
    use crate::feeds::FeedKind;

    const SAMPLE_VALID: &[u8] = include_bytes!(
        "../../../tests/fixtures/google-merchant/node-product-catalog-feed-sample_valid_feed.xml"
    );
    const EXAMPLE: &[u8] = include_bytes!(
        "../../../tests/fixtures/google-merchant/node-product-catalog-feed-example_feed.xml"
    );
    const ROME_LEGACY: &[u8] = include_bytes!(
        "../../../tests/fixtures/google-merchant/rome-legacy-googlebase-products2.xml"
    );
    const OWN_ATOM: &[u8] = include_bytes!("../../../tests/fixtures/google-merchant/own-atom.xml");
    const OWN_PREFIX: &[u8] =
        include_bytes!("../../../tests/fixtures/google-merchant/own-custom-prefix.xml");
    const OWN_TSV: &[u8] = include_bytes!("../../../tests/fixtures/google-merchant/own-feed.tsv");

    fn source() -> FeedSource {
        FeedSource {
            name: "shop".into(),
            kind: FeedKind::Merchant,
            url: "feed.xml".into(),
            currency: None,
        }
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("test time is RFC 3339")
            .with_timezone(&Utc)
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal")
    }

    /// Runs the parser over `bytes`, collecting what the sink gets.
    fn run(bytes: &[u8], now: DateTime<Utc>) -> Result<(Vec<Product>, FeedReport), FeedError> {
        run_with(&source(), bytes, now)
    }

    fn run_with(
        source: &FeedSource,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(Vec<Product>, FeedReport), FeedError> {
        let mut products = Vec::new();
        let report = parse(source, bytes, now, &mut |p| products.push(p))?;
        Ok((products, report))
    }

    fn rss(items: &str) -> String {
        format!(
            r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>t</title>
{items}
</channel></rss>"#
        )
    }

    #[test]
    fn sample_valid_feed_inside_the_sale_range_sells_at_the_sale_price() {
        let (products, report) = run(SAMPLE_VALID, at("2016-02-26T12:00:00Z")).expect("parses");
        assert_eq!((report.records, report.skipped), (2, 0));
        let p = &products[0];
        assert_eq!(p.feed, "shop");
        assert_eq!(p.id, "tddy123uk");
        // Title and link come from the plain RSS elements: there is no g:title/g:link.
        assert_eq!(p.name, "Google Organic Cotton Men's T-Shirt - Blue - M");
        assert_eq!(
            p.url.as_deref(),
            Some("http://www.example.com/writing/google-pens")
        );
        assert_eq!(p.price, Some(dec("10.00")));
        assert_eq!(p.regular_price, Some(dec("15.00")));
        assert_eq!(p.currency.as_deref(), Some("USD"));
        assert!(p.on_sale());
        assert_eq!(p.availability, Some(Availability::InStock));
        assert_eq!(p.brand.as_deref(), Some("Google"));
        assert_eq!(p.gtin.as_deref(), Some("3234567890126"));
        // `&gt;` in g:product_type splits into levels; the numeric category 2271
        // names nothing and is left out.
        assert_eq!(p.categories, ["Home", "Dresses", "Maxi Dresses"]);

        let second = &products[1];
        assert_eq!(second.id, "200");
        assert_eq!(second.price, Some(dec("9.99")));
        assert_eq!(second.currency.as_deref(), Some("EUR"));
        assert_eq!(second.regular_price, None);
        assert_eq!(second.availability, None);
        assert_eq!(
            second.categories,
            [
                "category 1",
                "category 2",
                "Apparel & Accessories",
                "Clothing",
                "Dresses"
            ]
        );
    }

    #[test]
    fn sample_valid_feed_outside_the_sale_range_sells_at_the_regular_price() {
        for now in [
            "2016-02-24T20:59:59Z",
            "2016-03-01T00:00:00Z",
            "2026-10-03T09:00:00Z",
        ] {
            let (products, _) = run(SAMPLE_VALID, at(now)).expect("parses");
            let p = &products[0];
            assert_eq!(p.price, Some(dec("15.00")), "{now}");
            assert_eq!(p.regular_price, None, "{now}");
            assert!(!p.on_sale());
        }
    }

    #[test]
    fn nested_prices_of_shipping_and_installment_are_not_the_price() {
        let (products, _) = run(SAMPLE_VALID, at("2020-01-01T00:00:00Z")).expect("parses");
        assert_eq!(products[0].price, Some(dec("15.00")));
        assert_eq!(products[1].price, Some(dec("9.99")));
    }

    #[test]
    fn example_feed_has_two_teslas() {
        let (products, report) = run(EXAMPLE, at("2026-10-03T09:00:00Z")).expect("parses");
        assert_eq!((report.records, report.skipped), (2, 0));
        let ids: Vec<_> = products.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["id-model-x", "id-model-s"]);
        assert_eq!(products[0].name, "Model X");
        assert_eq!(products[0].availability, Some(Availability::Preorder));
        assert_eq!(products[0].price, Some(dec("71300.00")));
        assert_eq!(products[1].availability, Some(Availability::InStock));
        assert_eq!(products[1].price, Some(dec("65200.00")));
        for p in &products {
            assert_eq!(p.brand.as_deref(), Some("Tesla"));
            assert_eq!(p.currency.as_deref(), Some("USD"));
        }
    }

    #[test]
    fn rome_legacy_feed_takes_the_currency_apart_and_the_upc_as_gtin() {
        let (products, report) = run(ROME_LEGACY, at("2026-10-03T09:00:00Z")).expect("parses");
        assert_eq!((report.records, report.skipped), (2, 0));
        let p = &products[0];
        // No g:id in Google Base days: the RSS guid stands in.
        assert_eq!(p.id, "1092");
        assert_eq!(p.name, "Google Mini");
        assert_eq!(p.price, Some(dec("2995")));
        assert_eq!(p.currency.as_deref(), Some("USD"));
        assert_eq!(p.brand.as_deref(), Some("Google"));
        assert_eq!(p.gtin.as_deref(), Some("12348573"));
        assert_eq!(
            p.url.as_deref(),
            Some("http://www.googlestore.com/appliance/GO0123.asp")
        );
        let laptop = &products[1];
        assert_eq!(
            (laptop.id.as_str(), laptop.price),
            ("822", Some(dec("1400")))
        );
        assert_eq!(laptop.categories, ["electronics"]);
    }

    #[test]
    fn atom_entries_read_links_from_href_and_ids_from_the_entry() {
        // 2026-10-03 is inside the tent's sale (Oct 1-8, Pacific time).
        let (products, report) = run(OWN_ATOM, at("2026-10-03T09:00:00Z")).expect("parses");
        assert_eq!((report.records, report.skipped), (2, 0));
        let tent = &products[0];
        assert_eq!(tent.id, "TENT-4");
        assert_eq!(tent.name, "Ridgeline 4-person tent");
        // The alternate link, not the enclosure; `&amp;` in the attribute unescaped.
        assert_eq!(
            tent.url.as_deref(),
            Some("https://shop.example/p/tent-4?colour=green&size=4")
        );
        assert_eq!(tent.price, Some(dec("999.00")));
        assert_eq!(tent.regular_price, Some(dec("1299.00")));
        assert_eq!(tent.currency.as_deref(), Some("USD"));
        assert_eq!(tent.availability, Some(Availability::InStock));
        assert_eq!(
            tent.categories,
            [
                "Sporting Goods",
                "Outdoor Recreation",
                "Camping & Hiking",
                "Tents"
            ]
        );
        let mat = &products[1];
        assert_eq!(mat.id, "tag:shop.example,2026:mat-1");
        assert_eq!(mat.name, "Foam sleeping mat");
        assert_eq!(mat.url.as_deref(), Some("https://shop.example/p/mat-1"));
        assert_eq!(mat.price, Some(dec("15")));
        assert_eq!(mat.currency.as_deref(), Some("GBP"));
        assert_eq!(mat.availability, Some(Availability::Backorder));

        // 2026-10-09T08:00Z is 00:00 on the 9th in -0800: the sale has ended.
        let (products, _) = run(OWN_ATOM, at("2026-10-09T08:00:00Z")).expect("parses");
        assert_eq!(products[0].price, Some(dec("1299.00")));
        assert_eq!(products[0].regular_price, None);
    }

    #[test]
    fn the_google_namespace_is_matched_by_uri_not_by_prefix() {
        let (products, _) = run(OWN_PREFIX, at("2026-10-03T09:00:00Z")).expect("parses");
        let tea = &products[0];
        assert_eq!(tea.id, "TEA-1");
        assert_eq!(tea.name, "Breakfast tea, 80 bags");
        assert_eq!(tea.url.as_deref(), Some("https://shop.example/p/tea-1"));
        // `g:` is another vocabulary here; its 99.99 USD is not the price.
        assert_eq!(tea.price, Some(dec("3.49")));
        assert_eq!(tea.currency.as_deref(), Some("GBP"));
        assert_eq!(tea.availability, Some(Availability::OutOfStock));
        // No gtin: the UPC is taken before the EAN.
        assert_eq!(tea.gtin.as_deref(), Some("012345678905"));
    }

    #[test]
    fn an_undeclared_g_prefix_is_read_as_google() {
        let xml = r#"<rss version="2.0"><channel><item>
            <g:id>1</g:id><g:title>Jam</g:title><g:price>2.00 GBP</g:price>
            </item></channel></rss>"#;
        let (products, _) = run(xml.as_bytes(), Utc::now()).expect("parses");
        assert_eq!(products[0].price, Some(dec("2.00")));
    }

    #[test]
    fn tab_separated_feed_maps_columns_with_or_without_prefix() {
        let (products, report) = run(OWN_TSV, at("2026-10-03T09:00:00Z")).expect("parses");
        let ids: Vec<_> = products.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["BOOT-42", "BOOT-43", "BOOT-46"]);
        let boot = &products[0];
        assert_eq!(boot.name, "Chelsea boot");
        assert_eq!(boot.price, Some(dec("14.50")));
        assert_eq!(boot.regular_price, Some(dec("22.00")));
        assert_eq!(boot.currency.as_deref(), Some("GBP"));
        assert_eq!(boot.brand.as_deref(), Some("Acme"));
        assert_eq!(boot.gtin.as_deref(), Some("5012345678900"));
        assert_eq!(boot.categories, ["Shoes", "Boots"]);
        assert_eq!(boot.url.as_deref(), Some("https://shop.example/p/boot-42"));
        assert_eq!(boot.availability, Some(Availability::InStock));
        let welly = &products[1];
        assert_eq!(welly.price, Some(dec("15")));
        assert_eq!(welly.availability, Some(Availability::Preorder));
        assert_eq!(
            welly.categories,
            ["Shoes", "Boots", "Apparel & Accessories"]
        );
        assert_eq!(welly.gtin, None);
        let hiker = &products[2];
        assert_eq!(hiker.price, Some(dec("1299.00")));
        assert_eq!(hiker.currency.as_deref(), Some("EUR"));
        assert_eq!(hiker.availability, Some(Availability::OutOfStock));

        assert_eq!((report.records, report.skipped), (5, 2));
        assert_eq!(
            report.problems,
            [
                "line 4 (id BOOT-44): price \"abc GBP\" is not a number",
                "line 5: 3 fields, expected 12",
            ]
        );
        // After the sale's last day the boot is back at its regular price.
        let (products, _) = run(OWN_TSV, at("2027-01-01T00:00:00Z")).expect("parses");
        assert_eq!(products[0].price, Some(dec("22.00")));
    }

    #[test]
    fn tab_separated_feed_needs_an_id_and_a_title_column() {
        let err = run(b"id\tprice\n1\t2 GBP\n", Utc::now()).expect_err("no title column");
        assert!(matches!(err, FeedError::MissingColumn(c) if c == "'title'"));
        let err = run(b"title\tprice\nTea\t2 GBP\n", Utc::now()).expect_err("no id column");
        assert!(matches!(err, FeedError::MissingColumn(_)));
    }

    #[test]
    fn a_bom_and_blank_lines_before_the_document_are_fine() {
        let mut xml = b"\xEF\xBB\xBF\n\n  ".to_vec();
        xml.extend_from_slice(EXAMPLE);
        let (products, _) = run(&xml, Utc::now()).expect("parses");
        assert_eq!(products.len(), 2);

        let tsv = b"\xEF\xBB\xBF\n\nid\ttitle\tprice\n1\tTea\tabc\n";
        let err = run(tsv, Utc::now()).expect_err("its only row is bad");
        // Line numbers count the blank lines that were skipped to sniff the format.
        assert!(
            matches!(&err, FeedError::NoValidRecords { first_problem }
                if first_problem == "line 4 (id 1): price \"abc\" is not a number"),
            "{err:?}"
        );
    }

    #[test]
    fn the_feed_currency_fills_in_for_bare_amounts() {
        let xml = rss("<item><g:id>1</g:id><title>Tea</title><g:price>2.5</g:price></item>");
        let mut src = source();
        src.currency = Some("gbp".into());
        let (products, _) = run_with(&src, xml.as_bytes(), Utc::now()).expect("parses");
        assert_eq!(products[0].price, Some(dec("2.5")));
        assert_eq!(products[0].currency.as_deref(), Some("GBP"));
        let (products, _) = run(xml.as_bytes(), Utc::now()).expect("parses");
        assert_eq!(products[0].currency, None);
    }

    #[test]
    fn malformed_items_are_skipped_and_counted_among_good_ones() {
        let xml = rss(r#"
            <item><g:id>ok-1</g:id><title>Tea</title><g:price>1.00 GBP</g:price></item>
            <item><title>No id</title><g:price>1.00 GBP</g:price></item>
            <item><g:id>tddy123uk</g:id><title>Bad</title><g:price>abc USD</g:price></item>
            <item><g:id>no-title</g:id><g:price>1.00 GBP</g:price></item>
            <item><g:id>dollar</g:id><title>x</title><g:price>15.00 US$</g:price></item>
            <item/>
            <item><g:id>ok-2</g:id><g:title>Jam</g:title><g:price>15 GBP</g:price></item>
        "#);
        let (products, report) = run(xml.as_bytes(), Utc::now()).expect("parses");
        let ids: Vec<_> = products.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["ok-1", "ok-2"]);
        assert_eq!((report.records, report.skipped), (7, 5));
        assert_eq!(
            report.problems,
            [
                "item 2: no id",
                "item 3 (id tddy123uk): price \"abc USD\" is not a number",
                "item 4 (id no-title): no title",
            ]
        );
        assert_eq!(
            report.warning().as_deref(),
            Some("feed 'shop': 5 of 7 records skipped: item 2: no id")
        );
    }

    #[test]
    fn a_feed_of_only_bad_items_is_an_error() {
        let xml = rss("<item><g:id>1</g:id><title>T</title><g:price>abc USD</g:price></item>");
        let err = run(xml.as_bytes(), Utc::now()).expect_err("nothing usable");
        assert!(
            matches!(&err, FeedError::NoValidRecords { first_problem }
                if first_problem == "item 1 (id 1): price \"abc USD\" is not a number"),
            "{err:?}"
        );
        // A feed with no items at all is merely empty, not broken.
        let (products, report) = run(rss("").as_bytes(), Utc::now()).expect("parses");
        assert!(products.is_empty());
        assert_eq!(report.records, 0);
    }

    #[test]
    fn a_sale_in_another_currency_or_with_an_unreadable_range_is_a_bad_item() {
        let xml = rss(r#"
            <item><g:id>a</g:id><title>A</title><g:price>2.00 GBP</g:price><g:sale_price>1.00 EUR</g:sale_price></item>
            <item><g:id>b</g:id><title>B</title><g:price>2.00 GBP</g:price><g:sale_price>1.00 GBP</g:sale_price>
              <g:sale_price_effective_date>next week</g:sale_price_effective_date></item>
            <item><g:id>c</g:id><title>C</title><g:price>2.00 GBP</g:price></item>
        "#);
        let (_, report) = run(xml.as_bytes(), Utc::now()).expect("parses");
        assert_eq!(
            report.problems,
            [
                "item 1 (id a): sale_price is in EUR but price is in GBP",
                "item 2 (id b): sale_price_effective_date \"next week\" is not a start/end range of ISO 8601 times",
            ]
        );
    }

    #[test]
    fn a_truncated_file_keeps_the_items_before_the_break() {
        let text = std::str::from_utf8(EXAMPLE).expect("utf-8");
        let second = text.find("id-model-s").expect("second item");
        let cut_at = |after: &str| second + text[second..].find(after).expect("cut point");
        // Cut inside the second item's text, inside one of its tags, and after it.
        for (end, expect_problem, kept) in [
            (
                cut_at("65200") + 5,
                "item 2 (id id-model-s): not valid XML",
                1,
            ),
            (
                cut_at("<g:brand") + 6,
                "item 2 (id id-model-s): not valid XML",
                1,
            ),
            (cut_at("</channel>"), "after item 2: not valid XML", 2),
        ] {
            let (products, report) =
                run(&EXAMPLE[..end], Utc::now()).expect("items before the break are kept");
            assert_eq!(products.len(), kept, "cut at {end}");
            assert_eq!((report.records, report.skipped), (kept + 1, 1));
            assert!(
                report.problems[0].starts_with(expect_problem),
                "cut at {end}: {:?}",
                report.problems
            );
        }
        // Nothing read before the break: the feed is unusable.
        let end = text.find("<g:id>id-model-x").expect("cut point");
        let err = run(&EXAMPLE[..end], Utc::now()).expect_err("no item");
        assert!(
            matches!(&err, FeedError::Shape(m) if m.starts_with("not valid XML")),
            "{err:?}"
        );
    }

    #[test]
    fn billion_laughs_entities_are_never_expanded() {
        let mut doctype = String::from("<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n");
        doctype.push_str("<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
        for i in 2..=9 {
            let prev = format!("&lol{};", i - 1);
            doctype.push_str(&format!("<!ENTITY lol{i} \"{}\">\n", prev.repeat(10)));
        }
        doctype.push_str("<!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n");
        let xml = format!(
            r#"<?xml version="1.0"?>
{doctype}<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>
<title>&lol9;</title>
<item><g:id>laughs</g:id><title>&lol9;</title><g:price>1 GBP</g:price></item>
<item><g:id>xxe</g:id><title>Tea</title><g:brand>&xxe;</g:brand><g:price>1 GBP</g:price></item>
<item><g:id>fine</g:id><title>Tom &amp; Jerry &#x2014; &#169; &lt;3</title><g:price>1 GBP</g:price></item>
</channel></rss>"#
        );
        let (products, report) = run(xml.as_bytes(), Utc::now()).expect("parses");
        assert_eq!(products.len(), 1);
        assert_eq!(products[0].name, "Tom & Jerry — © <3");
        assert_eq!(
            report.problems,
            [
                "item 1 (id laughs): uses the entity &lol9; (only XML's predefined entities are expanded, never a DTD's)",
                "item 2 (id xxe): uses the entity &xxe; (only XML's predefined entities are expanded, never a DTD's)",
            ]
        );
    }

    #[test]
    fn a_bare_ampersand_is_read_as_itself() {
        let xml = rss("<item><g:id>1</g:id><title>Black & Decker drill</title></item>");
        let (products, _) = run(xml.as_bytes(), Utc::now()).expect("parses");
        assert_eq!(products[0].name, "Black & Decker drill");
    }

    #[test]
    fn html_empty_and_foreign_documents_are_errors() {
        for html in [
            "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><br></body></html>",
            "\n<html lang=\"en\"><body><p>Not found</p></body></html>",
            "<!doctype HTML><html>",
        ] {
            let err = run(html.as_bytes(), Utc::now()).expect_err("html");
            assert!(
                matches!(
                    err,
                    FeedError::Html {
                        expected: "a merchant feed"
                    }
                ),
                "{html}: {err:?}"
            );
        }
        for empty in ["", " \n\t\n", "\u{feff}"] {
            let err = run(empty.as_bytes(), Utc::now()).expect_err("empty");
            assert!(matches!(err, FeedError::Empty), "{empty:?}: {err:?}");
        }
        let err = run(b"<catalog><product/></catalog>", Utc::now()).expect_err("not a feed");
        assert_eq!(
            err.to_string(),
            "expected an RSS or Atom feed, found <catalog>"
        );
    }

    #[test]
    fn money_reads_amounts_and_currencies_exactly() {
        let ok = |raw: &str| parse_money("price", raw).expect(raw);
        let m = |amount: &str, currency: Option<&str>| Money {
            amount: dec(amount),
            currency: currency.map(str::to_string),
        };
        assert_eq!(ok("15.00 GBP"), m("15.00", Some("GBP")));
        assert_eq!(ok("15 GBP"), m("15", Some("GBP")));
        assert_eq!(ok("1,299.00 USD"), m("1299.00", Some("USD")));
        assert_eq!(ok("1.299,00 EUR"), m("1299.00", Some("EUR")));
        assert_eq!(ok("12,50 EUR"), m("12.50", Some("EUR")));
        assert_eq!(ok("1,299 USD"), m("1299", Some("USD")));
        assert_eq!(ok("1.234.567 JPY"), m("1234567", Some("JPY")));
        assert_eq!(ok("USD 0.99"), m("0.99", Some("USD")));
        assert_eq!(ok("15.00usd"), m("15.00", Some("USD")));
        assert_eq!(ok("2995"), m("2995", None));
        assert_eq!(ok(" 0.1  GBP "), m("0.1", Some("GBP")));
        // Exact: 0.1 + 0.2 is 0.3, no float on the way.
        assert_eq!(ok("0.1 GBP").amount + ok("0.2 GBP").amount, dec("0.3"));

        let err = |raw: &str| parse_money("price", raw).expect_err(raw);
        assert_eq!(err("abc USD"), "price \"abc USD\" is not a number");
        assert_eq!(err("abc"), "price \"abc\" is not a number");
        assert_eq!(err("1,2,3 USD"), "price \"1,2,3 USD\" is not a number");
        assert_eq!(err("-5.00 USD"), "price \"-5.00 USD\" is not a number");
        assert_eq!(err("15. USD"), "price \"15. USD\" is not a number");
        assert_eq!(
            err("15.00 US$"),
            "price \"15.00 US$\" has no ISO 4217 currency code"
        );
        assert_eq!(
            err("15.00 US Dollars"),
            "price \"15.00 US Dollars\" is not a number"
        );
    }

    #[test]
    fn effective_dates_read_the_forms_feeds_use() {
        let t = |s: &str| parse_instant(s, false).expect(s);
        let utc = |y, mo, d, h, mi| {
            Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
                .single()
                .expect("valid")
        };
        assert_eq!(t("2011-03-01T13:00-0800"), utc(2011, 3, 1, 21, 0));
        assert_eq!(t("2011-03-01T13:00-08:00"), utc(2011, 3, 1, 21, 0));
        assert_eq!(t("2011-03-01T13:00:00-08:00"), utc(2011, 3, 1, 21, 0));
        assert_eq!(t("2016-02-24T21:00:00.000Z"), utc(2016, 2, 24, 21, 0));
        assert_eq!(t("2016-02-24T21:00Z"), utc(2016, 2, 24, 21, 0));
        assert_eq!(t("2016-02-24T21:00"), utc(2016, 2, 24, 21, 0));
        assert_eq!(t("2016-02-24"), utc(2016, 2, 24, 0, 0));
        assert!(parse_instant("2016-02-24", true).expect("date") > utc(2016, 2, 24, 23, 59));
        assert_eq!(parse_instant("soon", false), None);

        let range = "2011-03-01T13:00-0800/2011-03-11T15:30-0800";
        assert_eq!(sale_in_effect(range, utc(2011, 3, 5, 0, 0)), Ok(true));
        assert_eq!(sale_in_effect(range, utc(2011, 3, 1, 21, 0)), Ok(true));
        assert_eq!(sale_in_effect(range, utc(2011, 3, 1, 20, 59)), Ok(false));
        assert_eq!(sale_in_effect(range, utc(2011, 3, 12, 0, 0)), Ok(false));
        assert!(sale_in_effect("2011-03-01", utc(2011, 3, 1, 0, 0)).is_err());
    }

    #[test]
    fn parse_products_dispatches_merchant_feeds() {
        let feed = crate::feeds::parse_products_at(&source(), EXAMPLE, Utc::now())
            .expect("merchant feeds are supported");
        assert_eq!(feed.products.len(), 2);
        assert_eq!(feed.report.records, 2);
    }

    /// A feed written on the fly, item by item, so the test holds no more of it in
    /// memory than the parser asks for.
    struct GeneratedFeed {
        total: usize,
        next: usize,
        pending: Vec<u8>,
        at: usize,
        done: bool,
    }

    impl GeneratedFeed {
        fn new(total: usize) -> GeneratedFeed {
            GeneratedFeed {
                total,
                next: 0,
                pending: br#"<?xml version="1.0"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>"#.to_vec(),
                at: 0,
                done: false,
            }
        }
    }

    impl Read for GeneratedFeed {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.at == self.pending.len() {
                if self.done {
                    return Ok(0);
                }
                self.pending.clear();
                self.at = 0;
                if self.next < self.total {
                    let i = self.next;
                    self.next += 1;
                    self.pending.extend_from_slice(format!(
                        "<item><g:id>sku-{i}</g:id><title>Product {i}</title>\
                         <g:price>{}.{:02} GBP</g:price><g:availability>in stock</g:availability>\
                         <g:shipping><g:country>GB</g:country><g:price>4.95 GBP</g:price></g:shipping>\
                         <g:description>{}</g:description></item>\n",
                        i % 100,
                        i % 97,
                        "lorem ipsum ".repeat(20)
                    ).as_bytes());
                } else {
                    self.pending.extend_from_slice(b"</channel></rss>");
                    self.done = true;
                }
            }
            let n = out.len().min(self.pending.len() - self.at);
            out[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn a_large_feed_streams_through_the_sink() {
        const ITEMS: usize = 50_000;
        let mut count = 0usize;
        let mut total = Decimal::ZERO;
        let report = parse(
            &source(),
            BufReader::new(GeneratedFeed::new(ITEMS)),
            Utc::now(),
            &mut |p| {
                count += 1;
                total += p.price.unwrap_or_default();
            },
        )
        .expect("parses");
        assert_eq!(count, ITEMS);
        assert_eq!((report.records, report.skipped), (ITEMS, 0));
        assert!(total > Decimal::ZERO);
    }
}
