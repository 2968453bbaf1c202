//! The `open-prices` feed kind: price history, not a catalog. For the GTINs of
//! basket items and watched products basket asks the Open Prices API
//! (`{url}/api/v1/prices?product_code={gtin}&size=100&order_by=-date`) for the
//! prices people recorded from receipts and shelf tags, and turns each into an
//! [`Observation`] for the store's history, so "lowest in 30 days" has something
//! to go on from the first day.
//!
//! The answer is the API's list envelope, `{"items": [...], "page", "pages",
//! "size", "total"}`; only the first page is read (the newest 100 prices, which
//! is more history than any selector looks at). How an item maps:
//!
//! | Open Prices | observation |
//! | --- | --- |
//! | `price` (a number or a string) | `price`, exact: the decimal is read from its text, never through a float |
//! | `price_is_discounted` and `price_without_discount` | `regular_price`, only when both say so |
//! | `currency` | `currency` (upper-cased) |
//! | `date` (`YYYY-MM-DD`) | `at`: that day at 12:00 UTC (the API gives no time of day) |
//! | `product_code` | `gtin`, normalised to 14 digits |
//! | `product_name`, else `product.product_name` | `name`, else the GTIN |
//!
//! `feed` is the feed's name and `id` the GTIN asked, so the history of one GTIN
//! from Open Prices is one product whatever shop the prices came from;
//! `availability` is unknown (a receipt says nothing of the shelf). An item
//! without a usable price or date, or for another product than the one asked
//! (a server that ignored the filter), is skipped.
//!
//! Asking politely, as for Open Food Facts: each GTIN once per run, at most
//! `concurrency` requests at a time, and answers cached for [`FRESH_FOR`].

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::model::{normalize_gtin, Observation};

use crate::feeds::formats::json::parse_document;
use crate::feeds::{FeedError, Fetcher};

pub const DEFAULT_URL: &str = "https://prices.openfoodfacts.org";

/// How many requests are open at once unless the caller says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// How long a cached answer is used without asking again: prices are added a few
/// times a day at most, and history does not need to be fresher than that.
pub const FRESH_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// The prices URL for one GTIN, newest first, one full page.
pub fn prices_url(base: &str, gtin: &str) -> String {
    format!(
        "{}/api/v1/prices?product_code={}&size=100&order_by=-date",
        base.trim_end_matches('/'),
        gtin.trim()
    )
}

/// Parses one prices answer into observations of `gtin`, oldest first. Items that
/// cannot be used are skipped (see the module note); an answer that is not the
/// list envelope is an error.
#[cfg(test)]
pub fn parse_prices(feed: &str, gtin: &str, bytes: &[u8]) -> Result<Vec<Observation>, FeedError> {
    parse_counted(feed, gtin, bytes).map(|(observations, _)| observations)
}

/// [`parse_prices`], also returning why items were skipped (`item 3: no price`).
fn parse_counted(
    feed: &str,
    gtin: &str,
    bytes: &[u8],
) -> Result<(Vec<Observation>, Vec<String>), FeedError> {
    let Value::Object(answer) = parse_document(bytes)? else {
        return Err(FeedError::Shape(
            "expected a JSON object from Open Prices".to_string(),
        ));
    };
    let Some(Value::Array(items)) = answer.get("items") else {
        return Err(FeedError::Shape(
            "the answer has no \"items\" list (is the feed's url the Open Prices API base?)"
                .to_string(),
        ));
    };
    let asked = normalize_gtin(gtin);
    let mut observations = Vec::new();
    let mut skipped = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mapped = match item {
            Value::Object(item) => observation(feed, gtin, asked.as_deref(), item),
            _ => Err("not an object".to_string()),
        };
        match mapped {
            Ok(o) => observations.push(o),
            Err(why) => skipped.push(format!("item {}: {why}", i + 1)),
        }
    }
    // Stable: prices of one day keep the answer's order among themselves.
    observations.sort_by_key(|o| o.at);
    Ok((observations, skipped))
}

/// One item (the table in the module note).
fn observation(
    feed: &str,
    gtin: &str,
    asked: Option<&str>,
    item: &Map<String, Value>,
) -> Result<Observation, String> {
    let code = text(item, "product_code");
    let gtin14 = match code.as_deref() {
        Some(code) => {
            let normalized = normalize_gtin(code);
            if asked.is_some() && normalized.as_deref() != asked {
                return Err(format!("for product {code}, not {gtin}"));
            }
            normalized
        }
        None => asked.map(str::to_string),
    };
    let price = decimal(item, "price")?.ok_or("no price")?;
    let regular_price = match item.get("price_is_discounted") {
        Some(Value::Bool(true)) => decimal(item, "price_without_discount")?,
        _ => None,
    };
    let date = text(item, "date").ok_or("no date")?;
    let day = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .map_err(|_| format!("date \"{date}\" is not YYYY-MM-DD"))?;
    let noon = NaiveTime::from_hms_opt(12, 0, 0).expect("12:00 is a time");
    let name = text(item, "product_name")
        .or_else(|| match item.get("product") {
            Some(Value::Object(p)) => text(p, "product_name"),
            _ => None,
        })
        .unwrap_or_else(|| gtin.trim().to_string());
    Ok(Observation {
        feed: feed.to_string(),
        id: gtin.trim().to_string(),
        gtin: gtin14,
        name,
        price: Some(price),
        regular_price,
        currency: text(item, "currency").map(|c| c.to_ascii_uppercase()),
        availability: None,
        at: DateTime::<Utc>::from_naive_utc_and_offset(day.and_time(noon), Utc),
    })
}

/// A string (or number) field, trimmed; `None` when missing, `null` or blank.
fn text(item: &Map<String, Value>, field: &str) -> Option<String> {
    match item.get(field)? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A price as an exact decimal: a string is read as written, a number through its
/// shortest text (`2.2` stays `2.2`). Negative prices are refused.
fn decimal(item: &Map<String, Value>, field: &str) -> Result<Option<Decimal>, String> {
    let raw = match item.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(format!("{field} is not a number")),
    };
    let value = Decimal::from_str(&raw)
        .or_else(|_| Decimal::from_scientific(&raw))
        .map_err(|_| format!("{field} \"{raw}\" is not a number"))?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(format!("{field} \"{raw}\" is negative"));
    }
    Ok(Some(value))
}

/// Asks Open Prices about each GTIN and returns every price it has for them, with
/// one warning per GTIN that could not be asked or read
/// (`open-prices: 5012345001012: HTTP 503 ...`) and one per answer with skipped
/// items. A GTIN nobody recorded a price for is simply absent: no warning.
///
/// GTINs are folded to 14 digits to drop duplicates (the first spelling is the one
/// asked and becomes the observations' `id`); at most `concurrency` requests run at
/// once (0 counts as 1). A failure changes nothing: the caller imports only what
/// came back.
pub fn fetch_prices(
    fetcher: &Fetcher,
    feed: &str,
    base: &str,
    gtins: &[String],
    concurrency: usize,
) -> (Vec<Observation>, Vec<String>) {
    let (queue, mut warnings) = super::gtin_queue(feed, gtins);
    let answers = super::ask_each(&queue, concurrency, |gtin| {
        fetcher
            .get_fresh(&prices_url(base, gtin), FRESH_FOR)
            .and_then(|f| parse_counted(feed, gtin, &f.bytes))
    });
    let answers = answers
        .into_iter()
        .enumerate()
        .map(|(i, a)| (i, a.unwrap_or(Err(FeedError::Panicked))));

    let mut observations = Vec::new();
    let mut left = super::Left::default();
    for (i, answer) in answers {
        let gtin = queue.get(i).map_or("?", String::as_str);
        match answer {
            Ok((found, skipped)) => {
                if let Some(first) = skipped.first() {
                    let total = found.len() + skipped.len();
                    warnings.push(format!(
                        "{feed}: {gtin}: {} of {total} prices skipped: {first}",
                        skipped.len()
                    ));
                }
                observations.extend(found);
            }
            Err(e) => {
                if let Some(e) = left.count(e) {
                    warnings.push(format!("{feed}: {gtin}: {e}"));
                }
            }
        }
    }
    warnings.extend(left.notices(feed));
    (observations, warnings)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::thread;

    use super::*;
    use crate::feeds::FetchOptions;

    const GTIN: &str = "5012345001012";
    const FIXTURE: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/open-prices/own-prices-5012345001012.json"
    ));

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn noon(day: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{day}T12:00:00Z"))
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn url_trims_the_base_and_asks_for_a_full_page_newest_first() {
        assert_eq!(
            prices_url("https://prices.openfoodfacts.org/", " 5012345001012 "),
            "https://prices.openfoodfacts.org/api/v1/prices?product_code=5012345001012\
             &size=100&order_by=-date"
        );
    }

    #[test]
    fn fixture_maps_every_usable_item_oldest_first() {
        let (obs, skipped) = parse_counted("open-prices", GTIN, FIXTURE).expect("parses");
        type Row<'a> = (
            DateTime<Utc>,
            Option<Decimal>,
            Option<Decimal>,
            Option<&'a str>,
        );
        let seen: Vec<Row> = obs
            .iter()
            .map(|o| (o.at, o.price, o.regular_price, o.currency.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                (noon("2026-08-30"), Some(dec("2.49")), None, Some("EUR")),
                (noon("2026-09-10"), Some(dec("2.2")), None, Some("GBP")),
                // Discounted: the price without the discount is the regular price.
                (
                    noon("2026-09-25"),
                    Some(dec("1.85")),
                    Some(dec("2.10")),
                    Some("GBP")
                ),
                (noon("2026-10-02"), Some(dec("2.1")), None, Some("GBP")),
            ]
        );
        for o in &obs {
            assert_eq!((o.feed.as_str(), o.id.as_str()), ("open-prices", GTIN));
            assert_eq!(o.gtin.as_deref(), Some("05012345001012"));
            assert_eq!(o.name, "Divine Dark Chocolate 70% 90g");
            assert_eq!(o.availability, None);
        }
        assert_eq!(
            skipped,
            [
                "item 3: no price",
                "item 4: date \"18/09/2026\" is not YYYY-MM-DD"
            ]
        );
        assert_eq!(
            parse_prices("open-prices", GTIN, FIXTURE).expect("parses"),
            obs
        );
    }

    #[test]
    fn string_and_number_prices_are_exact() {
        let body = br#"{"items":[
            {"product_code":"5012345001012","price":"0.10","currency":"eur","date":"2026-01-01"},
            {"product_code":"5012345001012","price":0.1,"currency":"EUR","date":"2026-01-02"},
            {"product_code":"5012345001012","price":1234.5678,"currency":"EUR","date":"2026-01-03"},
            {"product_code":"5012345001012","price":3,"currency":"EUR","date":"2026-01-04"}
        ],"page":1,"pages":1,"size":100,"total":4}"#;
        let obs = parse_prices("op", GTIN, body).expect("parses");
        let prices: Vec<String> = obs
            .iter()
            .map(|o| o.price.expect("price").to_string())
            .collect();
        assert_eq!(prices, ["0.10", "0.1", "1234.5678", "3"]);
        assert_eq!(obs[0].currency.as_deref(), Some("EUR"));
        // No product name anywhere: the GTIN stands in.
        assert_eq!(obs[0].name, GTIN);
    }

    #[test]
    fn discount_fields_give_a_regular_price_only_together() {
        let body = br#"{"items":[
            {"price":"1.50","price_is_discounted":true,"price_without_discount":2,"date":"2026-01-01"},
            {"price":"1.50","price_is_discounted":false,"price_without_discount":"2.00","date":"2026-01-02"},
            {"price":"1.50","price_is_discounted":true,"price_without_discount":null,"date":"2026-01-03"}
        ]}"#;
        let obs = parse_prices("op", GTIN, body).expect("parses");
        let regular: Vec<Option<Decimal>> = obs.iter().map(|o| o.regular_price).collect();
        assert_eq!(regular, [Some(dec("2")), None, None]);
        // Without `product_code`, the item is taken as the GTIN asked.
        assert_eq!(obs[0].gtin.as_deref(), Some("05012345001012"));
    }

    #[test]
    fn bad_items_are_skipped_with_a_reason() {
        let body = br#"{"items":[
            "not an object",
            {"product_code":"5012345001012","price":"abc","date":"2026-01-01"},
            {"product_code":"5012345001012","price":"-1","date":"2026-01-01"},
            {"product_code":"5012345001012","price":true,"date":"2026-01-01"},
            {"product_code":"5012345001012","price":"1.00"},
            {"product_code":"4000000000006","price":"1.00","date":"2026-01-01"},
            {"product_code":"05012345001012","price":"1.00","date":"2026-01-01"}
        ]}"#;
        let (obs, skipped) = parse_counted("op", GTIN, body).expect("parses");
        assert_eq!(
            obs.len(),
            1,
            "the 14-digit spelling of the same GTIN is kept"
        );
        assert_eq!(
            skipped,
            [
                "item 1: not an object",
                "item 2: price \"abc\" is not a number",
                "item 3: price \"-1\" is negative",
                "item 4: price is not a number",
                "item 5: no date",
                "item 6: for product 4000000000006, not 5012345001012",
            ]
        );
    }

    #[test]
    fn answers_that_are_not_the_envelope_are_errors() {
        for (body, want) in [
            (&b"[]"[..], "expected a JSON object from Open Prices"),
            (
                &br#"{"detail":"Not Found"}"#[..],
                "the answer has no \"items\" list (is the feed's url the Open Prices API base?)",
            ),
            (
                &b"<html>maintenance</html>"[..],
                "answered with an HTML page, not JSON",
            ),
        ] {
            let err = parse_prices("op", GTIN, body).expect_err("not an envelope");
            assert_eq!(err.to_string(), want);
        }
        assert!(parse_prices("op", GTIN, br#"{"items":[]}"#)
            .expect("empty is fine")
            .is_empty());
    }

    /// A loopback Open Prices: answers by path and query from a fixed table until
    /// told to stop, recording each request's URL.
    struct FakePrices {
        base: String,
        seen: Arc<Mutex<Vec<String>>>,
        server: Arc<tiny_http::Server>,
        thread: thread::JoinHandle<()>,
    }

    impl FakePrices {
        fn start(routes: Vec<(String, u16, Vec<u8>)>) -> FakePrices {
            let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind loopback"));
            let addr = server.server_addr().to_ip().expect("tcp listener");
            let seen = Arc::new(Mutex::new(Vec::new()));
            let (srv, log) = (Arc::clone(&server), Arc::clone(&seen));
            let thread = thread::spawn(move || {
                while let Ok(request) = srv.recv() {
                    let url = request.url().to_string();
                    log.lock().expect("log").push(url.clone());
                    let (status, body) = routes
                        .iter()
                        .find(|r| r.0 == url)
                        .map_or((404, b"{}".to_vec()), |r| (r.1, r.2.clone()));
                    let _ = request.respond(
                        tiny_http::Response::from_data(body)
                            .with_status_code(tiny_http::StatusCode(status)),
                    );
                }
            });
            FakePrices {
                base: format!("http://{addr}"),
                seen,
                server,
                thread,
            }
        }

        fn stop(self) -> Vec<String> {
            self.server.unblock();
            self.thread.join().expect("server thread ends");
            let log = self.seen.lock().expect("log");
            log.clone()
        }
    }

    #[test]
    fn fetch_prices_asks_each_gtin_once_and_turns_failures_into_warnings() {
        let path =
            |gtin: &str| format!("/api/v1/prices?product_code={gtin}&size=100&order_by=-date");
        let server = FakePrices::start(vec![
            (path(GTIN), 200, FIXTURE.to_vec()),
            (
                path("4000000000006"),
                200,
                br#"{"items":[],"page":1,"pages":0,"size":100,"total":0}"#.to_vec(),
            ),
            (path("4000000000013"), 503, b"busy".to_vec()),
        ]);
        let cache = tempfile::tempdir().expect("cache dir");
        let fetcher = Fetcher::new(FetchOptions {
            timeout: Duration::from_secs(5),
            cache_dir: Some(cache.path().to_path_buf()),
            retries: 0,
            ..FetchOptions::default()
        })
        .expect("client builds");
        let gtins: Vec<String> = [
            GTIN,
            "05012345001012",
            "4000000000006",
            "4000000000013",
            "12",
        ]
        .map(String::from)
        .to_vec();
        let base = format!("{}/", server.base);
        let (obs, warnings) = fetch_prices(&fetcher, "open-prices", &base, &gtins, 2);
        // Asked again within a day: the cached answers serve, no request is made.
        let (again, _) = fetch_prices(&fetcher, "open-prices", &base, &gtins[..1], 2);
        let mut seen = server.stop();
        seen.sort();

        assert_eq!(obs.len(), 4);
        assert_eq!(again, obs);
        assert!(obs.iter().all(|o| o.id == GTIN && o.feed == "open-prices"));
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert_eq!(
            warnings[0],
            "open-prices: \"12\" is not a GTIN (8 to 14 digits), not asked"
        );
        assert_eq!(
            warnings[1],
            "open-prices: 5012345001012: 2 of 6 prices skipped: item 3: no price"
        );
        assert!(
            warnings[2].starts_with("open-prices: 4000000000013: HTTP 503"),
            "{}",
            warnings[2]
        );
        let mut want = vec![path(GTIN), path("4000000000006"), path("4000000000013")];
        want.sort();
        assert_eq!(seen, want);
    }

    #[test]
    fn fetch_prices_with_nothing_to_ask_asks_nothing() {
        let fetcher = Fetcher::new(FetchOptions::default()).expect("client builds");
        let (obs, warnings) = fetch_prices(&fetcher, "op", DEFAULT_URL, &[], 0);
        assert!(obs.is_empty() && warnings.is_empty());
    }
}
