//! How values are written into the store's TEXT columns and read back: timestamps,
//! money and whole JSON bodies, shared by every aggregate.

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::error::corrupt;
use super::StoreError;

/// Timestamps are fixed-width RFC 3339 in UTC with nanoseconds: they round-trip
/// exactly and sort correctly as text, which the ORDER BYs rely on.
pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub(super) fn parse_ts(path: &Path, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(path, format!("timestamp '{s}': {e}")))
}

pub(super) fn parse_decimal(path: &Path, s: Option<&str>) -> Result<Option<Decimal>, StoreError> {
    s.map(|s| Decimal::from_str(s).map_err(|e| corrupt(path, format!("amount '{s}': {e}"))))
        .transpose()
}

pub(super) fn to_json<T: Serialize>(
    path: &Path,
    what: &str,
    value: &T,
) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Encode {
        path: path.to_path_buf(),
        what: what.to_string(),
        detail: e.to_string(),
    })
}
