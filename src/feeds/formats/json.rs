//! The `json` feed kind: a top-level array of products, `{"products": [...]}`, or
//! JSON Lines (one product object per line), in the model's field names.
//!
//! A record that breaks a rule is skipped and counted (`record 4: ...`, or
//! `line 4: ...` for JSON Lines); only a body that is not JSON at all fails the feed.

use std::fmt;
use std::io::{BufRead, Read};

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::model::Product;

use super::record::{product_from_record, Field, Record};
use crate::feeds::stream::{checked_body, checked_reader, read_error};
use crate::feeds::{FeedError, FeedReport, FeedSource};

/// Parses a JSON feed held in memory into products and the report of what was
/// skipped: [`parse_reader`] over the bytes, collecting what it hands over.
pub(crate) fn parse(
    source: &FeedSource,
    bytes: &[u8],
) -> Result<(Vec<Product>, FeedReport), FeedError> {
    let mut products = Vec::new();
    let report = parse_reader(source, bytes, &mut |p| products.push(p))?;
    Ok((products, report))
}

/// The longest first line looked at whole to tell JSON Lines from one document.
/// A JSON Lines record is a few hundred bytes; a longer first line is read as
/// (the start of) one document, streamed like any other.
const FIRST_LINE_WINDOW: u64 = 1024 * 1024;

/// Parses a JSON feed from `reader`, handing each product to `sink` as soon as its
/// record is read, so only one record is in memory at a time: the elements of a
/// top-level array or of `"products"` are deserialized one by one, and JSON Lines
/// are read line by line.
///
/// The answers are those of reading the whole document first: a body that is not
/// JSON is a [`FeedError::Json`] with its position. But a stream cannot take back
/// what it handed over, so `sink` may have received the records before a break
/// (a truncated array) when the result is that error.
pub(crate) fn parse_reader<R: BufRead>(
    source: &FeedSource,
    reader: R,
    sink: &mut dyn FnMut(Product),
) -> Result<FeedReport, FeedError> {
    let sniffed = checked_reader(source, reader, "JSON")?;
    let mut out = Collector {
        source,
        sink,
        report: FeedReport::new(&source.name),
        kept: 0,
    };
    let mut reader = sniffed.reader;
    if sniffed.first == b'{' {
        // One object per line (JSON Lines), or one document that is an object.
        // The first line decides: a complete object on its own line followed by
        // more lines is JSON Lines; anything else is read as one document.
        let mut head = Vec::new();
        let mut lead_lines = 0usize;
        // The whitespace put back in front, then the first line proper.
        loop {
            head.clear();
            (&mut reader)
                .take(FIRST_LINE_WINDOW)
                .read_until(b'\n', &mut head)
                .map_err(|e| read_error(source, &e))?;
            if head.iter().all(u8::is_ascii_whitespace) && head.ends_with(b"\n") {
                lead_lines += 1;
                continue;
            }
            break;
        }
        let complete = head.ends_with(b"\n") || (head.len() as u64) < FIRST_LINE_WINDOW;
        let first = if complete {
            match serde_json::from_slice::<Value>(&head) {
                Ok(Value::Object(object)) => Some(object),
                _ => None,
            }
        } else {
            None
        };
        match first {
            Some(object) => {
                json_lines(&mut out, object, lead_lines + 1, reader)?;
            }
            None => {
                let blank = "\n".repeat(lead_lines);
                let rest = std::io::Cursor::new(blank.into_bytes())
                    .chain(std::io::Cursor::new(head))
                    .chain(reader);
                document(&mut out, rest)?;
            }
        }
    } else {
        document(&mut out, reader)?;
    }
    out.finish()
}

/// Where a record is, for problems: `record 4` in a list, `line 4` in JSON Lines.
#[derive(Clone, Copy)]
enum At {
    Record(usize),
    Line(usize),
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Record(n) => write!(f, "record {n}"),
            At::Line(n) => write!(f, "line {n}"),
        }
    }
}

/// Hands kept records to the sink and counts the rest.
struct Collector<'a> {
    source: &'a FeedSource,
    sink: &'a mut dyn FnMut(Product),
    report: FeedReport,
    kept: usize,
}

impl Collector<'_> {
    fn value(&mut self, at: At, value: Value) {
        self.value_from(at, value, true);
    }

    /// [`Collector::value`] for a value whose text may hold control characters
    /// only if `escaped`: JSON text cannot hold one but as an escape (`\u001b`),
    /// so a line without a backslash has none, and its product need not be
    /// checked field by field.
    fn value_from(&mut self, at: At, value: Value, escaped: bool) {
        match value {
            Value::Object(object) if !escaped => self.object(at, &Unescaped(&object)),
            Value::Object(object) => self.object(at, &object),
            other => self
                .report
                .skip(format!("{at}: {} is not an object", kind_of(&other))),
        }
    }

    fn object(&mut self, at: At, object: &impl Record) {
        match product_from_record(self.source, object) {
            Ok(product) => {
                self.report.kept();
                self.kept += 1;
                (self.sink)(product);
            }
            Err(problem) => self.report.skip(format!("{at}: {problem}")),
        }
    }

    /// The report, or the error for a feed where every record was bad.
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

/// An object parsed from text without escapes, so without control characters.
struct Unescaped<'a>(&'a Map<String, Value>);

impl Record for Unescaped<'_> {
    fn field(&self, name: &str) -> Option<Field<'_>> {
        self.0.field(name)
    }

    fn may_hold_controls(&self) -> bool {
        false
    }
}

/// JSON Lines: every non-blank line is one record, and a line that is not JSON is
/// one bad record, not a broken feed. `first` is the object on line `first_line`,
/// already read; a file of that one line is a document of one object, which may
/// be `{"products": [...]}`.
fn json_lines<R: BufRead>(
    out: &mut Collector<'_>,
    first: Map<String, Value>,
    first_line: usize,
    mut reader: R,
) -> Result<(), FeedError> {
    let mut line = Vec::new();
    let mut n = first_line;
    let mut first = Some(first);
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| read_error(out.source, &e))?;
        if read == 0 {
            break;
        }
        n += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // A second record: the first line was one of many.
        if let Some(object) = first.take() {
            out.object(At::Line(first_line), &object);
        }
        match serde_json::from_slice::<Value>(&line) {
            Ok(value) => out.value_from(At::Line(n), value, line.contains(&b'\\')),
            Err(e) => match not_utf8(&line) {
                Err(FeedError::NotUtf8 { byte, column, .. }) => out.report.skip(format!(
                    "line {n}: not UTF-8 text: byte 0x{byte:02X} at column {column}"
                )),
                _ => out
                    .report
                    .skip(format!("line {n}: not valid JSON: {}", message_of(&e))),
            },
        }
        // A line that grew huge (one giant record) is not kept for the rest.
        if line.capacity() > FIRST_LINE_WINDOW as usize {
            line = Vec::new();
        }
    }
    if let Some(mut object) = first {
        // The whole body was one object on one line: a document.
        match object.remove("products") {
            Some(Value::Array(records)) => {
                for (i, record) in records.into_iter().enumerate() {
                    out.value(At::Record(i + 1), record);
                }
            }
            Some(other) => return Err(not_a_list(&other)),
            // A lone object is a JSON Lines file of one line.
            None => out.object(At::Line(1), &object),
        }
    }
    Ok(())
}

fn not_a_list(value: &Value) -> FeedError {
    FeedError::Shape(format!("\"products\" is {}, not a list", kind_of(value)))
}

/// One JSON document, streamed: a list of records, `{"products": [...]}`, or a
/// lone object (one record).
fn document<R: Read>(out: &mut Collector<'_>, reader: R) -> Result<(), FeedError> {
    let mut watch = Utf8Watch::new(reader);
    let mut de = serde_json::Deserializer::from_reader(&mut watch);
    let top = TopSeed { out: &mut *out }
        .deserialize(&mut de)
        .and_then(|top| de.end().map(|()| top));
    let top = match top {
        Ok(top) => top,
        Err(e) if e.is_io() => {
            return Err(read_error(out.source, &std::io::Error::from(e)));
        }
        // An old export in Latin-1 is a common cause: say so rather than
        // "invalid unicode code point".
        Err(e) => {
            return Err(match watch.bad {
                Some((byte, line, column)) => FeedError::NotUtf8 { byte, line, column },
                None => json_error(&e),
            })
        }
    };
    match top {
        Top::Records => Ok(()),
        Top::ProductsNot(kind) => Err(FeedError::Shape(format!(
            "\"products\" is {kind}, not a list"
        ))),
        // A lone object is a JSON Lines file of one line.
        Top::Lone(object) => {
            out.object(At::Line(1), &object);
            Ok(())
        }
        Top::Scalar(kind) => Err(FeedError::Shape(format!(
            "expected a list of products, found {kind}"
        ))),
    }
}

/// Watches a stream go by for the first byte that is not UTF-8, and where it
/// was (line, column in characters), so a parse error it caused can say so.
struct Utf8Watch<R> {
    inner: R,
    line: usize,
    column: usize,
    /// An incomplete character at the end of the last read.
    carry: Vec<u8>,
    bad: Option<(u8, usize, usize)>,
}

impl<R> Utf8Watch<R> {
    fn new(inner: R) -> Self {
        Utf8Watch {
            inner,
            line: 1,
            column: 1,
            carry: Vec::new(),
            bad: None,
        }
    }

    fn advance(&mut self, text: &str) {
        match text.rfind('\n') {
            Some(i) => {
                self.line += text.matches('\n').count();
                self.column = text[i + 1..].chars().count() + 1;
            }
            None => self.column += text.chars().count(),
        }
    }

    fn watch(&mut self, bytes: &[u8]) {
        let joined;
        let data: &[u8] = if self.carry.is_empty() {
            bytes
        } else {
            joined = [self.carry.as_slice(), bytes].concat();
            &joined
        };
        match std::str::from_utf8(data) {
            Ok(text) => {
                self.advance(text);
                self.carry.clear();
            }
            Err(e) => {
                let good = e.valid_up_to();
                // Checked above: the prefix is valid.
                self.advance(std::str::from_utf8(&data[..good]).unwrap_or_default());
                if e.error_len().is_some() {
                    self.bad = Some((data[good], self.line, self.column));
                    self.carry.clear();
                } else {
                    self.carry = data[good..].to_vec();
                }
            }
        }
    }
}

impl<R: Read> Read for Utf8Watch<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.bad.is_none() {
            self.watch(&buf[..n]);
        }
        Ok(n)
    }
}

/// The first byte that is not UTF-8 in `body`, with its line and column.
fn not_utf8(body: &[u8]) -> Result<(), FeedError> {
    let Err(e) = std::str::from_utf8(body) else {
        return Ok(());
    };
    let at = e.valid_up_to();
    let before = &body[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Err(FeedError::NotUtf8 {
        byte: body[at],
        line,
        column,
    })
}

/// What the top of a document turned out to be.
enum Top {
    /// A list (top-level or `"products"`), whose records went to the collector.
    Records,
    /// `"products"` was there but not a list.
    ProductsNot(&'static str),
    /// An object without `"products"`.
    Lone(Map<String, Value>),
    Scalar(&'static str),
}

/// Reads the top of a document, streaming the records of a list to the collector.
struct TopSeed<'c, 'a> {
    out: &'c mut Collector<'a>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = Top;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of products")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top, A::Error> {
        records(self.out, seq)?;
        Ok(Top::Records)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        // Keys before "products" (a generation date, a count) are kept in case
        // there is no "products" and the object is a record itself; after it,
        // everything is skipped unread.
        let mut others = Map::new();
        let mut products: Option<Option<&'static str>> = None;
        while let Some(key) = map.next_key::<String>()? {
            if products.is_some() {
                map.next_value::<IgnoredAny>()?;
            } else if key == "products" {
                products = Some(map.next_value_seed(ProductsSeed {
                    out: &mut *self.out,
                })?);
            } else {
                others.insert(key, map.next_value::<Value>()?);
            }
        }
        Ok(match products {
            Some(None) => Top::Records,
            Some(Some(kind)) => Top::ProductsNot(kind),
            None => Top::Lone(others),
        })
    }

    fn visit_bool<E>(self, _: bool) -> Result<Top, E> {
        Ok(Top::Scalar("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Top, E> {
        Ok(Top::Scalar("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Top, E> {
        Ok(Top::Scalar("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Top, E> {
        Ok(Top::Scalar("a number"))
    }
    fn visit_str<E>(self, _: &str) -> Result<Top, E> {
        Ok(Top::Scalar("a string"))
    }
    fn visit_unit<E>(self) -> Result<Top, E> {
        Ok(Top::Scalar("null"))
    }
}

/// The value of `"products"`: a list is streamed (`None`); anything else is named.
struct ProductsSeed<'c, 'a> {
    out: &'c mut Collector<'a>,
}

impl<'de> DeserializeSeed<'de> for ProductsSeed<'_, '_> {
    type Value = Option<&'static str>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ProductsSeed<'_, '_> {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of products")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        records(self.out, seq)?;
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Some("an object"))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Some("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Some("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Some("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Some("a number"))
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Some("a string"))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Some("null"))
    }
}

/// The elements of a list of records, one at a time.
fn records<'de, A: SeqAccess<'de>>(out: &mut Collector<'_>, mut seq: A) -> Result<(), A::Error> {
    let mut n = 0;
    while let Some(value) = seq.next_element::<Value>()? {
        n += 1;
        out.value(At::Record(n), value);
    }
    Ok(())
}

/// Parses a whole JSON document (after the empty/HTML checks), for answers like
/// Open-Meteo's that are one object.
pub(crate) fn parse_document(bytes: &[u8]) -> Result<Value, FeedError> {
    let body = checked_body(bytes, "JSON")?;
    serde_json::from_slice(body).map_err(|e| json_error(&e))
}

fn json_error(e: &serde_json::Error) -> FeedError {
    FeedError::Json {
        line: e.line(),
        column: e.column(),
        message: message_of(e),
    }
}

/// serde_json's message without its ` at line L column C` tail, which we show in
/// our own words (or which is meaningless for a single JSON Lines line).
fn message_of(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let tail = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&tail).unwrap_or(&full).to_string()
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The parser as it was before feeds were streamed (whole document in memory),
/// kept as the oracle the streaming parser must agree with.
#[cfg(test)]
mod whole_document {
    use serde_json::{Map, Value};

    use super::{json_error, kind_of, message_of};
    use crate::feeds::formats::record::product_from_record;
    use crate::feeds::stream::checked_body;
    use crate::feeds::{FeedError, FeedReport, FeedSource};
    use crate::model::Product;

    /// Parses a JSON feed into products and the report of what was skipped.
    pub(super) fn parse(
        source: &FeedSource,
        bytes: &[u8],
    ) -> Result<(Vec<Product>, FeedReport), FeedError> {
        let body = checked_body(bytes, "JSON")?;
        let mut report = FeedReport::new(&source.name);
        let mut products = Vec::new();
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(records)) => {
                collect_records(source, records, &mut products, &mut report);
            }
            Ok(Value::Object(mut object)) => match object.remove("products") {
                Some(Value::Array(records)) => {
                    collect_records(source, records, &mut products, &mut report);
                }
                Some(other) => {
                    return Err(FeedError::Shape(format!(
                        "\"products\" is {}, not a list",
                        kind_of(&other)
                    )))
                }
                // A lone object is a JSON Lines file of one line.
                None => {
                    keep(source, "line 1", &object, &mut products, &mut report);
                }
            },
            Ok(other) => {
                return Err(FeedError::Shape(format!(
                    "expected a list of products, found {}",
                    kind_of(&other)
                )))
            }
            Err(whole) => {
                if !looks_like_json_lines(body) {
                    return Err(json_error(&whole));
                }
                collect_lines(source, body, &mut products, &mut report);
            }
        }
        if products.is_empty() {
            if let Some(first) = report.problems.first() {
                return Err(FeedError::NoValidRecords {
                    first_problem: first.clone(),
                });
            }
        }
        Ok((products, report))
    }

    fn collect_records(
        source: &FeedSource,
        records: Vec<Value>,
        products: &mut Vec<Product>,
        report: &mut FeedReport,
    ) {
        for (i, record) in records.into_iter().enumerate() {
            let at = format!("record {}", i + 1);
            match record {
                Value::Object(object) => keep(source, &at, &object, products, report),
                other => report.skip(format!("{at}: {} is not an object", kind_of(&other))),
            }
        }
    }

    /// JSON Lines: every non-blank line is one record, and a line that is not JSON is
    /// one bad record, not a broken feed.
    fn collect_lines(
        source: &FeedSource,
        body: &[u8],
        products: &mut Vec<Product>,
        report: &mut FeedReport,
    ) {
        for (i, line) in body.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let at = format!("line {}", i + 1);
            match serde_json::from_slice::<Value>(line) {
                Ok(Value::Object(object)) => keep(source, &at, &object, products, report),
                Ok(other) => report.skip(format!("{at}: {} is not an object", kind_of(&other))),
                Err(e) => report.skip(format!("{at}: not valid JSON: {}", message_of(&e))),
            }
        }
    }

    fn keep(
        source: &FeedSource,
        at: &str,
        object: &Map<String, Value>,
        products: &mut Vec<Product>,
        report: &mut FeedReport,
    ) {
        match product_from_record(source, object) {
            Ok(product) => {
                report.kept();
                products.push(product);
            }
            Err(problem) => report.skip(format!("{at}: {problem}")),
        }
    }

    /// The body is not one JSON value; it is JSON Lines when its first non-blank line
    /// is a complete object on its own. A truncated or mangled document fails this
    /// (its first line is `[` or an unfinished object) and is reported as broken JSON.
    fn looks_like_json_lines(body: &[u8]) -> bool {
        body.split(|&b| b == b'\n')
            .find(|line| !line.iter().all(u8::is_ascii_whitespace))
            .is_some_and(|line| {
                matches!(serde_json::from_slice::<Value>(line), Ok(Value::Object(_)))
            })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rust_decimal::Decimal;

    use super::*;
    use crate::feeds::FeedKind;

    fn source() -> FeedSource {
        FeedSource {
            name: "grocer".into(),
            kind: FeedKind::Json,
            url: String::new(),
            currency: Some("GBP".into()),
            rate_limit: None,
            of: None,
        }
    }

    fn ok(body: &str) -> (Vec<Product>, FeedReport) {
        parse(&source(), body.as_bytes()).expect("feed parses")
    }

    fn err(body: &[u8]) -> String {
        parse(&source(), body).expect_err("feed fails").to_string()
    }

    #[test]
    fn reads_a_top_level_array() {
        let (products, report) = ok(r#"[{"id":"1","name":"Tea"},{"id":"2","name":"Coffee"}]"#);
        assert_eq!(products.len(), 2);
        assert_eq!((report.records, report.skipped), (2, 0));
        assert_eq!(products[1].name, "Coffee");
    }

    #[test]
    fn reads_a_products_object() {
        let (products, _) = ok(r#"{"generated":"today","products":[{"id":"1","name":"Tea"}]}"#);
        assert_eq!(products[0].id, "1");
    }

    #[test]
    fn reads_json_lines_and_counts_a_bad_line() {
        let body = "{\"id\":\"1\",\"name\":\"Tea\"}\n\n{\"id\":\"2\",\"name\":\n{\"id\":\"3\",\"name\":\"Jam\"}\r\n";
        let (products, report) = ok(body);
        assert_eq!(
            products.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            ["1", "3"]
        );
        assert_eq!((report.records, report.skipped), (3, 1));
        assert!(
            report.problems[0].starts_with("line 3: not valid JSON: EOF while parsing"),
            "{:?}",
            report.problems
        );
    }

    #[test]
    fn json_lines_problems_name_the_line() {
        let body =
            "{\"id\":\"1\",\"name\":\"Tea\"}\n{\"id\":\"2\",\"name\":\"Jam\",\"price\":\"abc\"}\n";
        let (_, report) = ok(body);
        assert_eq!(report.problems, ["line 2: price \"abc\" is not a number"]);
    }

    #[test]
    fn prices_keep_their_exact_value() {
        let (products, _) = ok(
            r#"[{"id":"1","name":"Boots","price":"14.50"},{"id":"2","name":"Gum","price":0.1}]"#,
        );
        assert_eq!(
            products[0].price.map(|p| p.to_string()).as_deref(),
            Some("14.50")
        );
        assert_eq!(products[1].price, Some(Decimal::new(1, 1)));
        assert_eq!(
            products[1].price.map(|p| p.to_string()).as_deref(),
            Some("0.1")
        );
    }

    #[test]
    fn a_bad_price_skips_the_record_with_the_reason() {
        let (products, report) = ok(
            r#"[{"id":"1","name":"Tea"},{"id":"2","name":"Jam"},{"id":"3","name":"Gum"},{"id":"4","name":"Oats","price":"abc"}]"#,
        );
        assert_eq!(products.len(), 3);
        assert_eq!((report.records, report.skipped), (4, 1));
        assert_eq!(report.problems, ["record 4: price \"abc\" is not a number"]);
        assert_eq!(
            report.warning().as_deref(),
            Some("feed 'grocer': 1 of 4 records skipped: record 4: price \"abc\" is not a number")
        );
    }

    #[test]
    fn non_objects_and_negative_prices_are_skipped() {
        let (_, report) = ok(r#"[{"id":"1","name":"Tea"}, 5, {"id":"3","name":"Jam","price":-2}]"#);
        assert_eq!(
            report.problems,
            [
                "record 2: a number is not an object",
                "record 3: price \"-2\" is negative"
            ]
        );
    }

    #[test]
    fn allergens_absent_is_unknown_and_empty_is_none() {
        let (products, _) = ok(
            r#"[{"id":"1","name":"Tea"},{"id":"2","name":"Jam","allergens":[],"traces":null},{"id":"3","name":"Nuts","allergens":["en:Nuts"]}]"#,
        );
        assert_eq!(products[0].allergens, None);
        assert_eq!(products[1].allergens, Some(BTreeSet::new()));
        assert_eq!(products[1].traces, None);
        assert_eq!(
            products[2].allergens,
            Some(BTreeSet::from(["nuts".to_string()]))
        );
    }

    #[test]
    fn an_html_page_is_not_json() {
        assert_eq!(
            err(b"  <!DOCTYPE html><html>Sign in</html>"),
            "answered with an HTML page, not JSON"
        );
    }

    #[test]
    fn an_empty_body_is_an_error() {
        assert_eq!(err(b""), "empty response");
        assert_eq!(err(b" \n\t"), "empty response");
        assert_eq!(err(b"\xEF\xBB\xBF"), "empty response");
    }

    #[test]
    fn truncated_json_is_an_error_with_its_position() {
        assert_eq!(
            err(b"[\n  {\"id\": \"1\", \"name\": \"Tea\"},\n  ["),
            "not valid JSON at line 3, column 3: EOF while parsing a list"
        );
        assert_eq!(
            err(b"[{\"id\":\"1\""),
            "not valid JSON at line 1, column 10: EOF while parsing an object"
        );
    }

    #[test]
    fn an_empty_array_is_an_empty_feed() {
        let (products, report) = ok("[]");
        assert!(products.is_empty());
        assert_eq!(report.warning(), None);
    }

    #[test]
    fn only_bad_records_fail_the_feed() {
        assert_eq!(
            err(br#"[{"id":"1"}]"#),
            "no valid records: record 1: no name"
        );
    }

    #[test]
    fn a_bom_is_ignored() {
        let (products, _) = ok("\u{feff}[{\"id\":\"1\",\"name\":\"Tea\"}]");
        assert_eq!(products.len(), 1);
    }

    #[test]
    fn other_shapes_are_named() {
        assert_eq!(
            err(b"\"hello\""),
            "expected a list of products, found a string"
        );
        assert_eq!(
            err(br#"{"products": 3}"#),
            "\"products\" is a number, not a list"
        );
    }

    /// Every body below, read whole by the old parser and streamed by the new one
    /// (also through a 1-byte buffer, so every read boundary is crossed), gives
    /// the same products, report and error.
    #[test]
    fn streaming_agrees_with_reading_the_whole_document() {
        let bodies: &[&[u8]] = &[
            br#"[{"id":"1","name":"Tea"},{"id":"2","name":"Coffee"}]"#,
            b"\n\n  [\n {\"id\":\"1\",\"name\":\"Tea\"},\n  5, {\"id\":\"x\"}\n]\n",
            br#"{"generated":"today","products":[{"id":"1","name":"Tea"}],"count":1}"#,
            b"{\n  \"generated\": \"today\",\n  \"products\": [\n    {\"id\": \"1\", \"name\": \"Tea\"}\n  ]\n}\n",
            b"{\n  \"id\": \"1\",\n  \"name\": \"Tea\"\n}\n",
            br#"{"id":"1","name":"Tea"}"#,
            b"\n\n{\"id\":\"1\",\"name\":\"Tea\"}\n\n",
            b"\n{\"id\":\"1\",\"name\":\"Tea\"}\n\n{\"id\":\"2\",\"name\":\n[1]\n{\"id\":\"3\",\"name\":\"Jam\"}\r\n",
            b"{\"products\":[{\"id\":\"1\",\"name\":\"Tea\"}]}\n{\"id\":\"2\",\"name\":\"Jam\"}\n",
            b"{\n\"id\":\"1\",\"name\":\"Tea\"}\n{\"id\":\"2\",\"name\":\"Jam\"}\n",
            b"{\"id\":\"1\",\"name\":\"Tea\"}\n]\n",
            b"5\n{\"id\":\"1\",\"name\":\"Tea\"}\n",
            br#"{"products": 3}"#,
            br#"{"products": {"a": [1]}}"#,
            br#"{"products": null, "x": 1}"#,
            b"\"hello\"",
            b"\"hello\" x",
            b"null",
            b"true",
            b"[1] [2]",
            b"[{\"id\":\"1\"",
            b"[\n  {\"id\": \"1\", \"name\": \"Tea\"},\n  [",
            b"[{\"id\":\"1\",\"name\":\"Tea\"} {\"id\":\"2\"}]",
            b"[]",
            b"{}",
            b"  ",
            b"\xEF\xBB\xBF[{\"id\":\"1\",\"name\":\"Tea\"}]",
            b"\xEF\xBB\xBF  \n<html>",
            br#"[{"id":"1"}]"#,
            b"hello",
            b"{\"id\":\"1\",\"name\":\"Tea\",\"price\":\"abc\"}\n{\"id\":\"2\",\"name\":\"Jam\",\"price\":-1}\n",
        ];
        let shown = |r: Result<(Vec<Product>, FeedReport), FeedError>| match r {
            Ok((products, report)) => format!(
                "{:?} {} {} {:?}",
                products
                    .iter()
                    .map(|p| (p.id.as_str(), p.name.as_str()))
                    .collect::<Vec<_>>(),
                report.records,
                report.skipped,
                report.problems
            ),
            Err(e) => format!("error: {e}"),
        };
        for body in bodies {
            let whole = shown(whole_document::parse(&source(), body));
            let streamed = shown(parse(&source(), body));
            assert_eq!(streamed, whole, "{}", String::from_utf8_lossy(body));
            let mut products = Vec::new();
            let tiny = std::io::BufReader::with_capacity(1, *body);
            let trickled = shown(
                parse_reader(&source(), tiny, &mut |p| products.push(p))
                    .map(|report| (std::mem::take(&mut products), report)),
            );
            assert_eq!(trickled, whole, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn a_long_one_line_document_is_streamed_not_split_into_lines() {
        let mut body = String::from(r#"{"products":["#);
        let n = 40_000;
        for i in 0..n {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&format!(
                r#"{{"id":"{i}","name":"Item {i}","price":"1.{:02}"}}"#,
                i % 100
            ));
        }
        body.push_str("]}");
        assert!(body.len() as u64 > FIRST_LINE_WINDOW);
        let mut seen = 0;
        let report = parse_reader(&source(), body.as_bytes(), &mut |_| seen += 1).expect("parses");
        assert_eq!((seen, report.records, report.skipped), (n, n, 0));
    }
}
