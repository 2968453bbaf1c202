//! The tab-separated form of a merchant feed: a header row of attribute names
//! (`g:` optional), then one item per line.

use std::io::Read;

use chrono::{DateTime, Utc};

use super::fields::{Field, RawItem};
use super::{label, read_error, Emitter, Lead, Sink};
use crate::feeds::{FeedError, FeedReport, FeedSource};

pub(super) fn parse_tsv<'a, R: Read>(
    source: &'a FeedSource,
    reader: R,
    lead: Lead,
    now: DateTime<Utc>,
    sink: Sink<'a>,
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
    let local = matches!(sink, Sink::Local(_));
    if local && !columns.contains(&Some(Field::StoreCode)) {
        return Err(FeedError::MissingColumn("'store_code'".into()));
    }
    if !local && !columns.contains(&Some(Field::Title)) {
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
