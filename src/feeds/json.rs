//! The `json` feed kind: a top-level array of products, `{"products": [...]}`, or
//! JSON Lines (one product object per line), in the model's field names.
//!
//! A record that breaks a rule is skipped and counted (`record 4: ...`, or
//! `line 4: ...` for JSON Lines); only a body that is not JSON at all fails the feed.

use serde_json::{Map, Value};

use crate::model::Product;

use super::record::product_from_record;
use super::{checked_body, FeedError, FeedReport, FeedSource};

/// Parses a JSON feed into products and the report of what was skipped.
pub(crate) fn parse(
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
                not_utf8(body)?;
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
            Err(e) => match not_utf8(line) {
                Err(FeedError::NotUtf8 { byte, column, .. }) => report.skip(format!(
                    "{at}: not UTF-8 text: byte 0x{byte:02X} at column {column}"
                )),
                _ => report.skip(format!("{at}: not valid JSON: {}", message_of(&e))),
            },
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
        .is_some_and(|line| matches!(serde_json::from_slice::<Value>(line), Ok(Value::Object(_))))
}

/// Parses a whole JSON document (after the empty/HTML checks), for answers like
/// Open-Meteo's that are one object.
pub(crate) fn parse_document(bytes: &[u8]) -> Result<Value, FeedError> {
    let body = checked_body(bytes, "JSON")?;
    serde_json::from_slice(body).map_err(|e| not_utf8(body).err().unwrap_or_else(|| json_error(&e)))
}

/// Where the body stops being UTF-8, as an error; checked only once serde_json
/// has failed, so a good feed is not scanned twice.
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
}
