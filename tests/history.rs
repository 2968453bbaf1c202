//! Price history and smarter triggers, over several runs: the catalog changes
//! between runs and `BASKET_NOW` moves the clock a day at a time.

use serde_json::{json, Value};

use crate::support::*;

/// A shop whose one catalog the test rewrites between runs.
struct Shop {
    env: TestEnv,
    server: TestServer,
    day: u32,
}

impl Shop {
    fn new(rules_tail: &str) -> Shop {
        let env = TestEnv::new();
        let server = TestServer::start();
        env.write_rules(&server.expand(&format!(
            r#"
[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"
{rules_tail}"#
        )));
        let mut shop = Shop {
            env,
            server,
            day: 0,
        };
        shop.next_day();
        shop
    }

    /// Serves these products: (id, name, price, availability).
    fn serve(&self, products: &[(&str, &str, &str, &str)]) {
        let list: Vec<Value> = products
            .iter()
            .map(|(id, name, price, availability)| {
                json!({"id": id, "name": name, "brand": "Acme", "categories": "Shoes > Boots",
                       "price": price, "currency": "GBP", "availability": availability})
            })
            .collect();
        self.server.set(
            "/shop.json",
            Reply::json(serde_json::to_vec(&json!({ "products": list })).expect("json")),
        );
    }

    fn next_day(&mut self) {
        self.day += 1;
        self.env
            .set_now(&format!("2026-10-{:02}T09:00:00Z", self.day));
    }

    /// A cron-style run: what it proposed and notified.
    fn run(&self) -> Value {
        let out = self.env.run(&["check", "--no-input", "--format", "json"]);
        out.assert_ok();
        out.json()
    }

    fn fail_feed(&self) {
        self.server.set("/shop.json", Reply::status(503, "down"));
        let _ = std::fs::remove_dir_all(self.env.cache_dir());
    }

    fn observation_count(&self) -> i64 {
        let conn = rusqlite::Connection::open(self.env.db_path()).expect("db");
        conn.query_row("SELECT COUNT(*) FROM observations", [], |r| r.get(0))
            .expect("count")
    }
}

fn new_proposals(report: &Value) -> Vec<String> {
    report["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .filter(|p| p["status"] == "new")
        .map(|p| p["product"]["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn new_notifications(report: &Value) -> Vec<String> {
    report["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .filter(|n| n["new"] == true)
        .flat_map(|n| n["products"].as_array().cloned().unwrap_or_default())
        .map(|p| p["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

const BOOTS_ALERT: &str = r#"
[[rule]]
name = "Boots under £15"
match = { name = "chelsea boot", price = { below = 15 } }
notify = true
"#;

#[test]
fn below_15_alerts_once_per_dip_and_again_on_the_next_dip() {
    let mut shop = Shop::new(BOOTS_ALERT);
    let boot = |price| [("B1", "Chelsea boot", price, "in_stock")];
    shop.serve(&boot("16.00"));
    assert!(
        new_notifications(&shop.run()).is_empty(),
        "not yet below 15"
    );
    shop.next_day();
    shop.serve(&boot("14.50"));
    assert_eq!(new_notifications(&shop.run()), ["B1"], "the dip");
    for _ in 0..2 {
        shop.next_day();
        assert!(
            new_notifications(&shop.run()).is_empty(),
            "stays quiet while it stays low"
        );
    }
    shop.next_day();
    shop.serve(&boot("15.50"));
    assert!(new_notifications(&shop.run()).is_empty(), "recovered");
    shop.next_day();
    shop.serve(&boot("14.90"));
    assert_eq!(
        new_notifications(&shop.run()),
        ["B1"],
        "the next dip fires again"
    );
}

#[test]
fn an_add_rule_is_not_reproposed_while_its_condition_keeps_holding() {
    let mut shop = Shop::new(
        r#"
[[rule]]
name = "Boots under £15"
match = { name = "chelsea boot", price = { below = 15 } }
add = {}
"#,
    );
    shop.serve(&[("B1", "Chelsea boot", "14.50", "in_stock")]);
    shop.env.run(&["check", "--yes"]).assert_ok();
    shop.env.run(&["remove", "shop/B1"]).assert_ok();
    shop.next_day();
    assert!(
        new_proposals(&shop.run()).is_empty(),
        "removed by hand while still cheap: the rule already fired for this dip"
    );
    shop.next_day();
    shop.serve(&[("B1", "Chelsea boot", "16.00", "in_stock")]);
    assert!(new_proposals(&shop.run()).is_empty());
    shop.next_day();
    shop.serve(&[("B1", "Chelsea boot", "14.00", "in_stock")]);
    assert_eq!(
        new_proposals(&shop.run()),
        ["B1"],
        "re-armed by the recovery"
    );
}

#[test]
fn first_run_skip_ignores_what_already_matches_until_it_rearms() {
    let mut shop = Shop::new(
        r#"
[[rule]]
name = "Boots under £15"
match = { name = "chelsea boot", price = { below = 15 } }
notify = true
first_run = "skip"
"#,
    );
    shop.serve(&[("B1", "Chelsea boot", "14.50", "in_stock")]);
    let first = shop.run();
    assert!(new_notifications(&first).is_empty(), "{first}");
    shop.next_day();
    assert!(new_notifications(&shop.run()).is_empty());
    shop.next_day();
    shop.serve(&[("B1", "Chelsea boot", "15.50", "in_stock")]);
    shop.run();
    shop.next_day();
    shop.serve(&[("B1", "Chelsea boot", "14.00", "in_stock")]);
    assert_eq!(new_notifications(&shop.run()), ["B1"]);
}

#[test]
fn first_run_fire_is_the_default() {
    let shop = Shop::new(BOOTS_ALERT);
    shop.serve(&[("B1", "Chelsea boot", "14.50", "in_stock")]);
    assert_eq!(new_notifications(&shop.run()), ["B1"]);
}

#[test]
fn lowest_in_days_needs_a_day_of_history_and_the_lowest_price() {
    let mut shop = Shop::new(
        r#"
[[rule]]
name = "Lowest in 30 days"
match = { name = "chelsea boot", lowest_in_days = 30 }
notify = true
"#,
    );
    let boot = |price| [("B1", "Chelsea boot", price, "in_stock")];
    shop.serve(&boot("20.00"));
    assert!(
        new_notifications(&shop.run()).is_empty(),
        "no history yet: unknown never satisfies"
    );
    shop.next_day();
    shop.serve(&boot("18.00"));
    assert_eq!(
        new_notifications(&shop.run()),
        ["B1"],
        "18 is the lowest of 20, 18"
    );
    shop.next_day();
    shop.serve(&boot("19.00"));
    assert!(
        new_notifications(&shop.run()).is_empty(),
        "19 is not the lowest"
    );
    shop.next_day();
    shop.serve(&boot("17.00"));
    assert_eq!(new_notifications(&shop.run()), ["B1"], "a new low");
}

#[test]
fn price_drop_pct_compares_with_the_highest_price_of_the_window() {
    let mut shop = Shop::new(
        r#"
[[rule]]
name = "20% off"
match = { name = "chelsea boot", price_drop_pct = { at_least = 20, days = 14 } }
notify = true
"#,
    );
    let boot = |price| [("B1", "Chelsea boot", price, "in_stock")];
    shop.serve(&boot("20.00"));
    shop.run();
    shop.next_day();
    shop.serve(&boot("17.00"));
    assert!(new_notifications(&shop.run()).is_empty(), "15% is not 20%");
    shop.next_day();
    shop.serve(&boot("15.00"));
    assert_eq!(new_notifications(&shop.run()), ["B1"], "25% below 20.00");
}

#[test]
fn a_price_drop_outside_the_window_does_not_count() {
    let mut shop = Shop::new(
        r#"
[[rule]]
name = "20% off this week"
match = { name = "chelsea boot", price_drop_pct = { at_least = 20, days = 3 } }
notify = true
"#,
    );
    let boot = |price| [("B1", "Chelsea boot", price, "in_stock")];
    shop.serve(&boot("20.00"));
    shop.run();
    shop.next_day();
    shop.serve(&boot("16.50"));
    shop.run();
    for _ in 0..4 {
        shop.next_day();
    }
    shop.serve(&boot("15.00"));
    assert!(
        new_notifications(&shop.run()).is_empty(),
        "20.00 was more than 3 days ago; 16.50 -> 15.00 is 9%"
    );
}

#[test]
fn newly_listed_products_fire_but_not_on_a_feeds_first_run() {
    let mut shop = Shop::new(
        r#"
[[rule]]
name = "New from Acme"
match = { brand = "Acme", new = true }
notify = true
"#,
    );
    shop.serve(&[("B1", "Chelsea boot", "20.00", "in_stock")]);
    assert!(
        new_notifications(&shop.run()).is_empty(),
        "the feed was never seen: whether B1 is new is unknown"
    );
    shop.next_day();
    shop.serve(&[
        ("B1", "Chelsea boot", "20.00", "in_stock"),
        ("B2", "Hiking boot", "40.00", "in_stock"),
    ]);
    assert_eq!(new_notifications(&shop.run()), ["B2"]);
    shop.next_day();
    assert!(new_notifications(&shop.run()).is_empty(), "new only once");
}

#[test]
fn back_in_stock_fires_when_it_comes_back_and_never_from_a_failed_fetch() {
    let mut shop = Shop::new(
        r#"
[[rule]]
name = "Back in stock"
match = { name = "chelsea boot", back_in_stock = true }
notify = true
"#,
    );
    let boot = |availability| [("B1", "Chelsea boot", "20.00", availability)];
    shop.serve(&boot("in_stock"));
    assert!(new_notifications(&shop.run()).is_empty());
    // The feed fails: unknown, not "out of stock".
    shop.next_day();
    shop.fail_feed();
    let out = shop.env.run(&["check", "--no-input", "--format", "json"]);
    out.assert_code(1);
    shop.next_day();
    shop.serve(&boot("in_stock"));
    assert!(
        new_notifications(&shop.run()).is_empty(),
        "no false back-in-stock after a failed fetch"
    );
    shop.next_day();
    shop.serve(&boot("out_of_stock"));
    shop.run();
    shop.next_day();
    shop.fail_feed();
    shop.env
        .run(&["check", "--no-input", "--format", "json"])
        .assert_code(1);
    shop.next_day();
    shop.serve(&boot("in_stock"));
    assert_eq!(new_notifications(&shop.run()), ["B1"], "out, then back");
}

#[test]
fn a_failed_fetch_in_a_series_records_nothing_and_fires_nothing() {
    let mut shop = Shop::new(BOOTS_ALERT);
    shop.serve(&[("B1", "Chelsea boot", "14.50", "in_stock")]);
    assert_eq!(new_notifications(&shop.run()), ["B1"]);
    let before = shop.observation_count();
    shop.next_day();
    shop.fail_feed();
    shop.env
        .run(&["check", "--no-input", "--format", "json"])
        .assert_code(1);
    assert_eq!(shop.observation_count(), before, "nothing recorded");
    shop.next_day();
    shop.serve(&[("B1", "Chelsea boot", "14.50", "in_stock")]);
    assert!(
        new_notifications(&shop.run()).is_empty(),
        "the failure did not re-arm the alert"
    );
}

#[test]
fn history_is_written_only_on_change_and_pruned_after_history_days() {
    let mut shop = Shop::new(BOOTS_ALERT);
    // history_days lives under [settings]: rewrite the file with it.
    shop.env.write_rules(&shop.server.expand(
        r#"
[settings]
currency = "GBP"
history_days = 3

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "Boots under £15"
match = { name = "chelsea boot", price = { below = 15 } }
notify = true
"#,
    ));
    shop.serve(&[("B1", "Chelsea boot", "16.00", "in_stock")]);
    shop.run();
    shop.next_day();
    shop.run();
    assert_eq!(
        shop.observation_count(),
        1,
        "an unchanged price is not written again"
    );
    for price in ["15.00", "14.00", "13.00", "12.00", "11.00"] {
        shop.next_day();
        shop.serve(&[("B1", "Chelsea boot", price, "in_stock")]);
        shop.run();
    }
    // Day 7: points from days 1..3 are older than 3 days and pruned, but the
    // latest point is always kept.
    let n = shop.observation_count();
    assert!(n <= 4, "retention prunes old points, {n} left");
    assert!(n >= 1);
}

#[test]
fn restock_up_to_n_proposes_the_difference() {
    let shop = Shop::new(
        r#"
[[rule]]
name = "Keep 3 pairs"
match = { name = "chelsea boot" }
add = { quantity = "up to 3" }
"#,
    );
    shop.serve(&[("B1", "Chelsea boot", "20.00", "in_stock")]);
    shop.env.run(&["add", "shop/B1"]).assert_ok();
    let report = shop.run();
    let p = &report["proposals"][0];
    assert_eq!(p["action"], "add");
    assert_eq!(p["product"]["id"], "B1");
    assert_eq!(p["quantity"], 2, "{report}");
    shop.env.run(&["check", "--yes"]).assert_ok();
    let list = shop.env.run(&["list", "--format", "json"]);
    assert_eq!(list.json()["items"][0]["quantity"], 3);
    let again = shop.run();
    assert!(
        again["proposals"].as_array().expect("list").is_empty(),
        "{again}"
    );
}

#[test]
fn open_prices_fill_history_so_lowest_in_days_works_from_day_one() {
    let env = TestEnv::new();
    let server = TestServer::start();
    // GR-1001's GTIN; Open Prices recorded 2.10, 1.85 and 2.20 GBP in the 30
    // days before 2026-10-04 (and 2.49 EUR, another currency, ignored).
    server.set(
        "/api/v1/prices",
        Reply::fixture("open-prices/own-prices-5012345001012.json"),
    );
    let shelf = |price: &str| {
        json!({"products": [{"id": "D1", "gtin": "5012345001012", "name": "Divine Dark Chocolate 70%",
                             "brand": "Divine", "price": price, "currency": "GBP", "availability": "in_stock"}]})
    };
    server.set(
        "/shop.json",
        Reply::json(serde_json::to_vec(&shelf("1.80")).expect("json")),
    );
    env.write_rules(&server.expand(
        r#"
[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[feeds.prices]
kind = "open-prices"
url = "$SERVER"

[[rule]]
name = "Chocolate at its 30-day low"
match = { brand = "Divine", lowest_in_days = 30 }
notify = true
"#,
    ));
    let mut env = env;
    env.set_now("2026-10-04T09:00:00Z");
    let out = env.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    assert_eq!(new_notifications(&out.json()), ["D1"], "{}", out.stdout);
    assert!(server.hits("/api/v1/prices") >= 1);
    let asked = server.last_url("/api/v1/prices").expect("asked");
    assert!(asked.contains("product_code=5012345001012"), "{asked}");

    // 1.90 is above the 1.85 recorded on 2026-09-25: not the lowest.
    let env2 = TestEnv::new();
    env2.write_rules(&env.read_rules());
    server.set(
        "/shop.json",
        Reply::json(serde_json::to_vec(&shelf("1.90")).expect("json")),
    );
    let mut env2 = env2;
    env2.set_now("2026-10-04T09:00:00Z");
    let out = env2.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    assert!(new_notifications(&out.json()).is_empty(), "{}", out.stdout);
}
