//! The `csv` feed kind: a header row of the model's field names (any case, spaces
//! trimmed), one product per row, lists separated by `;` and `categories` a `>`
//! path or a `;` list.
//!
//! Each row is read in place through [`Record`] (a cell by its column's name,
//! empty cells absent) and goes through the same record rules as the `json` kind. A row with the wrong number of fields is skipped
//! and counted as `line N: ...`; a missing `name` or `id`/`gtin` column fails the
//! feed, since no row could be used.

use std::io::BufRead;

use crate::model::Product;

use super::record::{product_from_record, Field, Record};
use crate::feeds::stream::{checked_reader, read_error};
use crate::feeds::{FeedError, FeedReport, FeedSource};

/// Parses a CSV feed held in memory into products and the report of what was
/// skipped: [`parse_reader`] over the bytes, collecting what it hands over.
pub(crate) fn parse(
    source: &FeedSource,
    bytes: &[u8],
) -> Result<(Vec<Product>, FeedReport), FeedError> {
    let mut products = Vec::new();
    let report = parse_reader(source, bytes, &mut |p| products.push(p))?;
    Ok((products, report))
}

/// Parses a CSV feed from `reader`, handing each product to `sink` as soon as its
/// row is read: one row in memory at a time.
pub(crate) fn parse_reader<R: BufRead>(
    source: &FeedSource,
    reader: R,
    sink: &mut dyn FnMut(Product),
) -> Result<FeedReport, FeedError> {
    let body = checked_reader(source, reader, "CSV")?.reader;
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        // Strict field counts: a short or long row is a broken record, and
        // guessing which cell is which would put prices into names.
        .flexible(false)
        .from_reader(body);
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(source, &e))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if !columns.iter().any(|c| c == "name") {
        return Err(FeedError::MissingColumn("'name'".into()));
    }
    if !columns.iter().any(|c| c == "id" || c == "gtin") {
        return Err(FeedError::MissingColumn("'id' (or 'gtin')".into()));
    }

    let mut report = FeedReport::new(&source.name);
    let mut kept = 0usize;
    let mut row = ::csv::StringRecord::new();
    loop {
        match reader.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                report.skip(row_problem(source, &e)?);
                continue;
            }
        }
        let record = Row {
            columns: &columns,
            cells: &row,
        };
        match product_from_record(source, &record) {
            Ok(product) => {
                report.kept();
                kept += 1;
                sink(product);
            }
            Err(problem) => report.skip(format!(
                "{}: {problem}",
                line_label(row.position().map(|p| p.line()))
            )),
        }
    }
    if kept == 0 {
        if let Some(first) = report.problems.first() {
            return Err(FeedError::NoValidRecords {
                first_problem: first.clone(),
            });
        }
    }
    Ok(report)
}

/// One row, its cells named by the header's columns.
struct Row<'a> {
    columns: &'a [String],
    cells: &'a ::csv::StringRecord,
}

impl Record for Row<'_> {
    /// The cell, trimmed. An empty cell is an absent field (unknown), not an
    /// empty value; of two columns with one name, the last non-empty cell wins.
    fn field(&self, name: &str) -> Option<Field<'_>> {
        self.columns
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, column)| *column == name)
            .filter_map(|(i, _)| self.cells.get(i).map(str::trim))
            .find(|cell| !cell.is_empty())
            .map(Field::Text)
    }

    fn may_hold_controls(&self) -> bool {
        crate::text::has_control(self.cells.as_slice())
    }
}

fn csv_error(source: &FeedSource, e: &::csv::Error) -> FeedError {
    match e.kind() {
        ::csv::ErrorKind::Io(io) => read_error(source, io),
        _ => FeedError::Csv(e.to_string()),
    }
}

/// The reason a row could not be read, or a feed error for failures that are not
/// about one row (the stream could not be read).
fn row_problem(source: &FeedSource, e: &::csv::Error) -> Result<String, FeedError> {
    match e.kind() {
        ::csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => Ok(format!(
            "{}: {len} fields, expected {expected_len}",
            line_label(pos.as_ref().map(|p| p.line()))
        )),
        ::csv::ErrorKind::Utf8 { pos, .. } => Ok(format!(
            "{}: not valid UTF-8",
            line_label(pos.as_ref().map(|p| p.line()))
        )),
        _ => Err(csv_error(source, e)),
    }
}

fn line_label(line: Option<u64>) -> String {
    match line {
        Some(n) => format!("line {n}"),
        None => "a row".to_string(),
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
            kind: FeedKind::Csv,
            url: String::new(),
            currency: Some("GBP".into()),
            rate_limit: None,
            of: None,
        }
    }

    fn ok(body: &str) -> (Vec<Product>, FeedReport) {
        parse(&source(), body.as_bytes()).expect("feed parses")
    }

    fn err(body: &str) -> String {
        parse(&source(), body.as_bytes())
            .expect_err("feed fails")
            .to_string()
    }

    #[test]
    fn reads_rows_with_lists_and_paths() {
        let (products, report) = ok("\
ID, Name ,price,categories,contains,free_from,allergens,labels
1,Dark chocolate,1.99,Food > Snacks > Chocolate,en:palm-oil,gluten;Nuts,,Organic; fair-trade
2,\"Oat milk, barista\",14.50,drinks;en:plant-milks,,,,
");
        assert_eq!((report.records, report.skipped), (2, 0));
        let choc = &products[0];
        assert_eq!(choc.categories, ["Food", "Snacks", "Chocolate"]);
        assert_eq!(choc.contains, BTreeSet::from(["palm-oil".to_string()]));
        assert_eq!(
            choc.free_from,
            BTreeSet::from(["gluten".to_string(), "nuts".to_string()])
        );
        assert_eq!(choc.allergens, None, "an empty cell is unknown");
        assert_eq!(
            choc.labels,
            BTreeSet::from(["organic".to_string(), "fair-trade".to_string()])
        );
        assert_eq!(choc.currency.as_deref(), Some("GBP"));
        let milk = &products[1];
        assert_eq!(milk.name, "Oat milk, barista");
        assert_eq!(milk.price.map(|p| p.to_string()).as_deref(), Some("14.50"));
        assert_eq!(milk.categories, ["drinks", "en:plant-milks"]);
    }

    #[test]
    fn a_short_row_is_skipped_and_counted() {
        let (products, report) = ok("id,name,price\n1,Tea,1.00\n2,Jam\n3,Gum,0.5\n");
        assert_eq!(products.len(), 2);
        assert_eq!((report.records, report.skipped), (3, 1));
        assert_eq!(report.problems, ["line 3: 2 fields, expected 3"]);
    }

    #[test]
    fn a_bad_price_names_its_line() {
        let (_, report) = ok("id,name,price\n1,Tea,1.00\n2,Jam,abc\n");
        assert_eq!(report.problems, ["line 3: price \"abc\" is not a number"]);
        assert_eq!(
            report.warning().as_deref(),
            Some("feed 'grocer': 1 of 2 records skipped: line 3: price \"abc\" is not a number")
        );
    }

    #[test]
    fn a_bom_before_the_header_is_ignored() {
        let (products, _) = ok("\u{feff}id,name,price\r\n1,Tea,2\r\n");
        assert_eq!(products[0].id, "1");
        assert_eq!(products[0].price, Some(Decimal::new(2, 0)));
    }

    #[test]
    fn gtin_alone_identifies_rows() {
        let (products, _) = ok("gtin,name\n05449000011527,Fanta\n");
        assert_eq!(products[0].id, "05449000011527");
        assert_eq!(products[0].gtin.as_deref(), Some("05449000011527"));
    }

    #[test]
    fn missing_columns_fail_the_feed() {
        assert_eq!(err("id,title\n1,Tea\n"), "missing column 'name'");
        assert_eq!(err("sku,name\n1,Tea\n"), "missing column 'id' (or 'gtin')");
    }

    #[test]
    fn html_and_empty_bodies_fail_the_feed() {
        assert_eq!(err("<html></html>"), "answered with an HTML page, not CSV");
        assert_eq!(err(""), "empty response");
    }

    #[test]
    fn a_header_alone_is_an_empty_feed() {
        let (products, report) = ok("id,name\n");
        assert!(products.is_empty());
        assert_eq!(report.records, 0);
    }

    #[test]
    fn only_bad_rows_fail_the_feed() {
        assert_eq!(
            err("id,name,price\n1,Tea,abc\n"),
            "no valid records: line 2: price \"abc\" is not a number"
        );
    }

    #[test]
    fn a_trickling_stream_reads_like_the_whole_body() {
        let bodies = [
            "\u{feff}id,name,price\r\n1,Tea,2\r\n2,Jam\r\n3,Gum,abc\n",
            "\n\nid,name\n1,Tea\n",
            "id,title\n1,Tea\n",
            "\u{feff}",
            "\u{feff} <html>",
        ];
        for body in bodies {
            let whole = format!(
                "{:?}",
                parse(&source(), body.as_bytes()).map(|(p, r)| (p, r.problems))
            );
            let mut products = Vec::new();
            let tiny = std::io::BufReader::with_capacity(1, body.as_bytes());
            let streamed = format!(
                "{:?}",
                parse_reader(&source(), tiny, &mut |p| products.push(p))
                    .map(|r| (std::mem::take(&mut products), r.problems))
            );
            assert_eq!(streamed, whole, "{body:?}");
        }
        assert_eq!(err("\u{feff}"), "empty response");
    }
}
