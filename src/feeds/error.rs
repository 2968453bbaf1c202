//! Why a feed could not be used, and the helpers its messages are made with:
//! every URL in them is shown without its `user:password@`.

use std::time::Duration;

use super::FeedKind;

/// Why a feed (or the forecast) could not be used at all.
///
/// Each message is one short line without the feed's name: the caller prefixes
/// `feed 'grocer': `.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    #[error("unsupported URL scheme '{scheme}' in {}", shown_url(.url))]
    UnsupportedScheme { scheme: String, url: String },
    #[error("HTTP {status}{} from {}{}", reason_suffix(.reason), shown_url(.url), detail_suffix(.detail))]
    Http {
        status: u16,
        reason: Option<String>,
        url: String,
        /// What the server said in its error body, when it said it in a known way.
        detail: Option<String>,
    },
    #[error("timed out after {}", seconds(.after))]
    Timeout { after: Duration },
    #[error("cannot connect to {}: {}", shown_url(.url), scrub(.reason, .url))]
    Connect { url: String, reason: String },
    #[error("request to {} failed: {}", shown_url(.url), scrub(.reason, .url))]
    Request { url: String, reason: String },
    #[error("response larger than the {} limit", size(*.limit))]
    TooLarge { limit: u64 },
    /// `--offline` and the URL was never fetched before.
    #[error("not in the cache, and --offline forbids fetching it")]
    NotCached { url: String },
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("empty response")]
    Empty,
    #[error("answered with an HTML page, not {expected}")]
    Html { expected: &'static str },
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON must be UTF-8 (RFC 8259); a Latin-1 or Windows-1252 export is the
    /// usual cause, and serde_json's "invalid unicode code point" does not say so.
    #[error("not UTF-8 text: byte 0x{byte:02X} at line {line}, column {column} (is it Latin-1?)")]
    NotUtf8 {
        byte: u8,
        line: usize,
        column: usize,
    },
    #[error("not valid CSV: {0}")]
    Csv(String),
    #[error("missing column {0}")]
    MissingColumn(String),
    /// The document parsed but is not shaped like the format says.
    #[error("{0}")]
    Shape(String),
    #[error("no valid records: {first_problem}")]
    NoValidRecords { first_problem: String },
    #[error("kind '{0}' is not supported yet")]
    Unsupported(FeedKind),
    /// An `openfoodfacts` feed named where a catalog is expected: it is asked per
    /// GTIN by `openfoodfacts::fetch_facts`, never fetched whole.
    #[error(
        "an {0} feed supplies facts for products of other feeds; it is not fetched as a catalog"
    )]
    FactsOnly(FeedKind),
    /// An `open-prices` feed named where a catalog is expected: it is asked per
    /// GTIN by `open_prices::fetch_prices` and fills the price history.
    #[error(
        "an {0} feed fills the price history of products of other feeds; it is not fetched as a catalog"
    )]
    HistoryOnly(FeedKind),
    /// A `merchant-local` feed named where a catalog is expected: its rows
    /// are joined to the products of the feed its `of` names.
    #[error(
        "a {0} feed says what stores have of another feed's products; it lists none of its own"
    )]
    LocalOnly(FeedKind),
    /// The service answered but refused the request (Open-Meteo's `"error": true`).
    #[error("the service refused the request: {0}")]
    Refused(String),
    #[error("no daily forecast in the answer")]
    NoDaily,
    /// The run's fetch budget (`fetch_timeout`, `--timeout`) ran out before
    /// this request had its answer.
    #[error("gave up after {} (the run's fetch_timeout; --timeout changes it)", span(.after))]
    GaveUp { after: Duration },
    /// The host failed requests enough times this run that it was not asked again.
    #[error("{reason}; not asked again: {host} failed {failures} requests this run")]
    HostDown {
        host: String,
        failures: u32,
        reason: String,
    },
    /// The host's rate limit for this run is used up (Open Food Facts); the
    /// request is left for the next run.
    #[error("not asked this run: {host} is asked at most {limit} times a run (rate_limit)")]
    RateLimited { host: String, limit: u32 },
    /// A page answered, but with what a bot wall sends: a 403 or 429, a
    /// challenge page, or no product where its cached copy had one.
    #[error("looks blocked ({0})")]
    Blocked(String),
    /// The forecast gives a variable in a unit basket does not convert.
    #[error("daily_units gives {variable} in \"{unit}\", a unit basket cannot read; ask Open-Meteo for °C, °F, mm, inch, km/h, mph, kn or m/s")]
    Unit { variable: String, unit: String },
    /// A parser thread panicked: a bug, reported as this feed's failure only.
    #[error("internal error while reading the feed")]
    Panicked,
}

/// A URL as basket shows it: without the `user:password@` a feed URL may carry
/// for HTTP basic auth (the query is kept: it tells feeds apart). Anything that
/// does not parse as a URL is shown as given: a path, or text that was never a
/// request.
pub fn shown_url(url: &str) -> std::borrow::Cow<'_, str> {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            std::borrow::Cow::Owned(u.to_string())
        }
        _ => std::borrow::Cow::Borrowed(url),
    }
}

/// A reason from the HTTP stack, with `url` (should it quote it) shown without
/// its credentials.
pub(super) fn scrub(reason: &str, url: &str) -> String {
    let shown = shown_url(url);
    if shown == url {
        return reason.to_string();
    }
    let mut text = reason.replace(url, &shown);
    // reqwest quotes the parsed form, which may differ in spelling (a trailing
    // slash, lowercase host); drop any `user:password@` left over.
    if let Ok(u) = reqwest::Url::parse(url) {
        if let Some(password) = u.password() {
            text = text.replace(&format!(":{password}@"), "@");
        }
    }
    text
}

fn reason_suffix(reason: &Option<String>) -> String {
    reason.as_ref().map(|r| format!(" {r}")).unwrap_or_default()
}

fn detail_suffix(detail: &Option<String>) -> String {
    detail
        .as_ref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

/// `30 s`, or `0.25 s` for the short timeouts tests use.
fn seconds(d: &Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

/// `2 min`, `90 s`, `3 s`: a run's budget as people write it.
pub(crate) fn span(d: &Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 && secs.is_multiple_of(60) && d.subsec_millis() == 0 {
        format!("{} min", secs / 60)
    } else {
        seconds(d)
    }
}

/// `64 MiB`, `512 KiB`, `1000 bytes`: the cap as the user configured it.
fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * MIB;
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_one_line() {
        let e = FeedError::Http {
            status: 503,
            reason: Some("Service Unavailable".into()),
            url: "http://127.0.0.1:4000/cat.json".into(),
            detail: None,
        };
        assert_eq!(
            e.to_string(),
            "HTTP 503 Service Unavailable from http://127.0.0.1:4000/cat.json"
        );
        assert_eq!(
            FeedError::TooLarge {
                limit: 64 * 1024 * 1024
            }
            .to_string(),
            "response larger than the 64 MiB limit"
        );
        assert_eq!(
            FeedError::Timeout {
                after: Duration::from_secs(30)
            }
            .to_string(),
            "timed out after 30 s"
        );
        assert_eq!(
            FeedError::GaveUp {
                after: Duration::from_secs(120)
            }
            .to_string(),
            "gave up after 2 min (the run's fetch_timeout; --timeout changes it)"
        );
        assert_eq!(
            FeedError::Unsupported(FeedKind::Page).to_string(),
            "kind 'page' is not supported yet"
        );
    }
}
