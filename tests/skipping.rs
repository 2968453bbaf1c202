//! Rules are skipped only for what they read (issue 13, bug 2): with one feed
//! failing, a rule that reads nothing of it still runs, and one that reads a
//! failed input (its feed, the facts source, the forecast) is skipped with
//! `--explain` naming it. The real binary, feeds from 127.0.0.1.

use serde_json::{json, Value};

use crate::support::{Output, Reply, TestEnv, TestServer};

const FORECAST: &str = "open-meteo/frenck-forecast-daily-all-variables-TRIMMED.json";

/// A shopper with two catalog feeds, `grocer` and `pages`, an Open Food
/// Facts source `off` and the forecast, all on one test server.
struct Shop {
    env: TestEnv,
    server: TestServer,
}

/// (id, name, brand, price, availability, gtin)
type Line<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

impl Shop {
    fn new(rules: &str) -> Shop {
        let server = TestServer::start();
        let shop = Shop {
            env: TestEnv::new(),
            server,
        };
        shop.serve(
            "/grocer.json",
            &[
                (
                    "GB1",
                    "Baked beans",
                    "Grocer Basics",
                    "0.80",
                    "in_stock",
                    "",
                ),
                ("CH1", "Charcoal 5kg", "Firestarter", "6.00", "in_stock", ""),
                (
                    "SP1",
                    "Palm spread 400g",
                    "Spready",
                    "2.00",
                    "in_stock",
                    "3017620422003",
                ),
            ],
        );
        shop.serve(
            "/pages.json",
            &[("PG1", "Strawberry jam", "Jammy", "3.00", "in_stock", "")],
        );
        shop.server.set("/v1/forecast", Reply::fixture(FORECAST));
        shop.env.write_rules(&shop.server.expand(&format!(
            r#"[settings]
currency = "GBP"
location = {{ latitude = 52.27, longitude = 6.87 }}

[weather]
url = "$SERVER/v1/forecast"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[feeds.pages]
kind = "json"
url = "$SERVER/pages.json"

[feeds.off]
kind = "openfoodfacts"
url = "$SERVER/off"
{rules}"#
        )));
        shop
    }

    fn serve(&self, path: &str, lines: &[Line]) {
        let products: Vec<Value> = lines
            .iter()
            .map(|(id, name, brand, price, availability, gtin)| {
                let mut p = json!({"id": id, "name": name, "brand": brand, "price": price,
                                   "currency": "GBP", "availability": availability});
                if !gtin.is_empty() {
                    p["gtin"] = json!(gtin);
                }
                p
            })
            .collect();
        let body = serde_json::to_vec(&json!({ "products": products })).expect("json");
        self.server.set(path, Reply::json(body));
    }

    fn add(&self, query: &str) {
        self.env.run(&["add", query]).assert_ok();
    }

    /// Makes `path` answer `status` with no cached copy to fall back on.
    fn fail(&self, path: &str, status: u16) {
        self.server.set(path, Reply::status(status, "no"));
        let _ = std::fs::remove_dir_all(self.env.cache_dir());
    }

    /// The cron run with `--explain`, as the shopper reads it.
    fn explain(&self) -> Output {
        self.env.run(&["check", "--no-input", "--explain"])
    }

    fn shot(&self, out: &Output) -> String {
        self.env
            .normalize(&out.streams())
            .replace(&self.server.base_url(), "$SERVER")
    }
}

#[test]
fn a_basket_only_removal_fires_while_an_unrelated_feed_fails() {
    let shop = Shop::new(
        r#"
[[rule]]
name = "No Grocer Basics"
match = { in = "basket", brand = "Grocer Basics" }
remove = {}
"#,
    );
    shop.add("grocer/GB1");
    shop.fail("/pages.json", 403);
    insta::assert_snapshot!(shop.shot(&shop.explain()));
}

#[test]
fn a_weather_rule_with_not_basket_has_fires_while_an_unrelated_feed_fails() {
    let shop = Shop::new(
        r#"
[[rule]]
name = "Charcoal for a barbecue"
when.all = [
  { weather = { day = "today", temp_max_c = { above = 15 } } },
  { not = { basket = { has = { name = "charcoal" } } } },
]
add = { product = { name = "charcoal" } }
"#,
    );
    shop.fail("/pages.json", 403);
    insta::assert_snapshot!(shop.shot(&shop.explain()));
}

/// A catalog removal judges each basket item as its own feed lists it now:
/// narrowed to the feed that answered it runs; over every feed it would judge
/// the jam, whose feed failed, so it is skipped.
#[test]
fn a_removal_narrowed_to_a_healthy_feed_fires_while_another_feed_fails() {
    let shop = Shop::new(
        r#"
[[rule]]
name = "Grocer sold out"
match = { in = "catalog", feed = "grocer", available = false }
remove = {}

[[rule]]
name = "Anything sold out"
match = { in = "catalog", available = false }
remove = {}
"#,
    );
    shop.add("grocer/GB1");
    shop.add("pages/PG1");
    shop.serve(
        "/grocer.json",
        &[(
            "GB1",
            "Baked beans",
            "Grocer Basics",
            "0.80",
            "out_of_stock",
            "",
        )],
    );
    shop.fail("/pages.json", 403);
    insta::assert_snapshot!(shop.shot(&shop.explain()));
}

#[test]
fn a_facts_rule_is_skipped_when_open_food_facts_answers_500() {
    let shop = Shop::new(
        r#"
[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
remove = {}

[[rule]]
name = "No Grocer Basics"
match = { in = "basket", brand = "Grocer Basics" }
remove = {}
"#,
    );
    shop.add("grocer/GB1");
    shop.add("grocer/SP1");
    shop.server.set(
        "/off/api/v2/product/3017620422003.json",
        Reply::status(500, "down"),
    );
    let out = shop.explain();
    assert!(
        shop.server.hits("/off/api/v2/product/3017620422003.json") >= 1,
        "Open Food Facts was asked"
    );
    insta::assert_snapshot!(shop.shot(&out));
}

#[test]
fn a_weather_rule_is_skipped_when_the_forecast_fails_and_the_others_run() {
    let shop = Shop::new(
        r#"
[[rule]]
name = "Charcoal on warm days"
when.weather = { day = "today", temp_max_c = { above = 15 } }
add = { product = { name = "charcoal" } }

[[rule]]
name = "Jam"
match = { name = "jam" }
add = {}
"#,
    );
    shop.fail("/v1/forecast", 503);
    insta::assert_snapshot!(shop.shot(&shop.explain()));
}

/// A rule over every feed keeps running while one feed fails; the proposal it
/// left pending for that feed's product must not be forgotten because the
/// product could not be seen this time.
#[test]
fn a_pending_proposal_for_a_failed_feeds_product_is_kept() {
    let shop = Shop::new(
        r#"
[[rule]]
name = "Jam"
match = { name = "jam" }
add = {}
"#,
    );
    shop.env.run(&["check", "--no-input"]).assert_ok();
    // What is left pending for `basket review`, read from the store itself.
    let pending = |shop: &Shop| -> Vec<String> {
        let store = basket::api::store::Store::open(&shop.env.data_dir()).expect("open the store");
        let pending = store.pending().expect("pending proposals");
        pending.into_iter().map(|p| p.product.id).collect()
    };
    assert_eq!(pending(&shop), vec!["PG1"]);
    shop.fail("/pages.json", 503);
    shop.env.run(&["check", "--no-input"]).assert_ok();
    assert_eq!(pending(&shop), vec!["PG1"], "kept while its feed is down");
    // Once the feed answers without it, the proposal is stale and goes.
    shop.serve(
        "/pages.json",
        &[("PG2", "Honey", "Bee", "4.00", "in_stock", "")],
    );
    shop.env.run(&["check", "--no-input"]).assert_ok();
    assert!(pending(&shop).is_empty(), "{:?}", pending(&shop));
}
