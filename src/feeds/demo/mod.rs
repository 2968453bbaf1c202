//! The data `basket demo` runs on, built into the binary: a small grocer catalog
//! (JSON), a boot shop (CSV), a week of London weather with a warm day tomorrow,
//! and the seed rules. It goes through the same parsers as live feeds.

use chrono::NaiveDate;

/// The demo's rules; feed URLs use the `demo:` scheme, served from memory.
pub const RULES: &str = include_str!("rules.toml");

const FILES: &[(&str, &[u8])] = &[
    ("demo:grocer.json", include_bytes!("grocer.json")),
    ("demo:boots.csv", include_bytes!("boots.csv")),
];

const FORECAST: &str = include_str!("forecast.json");

/// The body behind a `demo:` URL.
pub fn body(url: &str) -> Option<&'static [u8]> {
    FILES.iter().find(|(u, _)| *u == url).map(|(_, b)| *b)
}

/// The demo forecast as Open-Meteo would send it, its seven days starting
/// `today`, so "tomorrow is warm" holds whenever the demo runs.
pub fn forecast_json(today: NaiveDate) -> String {
    let mut text = FORECAST.to_string();
    for i in 0..7 {
        let day = today + chrono::Duration::days(i);
        text = text.replace(&format!("\"DAY{i}\""), &format!("\"{day}\""));
    }
    text
}
