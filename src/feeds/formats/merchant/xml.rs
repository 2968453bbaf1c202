//! The XML forms of a merchant feed (RSS 2.0, RSS 1.0, Atom), read event by
//! event: an item's Google attributes (whatever prefix is bound to Google's
//! namespace) and its own title, link and id.

use std::borrow::Cow;
use std::io::BufRead;

use chrono::{DateTime, Utc};
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

use super::fields::{truncate, Field, RawItem};
use super::{label, Emitter, Lead, Sink};
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

pub(super) fn parse_xml<'a, R: BufRead>(
    source: &'a FeedSource,
    reader: R,
    lead: Lead,
    now: DateTime<Utc>,
    sink: Sink<'a>,
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
    let mut doc = Document::default();
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
                return broken(out, doc.item, doc.items, &detail);
            }
        };
        match doc.event(ns, event, &mut out)? {
            Step::More => {}
            Step::Done => break,
            Step::Truncated => {
                return broken(
                    out,
                    doc.item,
                    doc.items,
                    "not valid XML: the file ends before the feed does (truncated?)",
                );
            }
        }
    }
    out.finish()
}

/// Where the reading is in the document.
#[derive(Default)]
struct Document {
    /// How deep the current element is.
    depth: usize,
    root_seen: bool,
    /// Items seen so far, the one being read included.
    items: u64,
    item: Option<OpenItem>,
}

/// What an event leaves the reading with.
enum Step {
    More,
    /// The document ended where it should.
    Done,
    /// The document ended inside an element.
    Truncated,
}

impl Document {
    /// Takes one event: an item opens, an attribute's text is collected, an
    /// item ends and goes to `out`.
    fn event(
        &mut self,
        ns: Ns,
        event: Event<'_>,
        out: &mut Emitter<'_>,
    ) -> Result<Step, FeedError> {
        let is_start = matches!(event, Event::Start(_));
        match event {
            Event::Start(e) | Event::Empty(e) if !self.root_seen => {
                check_root(&e)?;
                self.root_seen = true;
                self.depth += usize::from(is_start);
            }
            Event::Start(e) => self.start(ns, &e),
            Event::Empty(e) => self.empty(ns, &e, out),
            Event::End(_) => self.end(out),
            Event::Text(t) => {
                if let Some(open) = capturing(&mut self.item, self.depth) {
                    match t.decode() {
                        Ok(text) => push_text(open, &text),
                        Err(e) => open.fail(format!("not valid UTF-8: {e}")),
                    }
                }
            }
            Event::CData(t) => {
                if let Some(open) = capturing(&mut self.item, self.depth) {
                    match t.decode() {
                        Ok(text) => push_text(open, &text),
                        Err(e) => open.fail(format!("not valid UTF-8: {e}")),
                    }
                }
            }
            Event::GeneralRef(r) => self.general_ref(&r),
            Event::DocType(d) => {
                let text = String::from_utf8_lossy(&d);
                if text.trim_start().to_ascii_lowercase().starts_with("html") {
                    return Err(FeedError::Html {
                        expected: "a merchant feed",
                    });
                }
            }
            Event::Eof => return self.eof(),
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
        Ok(Step::More)
    }

    /// An element opens: an item, or one of the open item's attributes.
    fn start(&mut self, ns: Ns, e: &BytesStart<'_>) {
        self.depth += 1;
        match &mut self.item {
            None if is_item(ns, e) => {
                self.items += 1;
                self.item = Some(OpenItem {
                    depth: self.depth,
                    raw: RawItem::default(),
                    problem: None,
                    capture: None,
                    text: String::new(),
                });
            }
            None => {}
            Some(open) if self.depth == open.depth + 1 => {
                open.capture = field_of(ns, e);
                open.text.clear();
                if open.capture == Some(Field::PlainLink) {
                    atom_link(open, e);
                }
            }
            Some(_) => {}
        }
    }

    /// An empty element: an item with nothing in it, or an Atom link.
    fn empty(&mut self, ns: Ns, e: &BytesStart<'_>, out: &mut Emitter<'_>) {
        match &mut self.item {
            // An empty `<item/>` is an item without an id.
            None if is_item(ns, e) => {
                self.items += 1;
                out.emit(label("item", self.items, None), RawItem::default(), None);
            }
            Some(open) if self.depth == open.depth && field_of(ns, e) == Some(Field::PlainLink) => {
                atom_link(open, e);
            }
            _ => {}
        }
    }

    /// An element closes: an attribute's text is kept, or the item is done.
    fn end(&mut self, out: &mut Emitter<'_>) {
        if let Some(open) = &mut self.item {
            if self.depth == open.depth + 1 {
                if let Some(field) = open.capture.take() {
                    let text = std::mem::take(&mut open.text);
                    open.raw.set(field, &text);
                    open.text = text;
                }
            } else if self.depth == open.depth {
                if let Some(done) = self.item.take() {
                    let at = label("item", self.items, done.raw.shown_id());
                    out.emit(at, done.raw, done.problem);
                }
            }
        }
        self.depth = self.depth.saturating_sub(1);
    }

    /// `&amp;`, `&#233;`: resolved into the attribute's text. Any other entity
    /// fails the item.
    fn general_ref(&mut self, r: &BytesRef<'_>) {
        let Some(open) = &mut self.item else { return };
        let name = String::from_utf8_lossy(r).into_owned();
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
                if let Some(field) = open.capture.filter(|_| self.depth == open.depth + 1) {
                    open.push(field, &text);
                }
            }
            None => open.fail(format!(
                "uses the entity &{}; (only XML's predefined entities are expanded, never a DTD's)",
                truncate(&name)
            )),
        }
    }

    /// The end of the input: a feed, whole or cut short, or no feed at all.
    fn eof(&self) -> Result<Step, FeedError> {
        if !self.root_seen {
            return Err(FeedError::Shape(
                "no RSS or Atom feed element in the document".into(),
            ));
        }
        Ok(if self.depth > 0 {
            Step::Truncated
        } else {
            Step::Done
        })
    }
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
