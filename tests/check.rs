//! `basket check` end to end: the real binary, rules written per test, the
//! catalogs of `tests/fixtures/catalog/` and the Open-Meteo fixture served from
//! 127.0.0.1, and assertions on the JSON report of docs/cli.md and on the basket
//! (`basket list --format json`). Each test pins one behaviour of docs/rules.md
//! that a shopper would notice.
//!
//! The clock is the harness's default, 2026-10-03T09:00:00Z: a Saturday, the
//! first day of the forecast fixture (UTC+2, so 11:00 local). Its days are
//! Saturday 03 (max 20.6 °C, min 8.4, rain 0 mm, chance 0 %, wind 9 km/h, UV 3.3,
//! snow 0 cm), Sunday 04 (max 20.2, chance 8 %), Monday 05 (max 22.2).

use serde_json::Value;

use crate::support::{fixture, Output, Reply, TestEnv, TestServer};

const FORECAST: &str = "open-meteo/frenck-forecast-daily-all-variables-TRIMMED.json";

/// One shopper: a hermetic environment and the server with every feed on it.
struct Shop {
    env: TestEnv,
    server: TestServer,
}

impl Shop {
    fn new() -> Shop {
        let server = TestServer::start();
        server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
        server.set("/lines.jsonl", Reply::fixture("catalog/grocer-lines.jsonl"));
        server.set("/boots.csv", Reply::fixture("catalog/boots.csv"));
        server.set("/v1/forecast", Reply::fixture(FORECAST));
        Shop {
            env: TestEnv::new(),
            server,
        }
    }

    /// Rules over the grocer feed alone.
    fn rules(&self, rules: &str) {
        self.rules_with(&["grocer"], "", rules);
    }

    /// Writes the rules file: GBP, a location, the weather and the named feeds
    /// (`grocer`, `lines`, `boots`) on the test server, extra `[settings]` lines,
    /// then `rules`.
    fn rules_with(&self, feeds: &[&str], settings: &str, rules: &str) {
        let mut text = format!(
            "[settings]\ncurrency = \"GBP\"\n\
             location = {{ latitude = 52.27, longitude = 6.87, name = \"Enschede\" }}\n\
             {settings}\n\n[weather]\nurl = \"$SERVER/v1/forecast\"\n\n"
        );
        for feed in feeds {
            let (kind, path) = match *feed {
                "grocer" => ("json", "grocer.json"),
                "lines" => ("json", "lines.jsonl"),
                "boots" => ("csv", "boots.csv"),
                other => panic!("no feed {other} in this test module"),
            };
            text.push_str(&format!(
                "[feeds.{feed}]\nkind = \"{kind}\"\nurl = \"$SERVER/{path}\"\n\n"
            ));
        }
        text.push_str(rules);
        self.env.write_rules(&self.server.expand(&text));
    }

    fn run(&self, args: &[&str]) -> Output {
        self.env.run(args)
    }

    /// `basket check --format json` with `flags`; must exit 0.
    fn check(&self, flags: &[&str]) -> Value {
        let mut args = vec!["check", "--format", "json"];
        args.extend_from_slice(flags);
        self.run(&args).assert_ok().json()
    }

    /// `check --format json --no-input`: the cron run.
    /// Makes `path` answer `status`, and forgets the cached copy of every feed,
    /// so the next run meets a feed that failed with no cache to fall back on
    /// (with a cache, a failed feed is served from it: see tests/http_cache.rs).
    fn fail(&self, path: &str, status: u16) {
        self.server.set(path, Reply::status(status, "down"));
        let _ = std::fs::remove_dir_all(self.env.cache_dir());
    }

    fn check_no_input(&self) -> Value {
        self.check(&["--no-input"])
    }

    /// `basket add QUERY`, which looks the product up in the rules' feeds.
    fn add(&self, query: &str, quantity: u32) {
        self.run(&["add", query, "--quantity", &quantity.to_string()])
            .assert_ok();
    }

    /// The basket as `(feed/id, quantity)`, in `list` order.
    fn basket(&self) -> Vec<(String, u64)> {
        let list = self.run(&["list", "--format", "json"]).assert_ok().json();
        list["items"]
            .as_array()
            .expect("items is a list")
            .iter()
            .map(|i| {
                (
                    format!("{}/{}", s(&i["feed"]), s(&i["id"])),
                    i["quantity"].as_u64().expect("a quantity"),
                )
            })
            .collect()
    }
}

/// The grocer fixture with one field of one product changed.
fn grocer_with(id: &str, field: &str, value: &str) -> Reply {
    let mut feed: Value =
        serde_json::from_slice(&fixture("catalog/grocer.json")).expect("the fixture is JSON");
    let product = feed["products"]
        .as_array_mut()
        .expect("a products list")
        .iter_mut()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in the grocer fixture"));
    product[field] = Value::from(value);
    Reply::json(feed.to_string())
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn proposals(report: &Value) -> &Vec<Value> {
    report["proposals"]
        .as_array()
        .unwrap_or_else(|| panic!("no proposals list in {report:#}"))
}

/// `(action, product id)` of every proposal, in report order.
fn actions(report: &Value) -> Vec<(String, String)> {
    proposals(report)
        .iter()
        .map(|p| {
            (
                s(&p["action"]).to_string(),
                s(&p["product"]["id"]).to_string(),
            )
        })
        .collect()
}

/// Product ids of the proposals of one rule.
fn proposed_by<'a>(report: &'a Value, rule: &str) -> Vec<&'a str> {
    proposals(report)
        .iter()
        .filter(|p| p["rule"] == rule)
        .map(|p| s(&p["product"]["id"]))
        .collect()
}

/// The only proposal of the report.
fn only(report: &Value) -> &Value {
    let all = proposals(report);
    assert_eq!(all.len(), 1, "expected one proposal: {report:#}");
    &all[0]
}

/// Product ids listed by the notification of `rule` (empty when it has none).
fn notified<'a>(report: &'a Value, rule: &str) -> Vec<&'a str> {
    report["notifications"]
        .as_array()
        .expect("notifications is a list")
        .iter()
        .filter(|n| n["rule"] == rule)
        .flat_map(|n| n["products"].as_array().expect("products is a list"))
        .map(|p| s(&p["id"]))
        .collect()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {v}"))
        .iter()
        .map(s)
        .collect()
}

/// A `notify` rule per selector, so one run shows what each selector matches.
fn notify_rule(name: &str, selector: &str) -> String {
    format!("[[rule]]\nname = \"{name}\"\nmatch = {selector}\nnotify = {{ limit = 30 }}\n\n")
}

// ---------------------------------------------------------------- selectors

#[test]
fn selector_in_basket_looks_at_basket_items_and_in_catalog_at_the_feed() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "No Divine in the basket"
match = { in = "basket", brand = "Divine" }
remove = {}

[[rule]]
name = "Divine in the catalog"
match = { in = "catalog", brand = "Divine" }
notify = true
"#,
    );
    shop.add("grocer/GR-1001", 1);
    let report = shop.check_no_input();
    // Only the basket's Divine bar is removed, not the catalog's other Divine bar.
    assert_eq!(actions(&report), [("remove".into(), "GR-1001".into())]);
    assert_eq!(
        notified(&report, "Divine in the catalog"),
        ["GR-1001", "GR-1003"]
    );
}

#[test]
fn selector_feed_keeps_only_that_feeds_products() {
    let shop = Shop::new();
    shop.rules_with(
        &["grocer", "lines"],
        "",
        &(notify_rule("Lines", r#"{ feed = "lines" }"#)
            + &notify_rule("Grocer oats", r#"{ feed = "grocer", name = "oats" }"#)),
    );
    let report = shop.check_no_input();
    // GL-9003 is on preorder: the catalog's default `available = true` takes it.
    assert_eq!(
        notified(&report, "Lines"),
        ["GL-9001", "GL-9002", "GL-9003"]
    );
    assert!(notified(&report, "Grocer oats").is_empty(), "{report:#}");
}

#[test]
fn selector_id_picks_that_product() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "Own sun cream"
add = { product = { id = "GR-2002" } }
"#,
    );
    let report = shop.check_no_input();
    assert_eq!(actions(&report), [("add".into(), "GR-2002".into())]);
}

#[test]
fn selector_gtin_of_13_digits_matches_the_same_barcode_written_with_14() {
    let shop = Shop::new();
    shop.rules_with(
        &["grocer", "lines"],
        "",
        &(notify_rule("Barcode 13", r#"{ gtin = "5012345001012" }"#)
            + &notify_rule("Barcode 14", r#"{ gtin = "05012345001012" }"#)),
    );
    let report = shop.check_no_input();
    // GR-1001 gives it as 13 digits, GL-9002 as 14: both are the same bar.
    assert_eq!(notified(&report, "Barcode 13"), ["GR-1001", "GL-9002"]);
    assert_eq!(notified(&report, "Barcode 14"), ["GR-1001", "GL-9002"]);
}

#[test]
fn selector_name_needs_every_word_in_any_order_ignoring_case_and_accents() {
    let shop = Shop::new();
    shop.server.set(
        "/grocer.json",
        Reply::json(
            r#"{"products": [
  {"id": "CF-1", "name": "Crème Fraîche 200ml", "price": "1.00", "currency": "GBP", "availability": "in_stock"},
  {"id": "CF-2", "name": "Creme fraiche light", "price": "1.10", "currency": "GBP", "availability": "in_stock"},
  {"id": "CF-3", "name": "Crème brûlée", "price": "2.00", "currency": "GBP", "availability": "in_stock"}
]}"#,
        ),
    );
    shop.rules(
        &(notify_rule("Plain words", r#"{ name = "FRAICHE creme" }"#)
            + &notify_rule("Accented words", r#"{ name = "crème fraîche" }"#)
            + &notify_rule("A word too many", r#"{ name = "creme fraiche 300ml" }"#)),
    );
    let report = shop.check_no_input();
    assert_eq!(notified(&report, "Plain words"), ["CF-1", "CF-2"]);
    assert_eq!(notified(&report, "Accented words"), ["CF-1", "CF-2"]);
    assert!(notified(&report, "A word too many").is_empty());
}

#[test]
fn selector_name_matches_words_not_substrings() {
    let shop = Shop::new();
    shop.rules(
        &(notify_rule("SPF 30", r#"{ name = "sun cream 30" }"#)
            + &notify_rule("Dark", r#"{ name = "dark chocolate" }"#)),
    );
    let report = shop.check_no_input();
    // GR-2003 is SPF 50; the Divine mint bar is out of stock.
    assert_eq!(notified(&report, "SPF 30"), ["GR-2001", "GR-2002"]);
    assert_eq!(notified(&report, "Dark"), ["GR-1001", "GR-1004"]);
}

#[test]
fn selector_brand_equals_the_brand_ignoring_case() {
    let shop = Shop::new();
    shop.rules(
        &(notify_rule("Divine", r#"{ brand = "DIVINE" }"#)
            + &notify_rule("Part of a brand", r#"{ brand = "Grocer" }"#)),
    );
    let report = shop.check_no_input();
    assert_eq!(notified(&report, "Divine"), ["GR-1001", "GR-1003"]);
    assert!(
        notified(&report, "Part of a brand").is_empty(),
        "{report:#}"
    );
}

#[test]
fn selector_category_matches_a_path_level_or_a_tag() {
    let shop = Shop::new();
    shop.server.set(
        "/lines.jsonl",
        Reply::new(
            200,
            "application/jsonl",
            r#"{"id": "T-1", "name": "Tagged spread", "categories": ["en:spreads", "en:dark-chocolates"], "price": "2.00", "currency": "GBP", "availability": "in_stock"}
"#,
        ),
    );
    shop.rules_with(
        &["grocer", "lines"],
        "",
        &(notify_rule("Middle level", r#"{ category = "chocolate" }"#)
            + &notify_rule("Last level", r#"{ category = "Spreads" }"#)
            + &notify_rule("Level from a list", r#"{ category = "Cat food" }"#)
            + &notify_rule("As a tag", r#"{ category = "en:pet-supplies" }"#)
            + &notify_rule("Tag in the feed", r#"{ category = "Dark chocolates" }"#)),
    );
    let report = shop.check_no_input();
    assert_eq!(
        notified(&report, "Middle level"),
        ["GR-1001", "GR-1003", "GR-1004"]
    );
    assert_eq!(
        notified(&report, "Last level"),
        ["GR-3001", "GR-3002", "GR-3003", "T-1"]
    );
    assert_eq!(notified(&report, "Level from a list"), ["GR-5001"]);
    assert_eq!(
        notified(&report, "As a tag"),
        ["GR-5001", "GR-5002", "GR-5003"]
    );
    assert_eq!(notified(&report, "Tag in the feed"), ["T-1"]);
}

#[test]
fn selector_price_compares_below_at_most_above_at_least_exactly() {
    let shop = Shop::new();
    shop.rules(
        &(notify_rule(
            "Below",
            r#"{ category = "Chocolate", price = { below = "2.10" } }"#,
        ) + &notify_rule(
            "At most",
            r#"{ category = "Chocolate", price = { at_most = "2.10" } }"#,
        ) + &notify_rule(
            "Above",
            r#"{ category = "Chocolate", price = { above = 1.95 } }"#,
        ) + &notify_rule(
            "At least",
            r#"{ category = "Chocolate", price = { at_least = 1.95 } }"#,
        ) + &notify_rule(
            "Between",
            r#"{ category = "Chocolate", price = { above = "1.80", below = 2.1 } }"#,
        )),
    );
    let report = shop.check_no_input();
    assert_eq!(notified(&report, "Below"), ["GR-1003", "GR-1004"]);
    assert_eq!(
        notified(&report, "At most"),
        ["GR-1001", "GR-1003", "GR-1004"]
    );
    assert_eq!(notified(&report, "Above"), ["GR-1001"]);
    assert_eq!(notified(&report, "At least"), ["GR-1001", "GR-1003"]);
    assert_eq!(notified(&report, "Between"), ["GR-1003"]);
}

#[test]
fn selector_price_threshold_as_a_decimal_string_or_a_number_is_the_same() {
    let shop = Shop::new();
    shop.rules_with(
        &["boots"],
        "",
        r#"
[[rule]]
name = "Boots under £15"
match = { feed = "boots", price = { below = "15.00" } }
add = {}

[[rule]]
name = "Boots under 15"
match = { feed = "boots", price = { below = 15 } }
notify = true

[[rule]]
name = "Boots from 18"
match = { feed = "boots", price = { at_least = 18 } }
notify = true
"#,
    );
    let report = shop.check_no_input();
    let p = only(&report);
    assert_eq!(p["rule"], "Boots under £15");
    assert_eq!(p["action"], "add");
    assert_eq!(p["product"]["id"], "BOOT-42");
    assert_eq!(p["product"]["name"], "Chelsea boot");
    assert_eq!(p["product"]["brand"], "Acme");
    assert_eq!(p["product"]["price"], "14.50");
    assert_eq!(p["product"]["currency"], "GBP");
    assert_eq!(p["quantity"], 1);
    assert_eq!(p["replaces"], Value::Null);
    assert_eq!(p["reason"], "price 14.50 GBP is below 15.00 GBP");
    assert_eq!(p["status"], "new");
    assert_eq!(notified(&report, "Boots under 15"), ["BOOT-42"]);
    assert_eq!(notified(&report, "Boots from 18"), ["BOOT-41", "BOOT-43"]);
}

#[test]
fn selector_price_never_matches_another_currency_and_warns() {
    let shop = Shop::new();
    shop.rules(&notify_rule(
        "Cheap cake",
        r#"{ category = "Cakes", price = { below = 100 } }"#,
    ));
    let report = shop.check_no_input();
    // The panettone is 8.90 EUR: not comparable with a GBP threshold.
    assert!(notified(&report, "Cheap cake").is_empty(), "{report:#}");
    let warnings = strings(&report["warnings"]);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("Cheap cake") && w.contains("another currency")),
        "{warnings:?}"
    );
}

#[test]
fn selector_discount_pct_compares_the_discount() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "Big pet deals"
match = { discount_pct = { at_least = 25 } }
add = { limit = 5 }

[[rule]]
name = "Pet deals"
match = { discount_pct = { at_least = "20" } }
notify = true
"#,
    );
    let report = shop.check_no_input();
    // GR-5001 is 26.3 % off, GR-5002 20 % off.
    let p = only(&report);
    assert_eq!(p["product"]["id"], "GR-5001");
    assert_eq!(p["reason"], "26.3% off is at least 25%");
    assert_eq!(notified(&report, "Pet deals"), ["GR-5001", "GR-5002"]);
}

#[test]
fn selector_on_sale_true_and_false() {
    let shop = Shop::new();
    shop.rules(
        &(notify_rule("On sale", "{ on_sale = true }")
            + &notify_rule(
                "Pets at full price",
                r#"{ category = "Pet Supplies", on_sale = false }"#,
            )),
    );
    let report = shop.check_no_input();
    assert_eq!(notified(&report, "On sale"), ["GR-5001", "GR-5002"]);
    assert_eq!(notified(&report, "Pets at full price"), ["GR-5003"]);
}

#[test]
fn selector_available_defaults_to_in_stock_and_false_finds_the_out_of_stock() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "Favourite chocolate"
match = { brand = "Divine", name = "dark chocolate" }
add = {}

[[rule]]
name = "Sold out Divine"
match = { brand = "Divine", available = false }
notify = true
"#,
    );
    let report = shop.check_no_input();
    // GR-1002 (1.99) is cheaper than GR-1001 (2.10) but out of stock.
    assert_eq!(actions(&report), [("add".into(), "GR-1001".into())]);
    assert_eq!(notified(&report, "Sold out Divine"), ["GR-1002"]);
}

#[test]
fn selector_contains_matches_only_products_known_to_contain() {
    let shop = Shop::new();
    shop.rules(
        &(notify_rule("Palm oil", r#"{ contains = ["palm-oil"] }"#)
            + &notify_rule(
                "Palm oil tag",
                r#"{ contains = ["en:palm-oil", "gelatin"] }"#,
            )),
    );
    let report = shop.check_no_input();
    // GR-3003 says nothing about palm oil (unknown), GR-3002 is free of it.
    assert_eq!(notified(&report, "Palm oil"), ["GR-3001"]);
    assert_eq!(notified(&report, "Palm oil tag"), ["GR-3001"]);
}

#[test]
fn selector_allergens_matches_known_allergens_and_traces_never_unknown() {
    let shop = Shop::new();
    shop.rules(
        &(notify_rule("Peanuts", r#"{ allergens = ["peanuts"] }"#)
            + &notify_rule(
                "Nuts in nut butters",
                r#"{ category = "Nut & seed butters", allergens = ["nuts", "Peanuts"] }"#,
            )
            + &notify_rule("Nut traces", r#"{ allergens = ["nuts"] }"#)),
    );
    let report = shop.check_no_input();
    assert_eq!(notified(&report, "Peanuts"), ["GR-4001", "GR-4002"]);
    // GR-4004 (almond butter) gives no allergens: unknown never matches.
    assert_eq!(
        notified(&report, "Nuts in nut butters"),
        ["GR-4001", "GR-4002"]
    );
    // GR-4002 only has traces of nuts: that counts.
    assert_eq!(
        notified(&report, "Nut traces"),
        ["GR-3001", "GR-3002", "GR-4002"]
    );
}

#[test]
fn selector_labels_needs_every_label() {
    let shop = Shop::new();
    shop.rules_with(
        &["grocer", "boots"],
        "",
        &(notify_rule("Vegan", r#"{ labels = ["vegan"] }"#)
            + &notify_rule("Vegan and fair", r#"{ labels = ["Fair-Trade", "vegan"] }"#)
            + &notify_rule("Recycled", r#"{ labels = ["recycled"] }"#)),
    );
    let report = shop.check_no_input();
    assert_eq!(
        notified(&report, "Vegan"),
        ["GR-1001", "GR-4003", "GR-7002", "BOOT-43"]
    );
    assert_eq!(notified(&report, "Vegan and fair"), ["GR-1001"]);
    // A CSV cell lists labels separated by `;`.
    assert_eq!(notified(&report, "Recycled"), ["BOOT-43"]);
}

// ---------------------------------------------------------------- when: weather

/// A rule adding product `id` when `when` holds.
fn add_when(name: &str, when: &str, id: &str) -> String {
    format!(
        "[[rule]]\nname = \"{name}\"\nwhen = {when}\nadd = {{ product = {{ id = \"{id}\" }} }}\n\n"
    )
}

/// The reason of the proposal of `rule`, or `None` when it proposed nothing.
fn reason_of<'a>(report: &'a Value, rule: &str) -> Option<&'a str> {
    proposals(report)
        .iter()
        .find(|p| p["rule"] == rule)
        .map(|p| s(&p["reason"]))
}

#[test]
fn weather_today_fires_with_the_value_and_threshold_in_the_reason() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "Sunscreen on warm days"
when.weather = { day = "today", temp_max_c = { above = 20 } }
add = { product = { name = "sun cream spf 30" }, quantity = 1 }

[[rule]]
name = "Sunscreen on hot days"
when.weather = { day = "today", temp_max_c = { above = 22 } }
add = { product = { name = "sun cream spf 50" } }
"#,
    );
    let report = shop.check_no_input();
    let p = only(&report);
    assert_eq!(p["rule"], "Sunscreen on warm days");
    // The cheaper of the two SPF 30 creams.
    assert_eq!(p["product"]["id"], "GR-2002");
    assert_eq!(p["reason"], "today's max 20.6 °C is above 20 °C");
    assert!(
        shop.server.hits("/v1/forecast") >= 1,
        "the forecast was not asked for"
    );
}

#[test]
fn weather_today_is_the_locations_local_day() {
    let mut shop = Shop::new();
    shop.rules(&add_when(
        "Warm today",
        r#"{ weather = { day = "today", temp_max_c = { above = 20.4 } } }"#,
        "GR-2002",
    ));
    // 23:00 UTC on the 3rd is already Sunday the 4th in Amsterdam (UTC+2):
    // today's max is then 20.2, not 20.6.
    shop.env.set_now("2026-10-03T23:00:00Z");
    assert!(proposals(&shop.check(&["--dry-run"])).is_empty());
    shop.env.set_now("2026-10-03T21:00:00Z");
    assert_eq!(
        reason_of(&shop.check(&["--dry-run"]), "Warm today"),
        Some("today's max 20.6 °C is above 20.4 °C")
    );
}

#[test]
fn weather_tomorrow_uses_the_next_day() {
    let shop = Shop::new();
    shop.rules(
        &(add_when(
            "Cool tomorrow",
            r#"{ weather = { day = "tomorrow", temp_max_c = { below = 20.5 } } }"#,
            "GR-7001",
        ) + &add_when(
            "Warm tomorrow",
            r#"{ weather = { day = "tomorrow", temp_max_c = { above = 20.5 } } }"#,
            "GR-7002",
        )),
    );
    let report = shop.check_no_input();
    assert_eq!(actions(&report), [("add".into(), "GR-7001".into())]);
    assert_eq!(
        reason_of(&report, "Cool tomorrow"),
        Some("tomorrow's max 20.2 °C is below 20.5 °C")
    );
}

#[test]
fn weather_weekday_is_its_next_occurrence_today_included() {
    let shop = Shop::new();
    shop.rules(
        &(add_when(
            "Hot Monday",
            r#"{ weather = { day = "monday", temp_max_c = { above = 22 } } }"#,
            "GR-2001",
        ) + &add_when(
            "Warm Saturday",
            r#"{ weather = { day = "Saturday", temp_max_c = { at_least = 20.6 } } }"#,
            "GR-2002",
        ) + &add_when(
            "Hot Sunday",
            r#"{ weather = { day = "sunday", temp_max_c = { above = 22 } } }"#,
            "GR-7001",
        ) + &add_when(
            "Any Tuesday",
            r#"{ weather = { day = "tuesday", temp_max_c = { above = -50 } } }"#,
            "GR-7002",
        )),
    );
    let report = shop.check_no_input();
    assert_eq!(
        reason_of(&report, "Hot Monday"),
        Some("Monday's max 22.2 °C is above 22 °C")
    );
    // Today is a Saturday: "saturday" means today, not next week.
    assert_eq!(
        reason_of(&report, "Warm Saturday"),
        Some("today's max 20.6 °C is at least 20.6 °C")
    );
    assert_eq!(reason_of(&report, "Hot Sunday"), None);
    // Tuesday the 6th is past the end of the forecast: unknown, no proposal.
    assert_eq!(reason_of(&report, "Any Tuesday"), None);
    assert_eq!(proposals(&report).len(), 2, "{report:#}");
}

#[test]
fn weather_within_days_holds_when_any_of_the_next_n_days_does() {
    let shop = Shop::new();
    shop.rules(
        &(add_when(
            "Hot in two days",
            r#"{ weather = { within_days = 2, temp_max_c = { above = 22 } } }"#,
            "GR-2001",
        ) + &add_when(
            "Hot in three days",
            r#"{ weather = { within_days = 3, temp_max_c = { above = 22 } } }"#,
            "GR-2002",
        ) + &add_when(
            "Warm within a day",
            r#"{ weather = { within_days = 1, temp_max_c = { above = 20 } } }"#,
            "GR-7001",
        )),
    );
    let report = shop.check_no_input();
    assert_eq!(reason_of(&report, "Hot in two days"), None);
    assert_eq!(
        reason_of(&report, "Hot in three days"),
        Some("Monday's max 22.2 °C is above 22 °C")
    );
    assert_eq!(
        reason_of(&report, "Warm within a day"),
        Some("today's max 20.6 °C is above 20 °C")
    );
}

#[test]
fn weather_every_metric_is_read_from_the_daily_forecast() {
    let shop = Shop::new();
    // One rule per metric, each holding on the fixture, each adding its own product.
    let cases = [
        (
            "temp_max_c",
            "{ above = 20 }",
            "GR-1001",
            "today's max 20.6 °C is above 20 °C",
        ),
        (
            "temp_min_c",
            "{ below = 10 }",
            "GR-1003",
            "today's min 8.4 °C is below 10 °C",
        ),
        (
            "precipitation_mm",
            "{ at_most = 0 }",
            "GR-2001",
            "today's rain 0 mm is at most 0 mm",
        ),
        (
            "precipitation_probability",
            "{ at_most = 5 }",
            "GR-2002",
            "today's chance of rain 0% is at most 5%",
        ),
        (
            "wind_max_kmh",
            "{ below = 10 }",
            "GR-4003",
            "today's max wind 9 km/h is below 10 km/h",
        ),
        (
            "uv_index",
            "{ above = 3 }",
            "GR-7001",
            "today's UV index 3.3 is above 3",
        ),
        (
            "snowfall_cm",
            "{ at_most = 0.5 }",
            "GR-7002",
            "today's snowfall 0 cm is at most 0.5 cm",
        ),
    ];
    let mut rules = String::new();
    for (metric, cmp, id, _) in cases {
        rules.push_str(&add_when(
            metric,
            &format!("{{ weather = {{ day = \"today\", {metric} = {cmp} }} }}"),
            id,
        ));
    }
    // The same metrics the other way round: none of these may fire.
    let opposite = [
        ("temp_max_c", "{ at_most = 20 }"),
        ("temp_min_c", "{ at_least = 10 }"),
        ("precipitation_mm", "{ above = 0 }"),
        ("precipitation_probability", "{ above = 5 }"),
        ("wind_max_kmh", "{ at_least = 10 }"),
        ("uv_index", "{ at_most = 3 }"),
        ("snowfall_cm", "{ above = 0.5 }"),
    ];
    for (metric, cmp) in opposite {
        rules.push_str(&add_when(
            &format!("not {metric}"),
            &format!("{{ weather = {{ day = \"today\", {metric} = {cmp} }} }}"),
            "GR-4001",
        ));
    }
    shop.rules(&rules);
    let report = shop.check_no_input();
    for (metric, _, id, reason) in cases {
        assert_eq!(reason_of(&report, metric), Some(reason), "{metric}");
        assert_eq!(proposed_by(&report, metric), [id], "{metric}");
    }
    assert_eq!(proposals(&report).len(), cases.len(), "{report:#}");
    // The request asks for every daily variable the metrics read.
    let url = shop
        .server
        .last_url("/v1/forecast")
        .expect("a forecast request");
    for var in [
        "temperature_2m_max",
        "temperature_2m_min",
        "precipitation_sum",
        "precipitation_probability_max",
        "wind_speed_10m_max",
        "uv_index_max",
        "snowfall_sum",
    ] {
        assert!(url.contains(var), "{var} not asked for in {url}");
    }
}

#[test]
fn weather_metrics_missing_or_null_in_the_forecast_are_unknown_and_never_fire() {
    let mut shop = Shop::new();
    // Two days, 2026-10-17 and 18, UTC; only temperature_2m_max, null on the 18th.
    shop.server.set(
        "/v1/forecast",
        Reply::fixture("open-meteo/frenck-forecast-daily-trailing-nulls.json"),
    );
    shop.env.set_now("2026-10-17T09:00:00Z");
    shop.rules(
        &(add_when(
            "Known max",
            r#"{ weather = { day = "today", temp_max_c = { above = 18 } } }"#,
            "GR-7001",
        ) + &add_when(
            "Missing UV",
            r#"{ weather = { day = "today", uv_index = { at_least = 0 } } }"#,
            "GR-2001",
        ) + &add_when(
            "Missing minimum",
            r#"{ weather = { day = "today", temp_min_c = { below = 100 } } }"#,
            "GR-2002",
        ) + &add_when(
            "Null max",
            r#"{ weather = { day = "tomorrow", temp_max_c = { above = -100 } } }"#,
            "GR-7002",
        ) + &add_when(
            "Missing snow in three days",
            r#"{ weather = { within_days = 2, snowfall_cm = { at_most = 100 } } }"#,
            "GR-1001",
        )),
    );
    let report = shop.check(&["--no-input", "--explain"]);
    assert_eq!(actions(&report), [("add".into(), "GR-7001".into())]);
    let explained: Vec<String> = report["rules"]
        .as_array()
        .expect("--explain adds the rules list")
        .iter()
        .map(|e| format!("{}: {}", s(&e["rule"]), s(&e["detail"])))
        .collect();
    assert!(
        explained.contains(&"Missing UV: today's UV index is unknown".to_string()),
        "{explained:#?}"
    );
    assert!(
        explained.contains(&"Null max: tomorrow's max is unknown".to_string()),
        "{explained:#?}"
    );
}

// ---------------------------------------------------------------- when: basket, all, any, not

#[test]
fn basket_has_fires_only_while_the_basket_holds_a_match() {
    let shop = Shop::new();
    shop.rules(&add_when(
        "Milk with chocolate",
        r#"{ basket = { has = { name = "dark chocolate" } } }"#,
        "GR-7001",
    ));
    assert!(proposals(&shop.check(&["--dry-run"])).is_empty());
    shop.add("grocer/GR-1001", 1);
    let report = shop.check_no_input();
    assert_eq!(actions(&report), [("add".into(), "GR-7001".into())]);
    assert_eq!(
        reason_of(&report, "Milk with chocolate"),
        Some("the basket has 'Divine Dark Chocolate 70% 90g'")
    );
}

#[test]
fn basket_lacks_fires_only_while_no_basket_item_matches() {
    let shop = Shop::new();
    shop.rules(&add_when(
        "Never without bread",
        r#"{ basket = { lacks = { category = "Bread" } } }"#,
        "GR-7002",
    ));
    shop.add("grocer/GR-7001", 1);
    let report = shop.check_no_input();
    assert_eq!(actions(&report), [("add".into(), "GR-7002".into())]);
    assert_eq!(
        reason_of(&report, "Never without bread"),
        Some("the basket has no category 'bread'")
    );
    shop.add("grocer/GR-7002", 1);
    assert!(proposals(&shop.check_no_input()).is_empty());
}

#[test]
fn all_any_and_not_combine_conditions() {
    let shop = Shop::new();
    let warm = r#"{ weather = { day = "today", temp_max_c = { above = 20 } } }"#;
    let hot = r#"{ weather = { day = "today", temp_max_c = { above = 25 } } }"#;
    let cool_tomorrow = r#"{ weather = { day = "tomorrow", temp_max_c = { below = 21 } } }"#;
    let no_milk = r#"{ basket = { lacks = { name = "milk" } } }"#;
    shop.rules(
        &(add_when(
            "All hold",
            &format!("{{ all = [{warm}, {no_milk}] }}"),
            "GR-1001",
        ) + &add_when(
            "All but one",
            &format!("{{ all = [{warm}, {hot}] }}"),
            "GR-1003",
        ) + &add_when(
            "Any holds",
            &format!("{{ any = [{hot}, {cool_tomorrow}] }}"),
            "GR-2001",
        ) + &add_when(
            "None of any",
            &format!("{{ any = [{hot}, {hot}] }}"),
            "GR-2002",
        ) + &add_when("Not hot", &format!("{{ not = {hot} }}"), "GR-7001")
            + &add_when("Not warm", &format!("{{ not = {warm} }}"), "GR-7002")),
    );
    let report = shop.check_no_input();
    assert_eq!(
        reason_of(&report, "All hold"),
        Some("today's max 20.6 °C is above 20 °C and the basket has no 'milk'")
    );
    assert_eq!(reason_of(&report, "All but one"), None);
    assert_eq!(
        reason_of(&report, "Any holds"),
        Some("tomorrow's max 20.2 °C is below 21 °C")
    );
    assert_eq!(reason_of(&report, "None of any"), None);
    assert!(reason_of(&report, "Not hot").is_some(), "{report:#}");
    assert_eq!(reason_of(&report, "Not warm"), None);
    assert_eq!(proposals(&report).len(), 3, "{report:#}");
}

// ---------------------------------------------------------------- add

#[test]
fn add_proposes_the_best_limit_products_with_the_quantity() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "Two creams, cheapest first"
match = { category = "Sun cream" }
add = { quantity = 2, limit = 2 }
"#,
    );
    let report = shop.check_no_input();
    // 3.75 then 6.00: the SPF 50 at 6.50 is third, beyond the limit.
    assert_eq!(
        actions(&report),
        [
            ("add".into(), "GR-2002".into()),
            ("add".into(), "GR-2001".into())
        ]
    );
    assert!(proposals(&report).iter().all(|p| p["quantity"] == 2));
}

#[test]
fn add_prefer_first_takes_feed_order_and_cheapest_takes_price() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "First chocolate"
match = { category = "Dark chocolate" }
add = { prefer = "first" }

[[rule]]
name = "Cheapest cream"
match = { category = "Sun cream" }
add = { prefer = "cheapest" }

[[rule]]
name = "First two pet items"
match = { category = "Pet supplies" }
add = { prefer = "first", limit = 2 }
"#,
    );
    let report = shop.check_no_input();
    assert_eq!(proposed_by(&report, "First chocolate"), ["GR-1001"]);
    assert_eq!(proposed_by(&report, "Cheapest cream"), ["GR-2002"]);
    assert_eq!(
        proposed_by(&report, "First two pet items"),
        ["GR-5001", "GR-5002"]
    );
}

#[test]
fn add_prefer_first_follows_the_order_of_the_feeds_in_the_rules_file() {
    let shop = Shop::new();
    // `lines` is listed before `grocer`: its bar comes first, whatever the names.
    shop.rules_with(
        &["lines", "grocer"],
        "",
        r#"
[[rule]]
name = "The bar, first feed first"
match = { name = "divine dark chocolate 70" }
add = { prefer = "first" }
"#,
    );
    let report = shop.check_no_input();
    assert_eq!(actions(&report), [("add".into(), "GL-9002".into())]);
}

#[test]
fn add_fills_and_does_not_pile_up() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "Favourite chocolate"
match = { brand = "Divine", name = "dark chocolate" }
add = {}
"#,
    );
    let report = shop.check(&["--yes"]);
    assert_eq!(only(&report)["status"], "approved");
    assert_eq!(shop.basket(), [("grocer/GR-1001".to_string(), 1)]);
    // The bar is in the basket: nothing more to propose, run after run.
    for _ in 0..2 {
        let report = shop.check(&["--yes"]);
        assert!(proposals(&report).is_empty(), "{report:#}");
    }
    assert_eq!(shop.basket(), [("grocer/GR-1001".to_string(), 1)]);
}

#[test]
fn add_with_a_limit_fills_only_the_places_left() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "Two creams"
match = { category = "Sun cream" }
add = { limit = 2 }
"#,
    );
    // One cream already there by hand, the dearest one.
    shop.add("grocer/GR-2003", 1);
    let report = shop.check_no_input();
    assert_eq!(actions(&report), [("add".into(), "GR-2002".into())]);
}

#[test]
fn add_counts_an_item_held_from_another_feed_with_the_same_gtin() {
    let shop = Shop::new();
    shop.rules_with(
        &["grocer", "lines"],
        "",
        r#"
[[rule]]
name = "The 70% bar"
match = { gtin = "5012345001012" }
add = {}
"#,
    );
    shop.add("grocer/GR-1001", 1);
    // GL-9002 is the same bar, cheaper elsewhere: it is not a second bar to add.
    let report = shop.check_no_input();
    assert!(proposals(&report).is_empty(), "{report:#}");
}

// ---------------------------------------------------------------- remove

#[test]
fn remove_with_a_basket_match_removes_the_matching_items() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "No palm oil"
match = { contains = ["palm-oil"] }
remove = {}
"#,
    );
    shop.add("grocer/GR-3001", 2);
    shop.add("grocer/GR-3002", 1);
    let report = shop.check_no_input();
    let p = only(&report);
    assert_eq!(p["action"], "remove");
    assert_eq!(p["product"]["id"], "GR-3001");
    assert_eq!(p["quantity"], 2);
    assert_eq!(p["reason"], "'Choco spread 400g' contains palm oil");
    // Nothing changes until approved.
    assert_eq!(shop.basket().len(), 2);
    let report = shop.check(&["--yes"]);
    assert_eq!(only(&report)["status"], "approved");
    assert_eq!(shop.basket(), [("grocer/GR-3002".to_string(), 1)]);
}

#[test]
fn remove_with_a_catalog_match_removes_basket_items_no_longer_available() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "Drop what is sold out"
remove = { product = { in = "catalog", available = false } }
"#,
    );
    shop.add("grocer/GR-1001", 1);
    shop.add("grocer/GR-7001", 1);
    assert!(proposals(&shop.check_no_input()).is_empty());
    // The grocer now has the bar out of stock.
    shop.server.set(
        "/grocer.json",
        grocer_with("GR-1001", "availability", "out_of_stock"),
    );
    let report = shop.check_no_input();
    let p = only(&report);
    assert_eq!(p["action"], "remove");
    assert_eq!(p["product"]["id"], "GR-1001");
    assert_eq!(
        p["reason"],
        "'Divine Dark Chocolate 70% 90g' is no longer available"
    );
}

// ---------------------------------------------------------------- swap

const PALM_OIL_SWAP: &str = r#"
[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"], keep = ["category"], prefer = "closest_price" }
"#;

#[test]
fn swap_palm_oil_for_a_known_free_alternative_in_the_same_category() {
    let shop = Shop::new();
    shop.rules(PALM_OIL_SWAP);
    shop.add("grocer/GR-3001", 2);
    let report = shop.check_no_input();
    let p = only(&report);
    assert_eq!(p["action"], "swap");
    // Not GR-3003 (2.40, closer in price, but its palm oil is unknown), not
    // GR-4001 (1.20, palm-oil free, but a nut butter, not a spread).
    assert_eq!(p["product"]["id"], "GR-3002");
    assert_eq!(p["product"]["price"], "3.50");
    assert_eq!(p["replaces"]["id"], "GR-3001");
    assert_eq!(p["quantity"], 2);
    assert_eq!(
        p["reason"],
        "contains palm oil; 'Nocciolata 270g' is palm-oil free (3.50 GBP)"
    );
    let report = shop.check(&["--yes"]);
    assert_eq!(only(&report)["status"], "approved");
    assert_eq!(shop.basket(), [("grocer/GR-3002".to_string(), 2)]);
}

#[test]
fn swap_for_an_allergy_never_proposes_a_product_with_unknown_allergens() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "Peanut allergy"
match = { in = "basket", allergens = ["peanuts"] }
swap = { without_allergens = ["peanuts"] }
"#,
    );
    shop.add("grocer/GR-4001", 1);
    let report = shop.check_no_input();
    let p = only(&report);
    assert_eq!(p["product"]["id"], "GR-4003");
    assert_eq!(p["replaces"]["id"], "GR-4001");

    // With the sunflower butter gone, only the almond butter (allergens unknown)
    // is left in the category: no proposal, a notice.
    shop.server.set(
        "/grocer.json",
        grocer_with("GR-4003", "availability", "out_of_stock"),
    );
    let report = shop.check_no_input();
    assert!(proposals(&report).is_empty(), "{report:#}");
    let notices = strings(&report["notices"]);
    assert_eq!(
        notices,
        ["Peanut allergy: no alternative for 'Grocer's Own Smooth Peanut Butter 340g' in 'Nut & seed butters'"]
    );
}

#[test]
fn swap_max_price_caps_the_alternative_and_none_left_is_a_notice() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "No palm oil under 3"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"], max_price = "3.00" }

[[rule]]
name = "No palm oil up to 3.50"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"], max_price = 3.5 }
"#,
    );
    shop.add("grocer/GR-3001", 1);
    let report = shop.check_no_input();
    assert_eq!(
        proposed_by(&report, "No palm oil under 3"),
        Vec::<&str>::new()
    );
    assert_eq!(proposed_by(&report, "No palm oil up to 3.50"), ["GR-3002"]);
    assert_eq!(
        strings(&report["notices"]),
        ["No palm oil under 3: no alternative for 'Choco spread 400g' in 'Spreads'"]
    );
}

// ---------------------------------------------------------------- notify

#[test]
fn notify_lists_products_and_puts_nothing_in_the_basket() {
    let shop = Shop::new();
    shop.rules(
        r#"
[notify.webhook]
url = "$SERVER/hook"

[[rule]]
name = "Pet supplies deals"
match = { category = "Pet Supplies", on_sale = true }
notify = true

[[rule]]
name = "One deal"
match = { on_sale = true }
notify = { channels = ["webhook"], limit = 1 }
"#,
    );
    let report = shop.check(&["--yes"]);
    assert!(proposals(&report).is_empty(), "{report:#}");
    let notes = report["notifications"].as_array().expect("a list");
    assert_eq!(notes.len(), 2, "{report:#}");
    assert_eq!(notes[0]["rule"], "Pet supplies deals");
    assert_eq!(strings(&notes[0]["channels"]), ["webhook"]);
    assert_eq!(
        notified(&report, "Pet supplies deals"),
        ["GR-5001", "GR-5002"]
    );
    assert_eq!(notes[0]["products"][0]["price"], "3.50");
    assert_eq!(notified(&report, "One deal"), ["GR-5001"]);
    assert!(shop.basket().is_empty());
    assert_eq!(shop.server.hits("/hook"), 0, "no --notify, nothing sent");
}

// ---------------------------------------------------------------- three-valued facts

#[test]
fn unknown_facts_neither_contain_nor_are_free_of_anything() {
    let shop = Shop::new();
    // GR-3003 (spread) and GR-4004 (nut butter) say nothing about palm oil or
    // allergens; every other product of their categories does.
    shop.rules(
        &(notify_rule(
            "Spreads with palm oil",
            r#"{ category = "Spreads", contains = ["palm-oil"] }"#,
        ) + &notify_rule(
            "Butters with nuts",
            r#"{ category = "Nut & seed butters", allergens = ["nuts", "peanuts"] }"#,
        ) + r#"
[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"], prefer = "cheapest" }

[[rule]]
name = "Nut allergy"
match = { in = "basket", allergens = ["peanuts"] }
swap = { without_allergens = ["nuts", "peanuts"], prefer = "first" }
"#),
    );
    shop.add("grocer/GR-3001", 1);
    shop.add("grocer/GR-4002", 1);
    let report = shop.check_no_input();
    assert_eq!(notified(&report, "Spreads with palm oil"), ["GR-3001"]);
    assert_eq!(
        notified(&report, "Butters with nuts"),
        ["GR-4001", "GR-4002"]
    );
    // Cheapest known-free spread: GR-3002 at 3.50, not GR-3003 at 2.40.
    assert_eq!(proposed_by(&report, "No palm oil"), ["GR-3002"]);
    // First known-free butter: GR-4003, never GR-4004.
    assert_eq!(proposed_by(&report, "Nut allergy"), ["GR-4003"]);
}

// ---------------------------------------------------------------- determinism

#[test]
fn the_same_inputs_give_the_same_report_in_rule_order() {
    let shop = Shop::new();
    shop.rules_with(
        &["grocer", "boots"],
        "",
        r#"
[[rule]]
name = "Boots under £15"
match = { feed = "boots", price = { below = 15 } }
add = {}

[[rule]]
name = "Creams"
match = { category = "Sun cream" }
add = { limit = 3 }

[[rule]]
name = "Firsts"
match = { category = "Pet Supplies", on_sale = true }
add = { limit = 2, prefer = "first" }

[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"] }
"#,
    );
    shop.add("grocer/GR-3001", 1);
    let first = shop.check(&["--dry-run"]);
    let second = shop.check(&["--dry-run"]);
    assert_eq!(first, second);
    let rules: Vec<&str> = proposals(&first).iter().map(|p| s(&p["rule"])).collect();
    assert_eq!(
        rules,
        [
            "Boots under £15",
            "Creams",
            "Creams",
            "Creams",
            "Firsts",
            "Firsts",
            "No palm oil"
        ]
    );
    assert_eq!(
        proposed_by(&first, "Creams"),
        ["GR-2002", "GR-2001", "GR-2003"]
    );
    assert_eq!(proposed_by(&first, "Firsts"), ["GR-5001", "GR-5002"]);
}

// ---------------------------------------------------------------- budget

#[test]
fn budget_marks_an_add_over_it_and_yes_does_not_approve_it() {
    let shop = Shop::new();
    shop.rules_with(
        &["grocer"],
        "budget = \"8.00\"",
        r#"
[[rule]]
name = "Bread"
add = { product = { id = "GR-7002" } }

[[rule]]
name = "Expensive cream"
add = { product = { id = "GR-2003" } }
"#,
    );
    shop.add("grocer/GR-7001", 1); // 1.45: 6.55 left
    let report = shop.check_no_input();
    let by_rule = |r: &Value, rule: &str| {
        proposals(r)
            .iter()
            .find(|p| p["rule"] == rule)
            .cloned()
            .unwrap_or_else(|| panic!("no proposal of {rule}: {r:#}"))
    };
    // 1.45 + 6.50 = 7.95 fits alone; with the bread too it would not.
    assert_eq!(by_rule(&report, "Bread")["over_budget"], false);
    assert_eq!(by_rule(&report, "Expensive cream")["over_budget"], false);

    let report = shop.check(&["--yes"]);
    assert_eq!(by_rule(&report, "Bread")["status"], "approved");
    let cream = by_rule(&report, "Expensive cream");
    assert_eq!(cream["over_budget"], true);
    assert_ne!(cream["status"], "approved");
    assert_eq!(
        shop.basket(),
        [
            ("grocer/GR-7001".to_string(), 1),
            ("grocer/GR-7002".to_string(), 1)
        ]
    );
    // Next run: still over (2.55 in the basket + 6.50 > 8), still not approved.
    let report = shop.check(&["--yes"]);
    let cream = by_rule(&report, "Expensive cream");
    assert_eq!(cream["over_budget"], true);
    assert_eq!(cream["status"], "pending");
    assert_eq!(shop.basket().len(), 2);
}

#[test]
fn budget_over_on_its_own_is_marked_before_any_decision() {
    let shop = Shop::new();
    shop.rules_with(
        &["grocer"],
        "budget = 5",
        r#"
[[rule]]
name = "Cream"
add = { product = { id = "GR-2001" } }
"#,
    );
    let p = only(&shop.check_no_input()).clone();
    assert_eq!(p["over_budget"], true);
    let p = only(&shop.check(&["--yes"])).clone();
    assert_eq!(p["over_budget"], true);
    assert_eq!(p["status"], "pending");
    assert!(shop.basket().is_empty());
}

// ---------------------------------------------------------------- memory across runs

#[test]
fn a_proposal_is_new_then_pending_then_approved_then_not_proposed_again() {
    let mut shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "Favourite chocolate"
match = { brand = "Divine", name = "dark chocolate" }
add = {}
"#,
    );
    let first = shop.check_no_input();
    assert_eq!(only(&first)["status"], "new");
    shop.env.set_now("2026-10-03T10:00:00Z");
    let second = shop.check_no_input();
    assert_eq!(only(&second)["status"], "pending");
    assert_eq!(only(&first)["id"], only(&second)["id"], "the id is stable");
    assert!(shop.basket().is_empty(), "--no-input applies nothing");

    shop.env.set_now("2026-10-03T11:00:00Z");
    let third = shop.check(&["--yes"]);
    assert_eq!(only(&third)["status"], "approved");
    assert_eq!(shop.basket(), [("grocer/GR-1001".to_string(), 1)]);

    // Weeks later, still in the basket: not proposed again.
    shop.env.set_now("2026-11-03T09:00:00Z");
    assert!(proposals(&shop.check_no_input()).is_empty());
    let history = shop.run(&["history"]).assert_ok().stdout.clone();
    assert!(history.contains("Favourite chocolate"), "{history}");
}

#[test]
fn a_pending_proposal_the_rule_no_longer_makes_is_forgotten() {
    let shop = Shop::new();
    shop.rules_with(
        &["boots"],
        "",
        r#"
[[rule]]
name = "Boots under £15"
match = { feed = "boots", price = { below = 15 } }
add = {}
"#,
    );
    assert_eq!(only(&shop.check_no_input())["status"], "new");
    // The price goes back up: no proposal, and when it drops again it is news.
    shop.server.set(
        "/boots.csv",
        Reply::csv(
            String::from_utf8(fixture("catalog/boots.csv"))
                .expect("UTF-8")
                .replace("14.50", "16.00"),
        ),
    );
    assert!(proposals(&shop.check_no_input()).is_empty());
    shop.server
        .set("/boots.csv", Reply::fixture("catalog/boots.csv"));
    assert_eq!(only(&shop.check_no_input())["status"], "new");
}

#[test]
fn a_pending_proposal_survives_a_run_where_its_feed_failed() {
    let shop = Shop::new();
    shop.rules_with(
        &["grocer", "boots"],
        "",
        r#"
[[rule]]
name = "Boots under £15"
match = { feed = "boots", price = { below = 15 } }
add = {}
"#,
    );
    assert_eq!(only(&shop.check_no_input())["status"], "new");
    shop.fail("/boots.csv", 503);
    assert!(proposals(&shop.check_no_input()).is_empty());
    // The rule could not look, so it did not change its mind: the proposal is
    // still the one shown before, not news for the cron summary.
    shop.server
        .set("/boots.csv", Reply::fixture("catalog/boots.csv"));
    assert_eq!(only(&shop.check_no_input())["status"], "pending");
    let summary = shop.run(&["check", "--format", "summary"]);
    assert_eq!(summary.stdout, "", "{}", summary.streams());
}

#[test]
fn dry_run_stores_nothing() {
    let shop = Shop::new();
    shop.rules(
        r#"
[[rule]]
name = "Favourite chocolate"
match = { brand = "Divine", name = "dark chocolate" }
add = {}
"#,
    );
    assert_eq!(only(&shop.check(&["--dry-run"]))["status"], "new");
    assert_eq!(only(&shop.check(&["--dry-run", "--yes"]))["status"], "new");
    assert!(
        shop.basket().is_empty(),
        "--dry-run --yes applied something"
    );
    // The earlier runs left no trace: this one still sees it as new.
    assert_eq!(only(&shop.check_no_input())["status"], "new");
}

// ---------------------------------------------------------------- failing feeds

#[test]
fn a_failing_feed_is_a_warning_and_skips_only_the_rules_that_need_it() {
    let shop = Shop::new();
    shop.fail("/grocer.json", 500);
    shop.rules_with(
        &["grocer", "boots"],
        "",
        r#"
[[rule]]
name = "Grocer chocolate"
match = { feed = "grocer", name = "chocolate" }
add = {}

[[rule]]
name = "Boots under £15"
match = { feed = "boots", price = { below = 15 } }
add = {}
"#,
    );
    let out = shop.run(&["check", "--format", "json", "--no-input", "--explain"]);
    out.assert_ok();
    let report = out.json();
    assert_eq!(actions(&report), [("add".into(), "BOOT-42".into())]);
    let warnings = strings(&report["warnings"]);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("feed 'grocer'") && w.contains("500")),
        "{warnings:?}"
    );
    let skipped = report["rules"]
        .as_array()
        .expect("explanations")
        .iter()
        .find(|e| e["rule"] == "Grocer chocolate")
        .expect("an explanation for the skipped rule");
    assert_eq!(skipped["fired"], false);
    assert!(
        s(&skipped["detail"]).starts_with("skipped: feed 'grocer' failed: HTTP 500"),
        "{skipped}"
    );
}

#[test]
fn every_feed_failing_exits_1_and_leaves_the_basket_alone() {
    let shop = Shop::new();
    shop.rules_with(
        &["grocer", "boots"],
        "",
        r#"
[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
remove = {}

[[rule]]
name = "Anything cheap"
match = { price = { below = 100 } }
add = {}
"#,
    );
    shop.add("grocer/GR-3001", 1);
    shop.fail("/grocer.json", 500);
    shop.fail("/boots.csv", 503);
    let out = shop.run(&["check", "--format", "json", "--yes"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("every feed failed"),
        "{}",
        out.streams()
    );
    assert_eq!(shop.basket(), [("grocer/GR-3001".to_string(), 1)]);
    // Nothing was stored as pending either.
    shop.server
        .set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    shop.server
        .set("/boots.csv", Reply::fixture("catalog/boots.csv"));
    let report = shop.check_no_input();
    assert!(
        proposals(&report).iter().all(|p| p["status"] == "new"),
        "{report:#}"
    );
}

/// A removal that judges a basket item as its feed lists it now cannot run
/// without that feed; one that judges the recorded product, and a `lacks`,
/// read no feed and run (bug: every remove and lacks was skipped).
#[test]
fn a_failing_feed_holds_back_only_the_removal_that_reads_it() {
    let shop = Shop::new();
    shop.rules_with(
        &["grocer", "boots"],
        "",
        r#"
[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
remove = {}

[[rule]]
name = "Sold out"
remove = { product = { in = "catalog", available = false } }

[[rule]]
name = "Boots if no bread"
when.basket = { lacks = { category = "Bread" } }
add = { product = { id = "BOOT-42" } }
"#,
    );
    shop.add("grocer/GR-3001", 1);
    shop.fail("/grocer.json", 500);
    let out = shop.run(&["check", "--format", "json", "--no-input", "--explain"]);
    let report = out.assert_ok().json();
    assert_eq!(
        actions(&report),
        [
            ("remove".into(), "GR-3001".into()),
            ("add".into(), "BOOT-42".into())
        ]
    );
    let sold_out = report["rules"]
        .as_array()
        .expect("explanations")
        .iter()
        .find(|e| e["rule"] == "Sold out")
        .expect("an explanation for the skipped rule");
    assert!(
        s(&sold_out["detail"]).starts_with("skipped: feed 'grocer' failed: HTTP 500"),
        "{sold_out}"
    );
    assert!(
        s(&sold_out["detail"]).ends_with("and it lists the basket item 'Choco spread 400g'"),
        "{sold_out}"
    );
}

#[test]
fn a_failing_forecast_skips_weather_rules_only() {
    let shop = Shop::new();
    shop.fail("/v1/forecast", 500);
    shop.rules(
        &(add_when(
            "Warm today",
            r#"{ weather = { day = "today", temp_max_c = { above = 0 } } }"#,
            "GR-2002",
        ) + &add_when(
            "Not hot today",
            r#"{ not = { weather = { day = "today", temp_max_c = { above = 40 } } } }"#,
            "GR-2001",
        ) + &add_when(
            "Bread",
            r#"{ basket = { lacks = { category = "Bread" } } }"#,
            "GR-7002",
        )),
    );
    let report = shop.check_no_input();
    // `not` over an unknown forecast must not turn into "yes".
    assert_eq!(actions(&report), [("add".into(), "GR-7002".into())]);
    assert!(
        strings(&report["warnings"])
            .iter()
            .any(|w| w.starts_with("weather:")),
        "{report:#}"
    );
}

// ---------------------------------------------------------------- output formats

#[test]
fn summary_prints_what_is_new_and_nothing_the_second_time() {
    let shop = Shop::new();
    shop.rules_with(
        &["boots"],
        "",
        r#"
[[rule]]
name = "Boots under £15"
match = { feed = "boots", price = { below = 15 } }
add = {}
"#,
    );
    let first = shop.run(&["check", "--format", "summary"]);
    first.assert_ok();
    assert!(
        first.stdout.starts_with("basket: 1 new proposal\n"),
        "{}",
        first.streams()
    );
    assert!(
        first.stdout.contains("Chelsea boot (14.50 GBP)"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("[Boots under £15]"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("price 14.50 GBP is below 15.00 GBP"),
        "{}",
        first.stdout
    );
    let second = shop.run(&["check", "--format", "summary"]);
    second.assert_ok();
    assert_eq!(second.stdout, "", "{}", second.streams());
}

#[test]
fn summary_of_a_notify_rule_is_new_once() {
    let shop = Shop::new();
    shop.rules(&notify_rule("Pet deals", "{ on_sale = true }"));
    let first = shop.run(&["check", "--format", "summary"]);
    first.assert_ok();
    assert!(
        first.stdout.starts_with("basket: 1 new notification\n"),
        "{}",
        first.streams()
    );
    assert!(first
        .stdout
        .contains("Good Boy Dental Chews 7 pack (2.00 GBP, was 2.50)"));
    let second = shop.run(&["check", "--format", "summary"]);
    assert_eq!(second.stdout, "", "{}", second.streams());
}

#[test]
fn a_notified_product_is_news_again_only_when_it_changes() {
    let mut shop = Shop::new();
    shop.rules(&notify_rule(
        "Pet deals",
        r#"{ category = "Pet Supplies", on_sale = true }"#,
    ));
    assert_eq!(shop.check_no_input()["notifications"][0]["new"], true);
    // Weeks later, the same deals at the same prices: nothing new.
    shop.env.set_now("2026-10-24T09:00:00Z");
    let report = shop.check_no_input();
    assert_eq!(report["notifications"][0]["new"], false, "{report:#}");
    let summary = shop.run(&["check", "--format", "summary"]);
    assert_eq!(summary.stdout, "", "{}", summary.streams());
    // The cat food gets cheaper: news.
    shop.server
        .set("/grocer.json", grocer_with("GR-5001", "price", "3.00"));
    let summary = shop.run(&["check", "--format", "summary"]);
    assert!(
        summary
            .stdout
            .contains("Purrfect Chicken in Jelly Cat Food 12 x 85g (3.00 GBP, was 4.75)"),
        "{}",
        summary.streams()
    );
}

#[test]
fn explain_says_for_each_rule_whether_it_fired_and_why_not() {
    let shop = Shop::new();
    shop.rules_with(
        &["grocer", "boots"],
        "",
        r#"
[[rule]]
name = "Boots under £15"
match = { feed = "boots", price = { below = 15 } }
add = {}

[[rule]]
name = "Sunscreen on hot days"
when.weather = { day = "tomorrow", temp_max_c = { above = 22 } }
add = { product = { name = "sun cream spf 30" } }

[[rule]]
name = "Chocolate under 1.50"
match = { name = "chocolate", price = { below = "1.50" } }
add = {}

[[rule]]
name = "Cream"
match = { category = "Sun cream" }
add = {}

[[rule]]
name = "Off"
enabled = false
match = { category = "Sun cream" }
add = {}
"#,
    );
    shop.fail("/boots.csv", 503);
    let out = shop.run(&["check", "--no-input", "--explain"]);
    out.assert_ok();
    let lines: Vec<&str> = out.stdout.lines().map(str::trim).collect();
    for want in [
        "Sunscreen on hot days: no, tomorrow's max 20.2 °C is not above 22 °C",
        "Chocolate under 1.50: no, cheapest match 'Green Valley Organic Dark Chocolate 85% 100g' is 1.80 GBP, not below 1.50",
        "Cream: yes, 1 proposal",
        "Off: no, disabled",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{}", out.stdout);
    }
    // The failure is named with its status (and the URL after it).
    let failed = "Boots under £15: no, skipped: feed 'boots' failed: HTTP 503";
    assert!(
        lines.iter().any(|l| l.starts_with(failed)),
        "missing {failed:?} in\n{}",
        out.stdout
    );
}

// ---------------------------------------------------------------- facts across feeds

#[test]
fn facts_merge_by_gtin_across_feeds_and_each_feed_keeps_its_price() {
    let shop = Shop::new();
    shop.rules_with(
        &["grocer", "lines"],
        "",
        &(notify_rule(
            "Vegan bars",
            r#"{ name = "dark chocolate 70", labels = ["vegan"] }"#,
        ) + &notify_rule(
            "Milk traces",
            r#"{ name = "dark chocolate 70", allergens = ["milk"] }"#,
        ) + r#"
[[rule]]
name = "No soy"
match = { in = "basket", allergens = ["soybeans"] }
swap = { without_allergens = ["soybeans"], keep = [], prefer = "closest_price" }
"#),
    );
    shop.add("grocer/GR-1003", 1);
    let report = shop.check_no_input();
    // GL-9002 says only "fair-trade" and nothing of allergens; GR-1001, the same
    // GTIN, says vegan and traces of milk: the facts are shared.
    assert_eq!(notified(&report, "Vegan bars"), ["GR-1001", "GL-9002"]);
    assert_eq!(notified(&report, "Milk traces"), ["GR-1001", "GL-9002"]);
    let prices: Vec<&str> = report["notifications"][0]["products"]
        .as_array()
        .expect("products")
        .iter()
        .map(|p| s(&p["price"]))
        .collect();
    assert_eq!(prices, ["2.10", "2.05"]);
    // For the milk chocolate (1.95, soy), the closest soy-free price is GL-9002 at
    // 2.05: its allergens are known only through GR-1001. (GR-1004 at 1.80 is as
    // close as GR-1001 but its allergens are unknown.)
    assert_eq!(proposed_by(&report, "No soy"), ["GL-9002"]);
}
