//! The data `basket demo` runs on, built into the binary: a small grocer catalog
//! (a Google Merchant RSS feed), the product page of a pair of boots, a tea
//! shop shaped like a Shopify shop's `/products.json` (one page), Open Food
//! Facts answers for the grocer's spreads and nut butters (a merchant feed carries
//! no facts), a week of London weather with a warm day tomorrow, and the seed
//! rules. Everything goes through the same parsers and the same facts merge as
//! live feeds; only the bytes come from memory instead of the network.

use chrono::NaiveDate;

use crate::feeds::openfoodfacts;

/// The demo's rules; feed URLs use the `demo:` scheme, served from memory.
pub const RULES: &str = include_str!("rules.toml");

/// The Open Food Facts base URL of the demo's `facts` feed.
const OFF_BASE: &str = "demo:off";

const FILES: &[(&str, &[u8])] = &[
    ("demo:grocer.xml", include_bytes!("grocer.xml")),
    ("demo:boots.html", include_bytes!("boots.html")),
    ("demo:teashop", include_bytes!("teashop.json")),
    ("demo:grocer-local.xml", include_bytes!("grocer-local.xml")),
];

/// Open Food Facts product answers (API v2), by GTIN. A GTIN not listed is one
/// Open Food Facts does not know, as most shop-brand products are.
const OFF_ANSWERS: &[(&str, &[u8])] = &[
    ("5012345003016", include_bytes!("off/5012345003016.json")),
    ("5012345004013", include_bytes!("off/5012345004013.json")),
    ("5012345004020", include_bytes!("off/5012345004020.json")),
    ("8001505005592", include_bytes!("off/8001505005592.json")),
];

const FORECAST: &str = include_str!("forecast.json");

/// The body behind a `demo:` URL: a catalog feed, or an Open Food Facts product
/// answer at `demo:off/api/v2/product/<gtin>.json` (the URL
/// [`openfoodfacts::product_url`] makes of the demo's base).
pub fn body(url: &str) -> Option<&'static [u8]> {
    if let Some(found) = FILES.iter().find(|(u, _)| *u == url) {
        return Some(found.1);
    }
    OFF_ANSWERS
        .iter()
        .find(|(gtin, _)| openfoodfacts::product_url(OFF_BASE, gtin) == url)
        .map(|(_, b)| *b)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::formats::parse_products;
    use crate::feeds::FeedKind;

    #[test]
    fn every_demo_feed_parses_without_skipping_a_record() {
        let rules = crate::rules::parse_str(std::path::Path::new("demo-rules.toml"), RULES)
            .expect("the demo rules are valid");
        for source in rules.catalog_feeds() {
            let bytes = body(&source.url).expect("every catalog feed is built in");
            let feed = parse_products(&source, bytes).expect("parses");
            assert_eq!(feed.report.skipped, 0, "{}", source.name);
            assert!(!feed.products.is_empty(), "{}", source.name);
        }
        let facts = rules
            .feeds
            .iter()
            .find(|f| f.kind == FeedKind::OpenFoodFacts)
            .expect("a facts feed");
        assert_eq!(facts.url, OFF_BASE);
    }

    #[test]
    fn off_answers_are_served_at_their_api_urls_and_parse() {
        for (gtin, _) in OFF_ANSWERS {
            let url = openfoodfacts::product_url(OFF_BASE, gtin);
            let bytes = body(&url).expect("served");
            let product = openfoodfacts::parse_product("facts", gtin, bytes)
                .expect("parses")
                .expect("found");
            assert_eq!(product.gtin.as_deref(), Some(*gtin));
        }
        assert_eq!(body("demo:off/api/v2/product/5012345003030.json"), None);
    }
}
