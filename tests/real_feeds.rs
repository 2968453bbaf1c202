//! The seed scenarios on feeds as the web serves them (issue 3, "Done when"): the
//! grocer is a Google Merchant Center RSS feed (`g:` fields), the boots are a
//! product page with schema.org JSON-LD, another watched page is a real shop's
//! page (changedetection.io's Woolworths sample), palm oil and allergens come from
//! real Open Food Facts answers served at `/api/v2/product/<gtin>.json`, and the
//! weather from a real Open-Meteo answer, all from 127.0.0.1.
//!
//! Then the HTTP layer around them: a second run with nothing changed makes only
//! conditional requests (every reply has an ETag, and the server answers 304 to
//! a matching `If-None-Match`) and does not ask Open Food Facts again (answers are
//! fresh for 7 days, "not found" included); with the server gone, the run still
//! works from the cache, warns for each feed, and exits 0.
//!
//! The grocer's products (`google-merchant/own-grocer-rss.xml`) carry the GTINs of
//! the Open Food Facts fixtures, so the facts merge by barcode. The clock is
//! Sunday 2026-10-04, so "tomorrow" is Monday 05, 22.2 °C in the forecast.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::support::{fixture, Reply, TestEnv, TestServer};

const NOW: &str = "2026-10-04T09:00:00Z";

const RULES: &str = r#"
[settings]
currency = "GBP"
location = { latitude = 52.27, longitude = 6.87, name = "Enschede" }

[weather]
url = "$SERVER/v1/forecast"

[feeds.grocer]
kind = "merchant"
url = "$SERVER/feeds/google-merchant.xml"

[feeds.boots]
kind = "page"
url = "$SERVER/acme/chelsea-boot-black-42"

[feeds.formula]
kind = "page"
url = "$SERVER/woolworths/nan-optipro-stage-1"

[feeds.facts]
kind = "openfoodfacts"
url = "$SERVER"

[[rule]]
name = "Favourite chocolate"
match = { brand = "Divine", category = "chocolate" }
add = { quantity = 1, limit = 1, prefer = "cheapest" }

[[rule]]
name = "Sun cream on warm days"
when.weather = { day = "tomorrow", temp_max_c = { above = 22 } }
add = { product = { name = "sun cream spf 30" }, quantity = 1 }

[[rule]]
name = "Boots under £15"
match = { feed = "boots", name = "chelsea boot", price = { below = "15.00" } }
add = {}

[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"], keep = ["category"], prefer = "closest_price" }

[[rule]]
name = "Nut allergy"
match = { in = "basket", allergens = ["nuts"] }
swap = { without_allergens = ["nuts"] }

[[rule]]
name = "Pet supplies deals"
match = { category = "pet supplies", on_sale = true }
notify = { limit = 10 }

[[rule]]
name = "Formula in stock"
match = { feed = "formula" }
notify = { limit = 1 }
"#;

const GROCER: &str = "/feeds/google-merchant.xml";
const BOOTS: &str = "/acme/chelsea-boot-black-42";
const FORMULA: &str = "/woolworths/nan-optipro-stage-1";
const FORECAST: &str = "/v1/forecast";

/// GTINs Open Food Facts knows, with the fixture that answers for each.
const OFF_FOUND: &[(&str, OffAnswer)] = &[
    // The basket's spread: nuts and soybeans, palm-oil free.
    (
        "3366321052331",
        OffAnswer::File("openfoodfacts/robotoff-product-3366321052331.json"),
    ),
    // Palm-oil free, but traces of nuts.
    (
        "3228857000852",
        OffAnswer::File("openfoodfacts/robotoff-product-3228857000852.json"),
    ),
    // No allergens, no traces (ingredients completed): nut-free.
    (
        "7622210288257",
        OffAnswer::File("openfoodfacts/nodejs-product-7622210288257-poulain.json"),
    ),
    (
        "3088543506255",
        OffAnswer::File("openfoodfacts/robotoff-product-3088543506255.json"),
    ),
    // The Rik & Rok barquettes: may contain palm oil / palm-oil free / unknown.
    ("3596710387557", OffAnswer::FromSearchPage),
    ("3596710387540", OffAnswer::FromSearchPage),
    ("3596710387533", OffAnswer::FromSearchPage),
];

/// Shop-brand GTINs Open Food Facts does not know: it answers 404.
const OFF_UNKNOWN: &[&str] = &["5012345301044", "5012345401034"];

#[derive(Debug, Clone, Copy)]
enum OffAnswer {
    /// A recorded product answer, served as it is.
    File(&'static str),
    /// The product object of a recorded search page (the Rik & Rok code prefix),
    /// in the product API's envelope: no recorded product answer of a palm-oil
    /// product is among the fixtures, and the search page holds real ones.
    FromSearchPage,
}

fn off_path(gtin: &str) -> String {
    format!("/api/v2/product/{gtin}.json")
}

fn off_body(gtin: &str, answer: OffAnswer) -> Vec<u8> {
    match answer {
        OffAnswer::File(name) => fixture(name),
        OffAnswer::FromSearchPage => {
            let page: Value = serde_json::from_slice(&fixture(
                "openfoodfacts/nodejs-search-code-prefix-3596710-page1-TRIMMED-10-of-20.json",
            ))
            .expect("the search page is JSON");
            let product = page["products"]
                .as_array()
                .expect("a products list")
                .iter()
                .find(|p| p["code"] == gtin)
                .unwrap_or_else(|| panic!("no {gtin} on the search page"))
                .clone();
            serde_json::to_vec(&json!({
                "code": gtin,
                "product": product,
                "status": 1,
                "status_verbose": "product found",
            }))
            .expect("serialises")
        }
    }
}

/// Every feed, the forecast and Open Food Facts on one server, each reply with an
/// entity tag so that the server answers a matching revalidation with 304.
fn serve(server: &TestServer) {
    server.set(
        GROCER,
        Reply::fixture("google-merchant/own-grocer-rss.xml").etag("\"grocer-v1\""),
    );
    server.set(
        BOOTS,
        Reply::fixture("product-pages/own-chelsea-boot-page.html").etag("\"boots-v1\""),
    );
    server.set(
        FORMULA,
        Reply::fixture("product-pages/cdio-woolworths-nan-optipro-broken-then-valid-ldjson.html")
            .etag("W/\"nan-v1\""),
    );
    server.set(
        FORECAST,
        Reply::fixture("open-meteo/frenck-forecast-daily-all-variables-TRIMMED.json")
            .etag("\"forecast-v1\""),
    );
    for (gtin, answer) in OFF_FOUND {
        server.set(&off_path(gtin), Reply::json(off_body(gtin, *answer)));
    }
    for gtin in OFF_UNKNOWN {
        server.set(
            &off_path(gtin),
            Reply::new(
                404,
                "application/json",
                format!(r#"{{"code":"{gtin}","status":0,"status_verbose":"product not found"}}"#),
            ),
        );
    }
}

fn off_hits(server: &TestServer) -> usize {
    OFF_FOUND
        .iter()
        .map(|(g, _)| *g)
        .chain(OFF_UNKNOWN.iter().copied())
        .map(|g| server.hits(&off_path(g)))
        .sum()
}

const FEEDS: [&str; 4] = [GROCER, BOOTS, FORMULA, FORECAST];

fn check(env: &TestEnv) -> Value {
    env.run(&["check", "--format", "json", "--no-input"])
        .assert_ok()
        .json()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// `(rule, action, feed/id, replaced feed/id)` of every proposal.
fn proposals(report: &Value) -> BTreeSet<(String, String, String, String)> {
    let key = |p: &Value| {
        if p.is_null() {
            String::new()
        } else {
            format!("{}/{}", text(&p["feed"]), text(&p["id"]))
        }
    };
    report["proposals"]
        .as_array()
        .expect("a proposals list")
        .iter()
        .map(|p| {
            (
                text(&p["rule"]),
                text(&p["action"]),
                key(&p["product"]),
                key(&p["replaces"]),
            )
        })
        .collect()
}

/// `(rule, [(name, price currency)])` of every notification.
fn notifications(report: &Value) -> Vec<(String, Vec<(String, String)>)> {
    report["notifications"]
        .as_array()
        .expect("a notifications list")
        .iter()
        .map(|n| {
            let products = n["products"]
                .as_array()
                .expect("a products list")
                .iter()
                .map(|p| {
                    (
                        text(&p["name"]),
                        format!("{} {}", text(&p["price"]), text(&p["currency"])),
                    )
                })
                .collect();
            (text(&n["rule"]), products)
        })
        .collect()
}

fn strings(report: &Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} list in {report:#}"))
        .iter()
        .map(text)
        .collect()
}

fn expected_proposals() -> BTreeSet<(String, String, String, String)> {
    let p = |rule: &str, action: &str, product: &str, replaces: &str| {
        (
            rule.to_string(),
            action.to_string(),
            product.to_string(),
            replaces.to_string(),
        )
    };
    [
        // GM-1002 is cheaper but out of stock; GM-1003 is not Divine.
        p("Favourite chocolate", "add", "grocer/GM-1001", ""),
        p("Sun cream on warm days", "add", "grocer/GM-2001", ""),
        // The page's sku identifies the boots.
        p("Boots under £15", "add", "boots/ACME-CB-BLK-42", ""),
        // Not the closer-priced GM-3002 (Open Food Facts: palm oil unknown) nor
        // GM-3004 (not in Open Food Facts): only a known palm-oil-free one.
        p("No palm oil", "swap", "grocer/GM-3003", "grocer/GM-3001"),
        // Not GM-4002 (traces of nuts) nor GM-4003 (unknown), both closer in price.
        p("Nut allergy", "swap", "grocer/GM-4004", "grocer/GM-4001"),
    ]
    .into_iter()
    .collect()
}

#[test]
fn seed_scenarios_on_real_feed_shapes_then_revalidation_then_the_cache_alone() {
    let mut env = TestEnv::new();
    env.set_now(NOW);
    let server = TestServer::start();
    serve(&server);
    env.write_rules(&server.expand(RULES));

    // The basket: a chocolate barquette (may contain palm oil, nuts) and a spread
    // with nuts. Neither fact is in the merchant feed: both come from Open Food Facts.
    for id in ["grocer/GM-3001", "grocer/GM-4001"] {
        env.run(&["add", id]).assert_ok();
    }
    let _ = std::fs::remove_dir_all(env.cache_dir());
    let before = server.total_hits();

    // ---- First run: everything fetched in full.
    let first = check(&env);
    assert_eq!(
        proposals(&first),
        expected_proposals(),
        "proposals:\n{first:#}"
    );
    let reasons: Vec<String> = first["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .map(|p| text(&p["reason"]))
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("22.2 °C")),
        "the sun cream says why: {reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("14.50 GBP")),
        "the boots' price comes from the page: {reasons:?}"
    );
    assert_eq!(
        notifications(&first),
        [
            (
                "Pet supplies deals".to_string(),
                // GM-5003 is not on sale; GM-5004's sale ended in September.
                vec![
                    (
                        "Cat Food Pouches in Gravy 12 x 85g".to_string(),
                        "3.50 GBP".to_string()
                    ),
                    (
                        "Dog Dental Sticks 28 pack".to_string(),
                        "2.00 GBP".to_string()
                    ),
                ]
            ),
            (
                "Formula in stock".to_string(),
                vec![(
                    "Nan Optipro Stage 1 Baby Formula  800g".to_string(),
                    "23.50 AUD".to_string()
                )]
            ),
        ],
        "{first:#}"
    );
    // The barquette has nuts too, and no biscuit is known to be nut-free.
    assert_eq!(
        strings(&first, "notices"),
        ["Nut allergy: no alternative for 'Rik & Rok Barquettes Chocolat 120g' in 'Biscuits'"],
        "{first:#}"
    );
    assert_eq!(strings(&first, "warnings"), Vec::<String>::new());
    for path in FEEDS {
        assert!(server.hits(path) > 0, "{path} was fetched");
        assert_eq!(server.last_header(path, "If-None-Match"), None, "{path}");
    }
    // Each GTIN that could change a proposal asked once: the two basket items
    // and the seven other products of their categories.
    let asked = off_hits(&server);
    assert_eq!(asked, OFF_FOUND.len() + OFF_UNKNOWN.len());
    let first_total = server.total_hits();
    assert_eq!(first_total - before, FEEDS.len() + asked);

    // ---- Second run, nothing changed: only conditional requests, each a 304,
    // and Open Food Facts is not asked again.
    let revalidated = |server: &TestServer| FEEDS.map(|path| server.not_modified(path));
    let before_second = revalidated(&server);
    let second = check(&env);
    assert_eq!(proposals(&second), expected_proposals(), "{second:#}");
    assert_eq!(notifications(&second).len(), 2);
    assert_eq!(strings(&second, "warnings"), Vec::<String>::new());
    assert_eq!(
        server.total_hits() - first_total,
        FEEDS.len(),
        "one request per feed, none to Open Food Facts"
    );
    assert_eq!(
        revalidated(&server),
        before_second.map(|n| n + 1),
        "each of {FEEDS:?} answered 304 once"
    );
    assert_eq!(
        server.last_header(GROCER, "If-None-Match").as_deref(),
        Some("\"grocer-v1\"")
    );
    assert_eq!(off_hits(&server), asked);

    // ---- The server goes away: the cached copies serve, each feed says how old
    // its copy is, and the run succeeds.
    drop(server);
    env.set_now("2026-10-04T11:00:00Z");
    let out = env.run(&["check", "--format", "json", "--no-input"]);
    out.assert_ok();
    let third = out.json();
    assert_eq!(proposals(&third), expected_proposals(), "{third:#}");
    let warnings = strings(&third, "warnings");
    for feed in ["grocer", "boots", "formula"] {
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with(&format!("feed '{feed}': cannot connect"))
                    && w.ends_with("used the cached copy from 2 hours ago")),
            "a warning naming {feed} in {warnings:?}"
        );
    }
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("weather: cannot connect") && w.ends_with("2 hours ago")),
        "{warnings:?}"
    );
    // Facts are fresh for 7 days: nothing to say about Open Food Facts.
    assert!(
        !warnings.iter().any(|w| w.contains("'facts'")),
        "{warnings:?}"
    );
}
