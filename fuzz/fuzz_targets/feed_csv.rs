//! A `csv` feed: any bytes must give products (each with a sane price) or a
//! FeedError, never a panic.
#![no_main]
use basket::api::feeds::{parse_products_at, FeedKind, FeedSource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks whether the feed has a default currency.
    let (currency, body) = match data.split_first() {
        Some((b, rest)) if b & 1 == 1 => (Some("GBP".to_string()), rest),
        Some((_, rest)) => (None, rest),
        None => (None, data),
    };
    let source = FeedSource {
        name: "fuzz".into(),
        kind: FeedKind::Csv,
        url: "https://shop.example/feed".into(),
        currency,
        rate_limit: None,
    };
    let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).expect("a valid time");
    if let Ok(feed) = parse_products_at(&source, body, now) {
        for p in &feed.products {
            if let Some(price) = p.price {
                assert!(price >= rust_decimal::Decimal::ZERO, "negative price {price}");
            }
        }
    }
});
