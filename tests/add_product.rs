//! Bug 3 of issue 13: `add.product` lost the history keys. A rule's `match`
//! and its `add.product` were merged field by field, and `lowest_in_days`,
//! `back_in_stock`, `new` and `price_drop_pct` of the product were dropped, so
//! the rule proposed on the very first run, with no history at all. Each test
//! runs the binary twice, a day apart: nothing on the first run, the proposal
//! once the history says so. `rules list` shows the keys too.

use serde_json::{json, Value};

use crate::support::{Reply, TestEnv, TestServer};

/// A tea shop whose catalog the test rewrites between runs.
struct Shop {
    env: TestEnv,
    server: TestServer,
}

impl Shop {
    fn new(product: &str) -> Shop {
        let shop = Shop {
            env: TestEnv::new(),
            server: TestServer::start(),
        };
        shop.env.write_rules(&shop.server.expand(&format!(
            r#"[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "Tea"
match = {{ name = "tea" }}
add = {{ product = {product} }}
"#
        )));
        shop
    }

    /// Serves these products: (id, name, price, availability).
    fn serve(&self, products: &[(&str, &str, &str, &str)]) {
        let list: Vec<Value> = products
            .iter()
            .map(|(id, name, price, availability)| {
                json!({"id": id, "name": name, "price": price, "currency": "GBP",
                       "availability": availability})
            })
            .collect();
        let body = serde_json::to_vec(&json!({ "products": list })).expect("json");
        self.server.set("/shop.json", Reply::json(body));
    }

    /// A cron run on that day of October 2026: the ids it newly proposes.
    fn run_on(&mut self, day: u32) -> Vec<String> {
        self.env.set_now(&format!("2026-10-{day:02}T09:00:00Z"));
        let out = self.env.run(&["check", "--no-input", "--format", "json"]);
        out.assert_ok().json()["proposals"]
            .as_array()
            .expect("proposals")
            .iter()
            .filter(|p| p["status"] == "new")
            .map(|p| p["product"]["id"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

const TEA: &str = "Green tea";

#[test]
fn add_product_lowest_in_days_is_not_lost() {
    let mut shop = Shop::new("{ lowest_in_days = 30 }");
    shop.serve(&[("T1", TEA, "3.00", "in_stock")]);
    assert!(shop.run_on(1).is_empty(), "no history: not the lowest yet");
    shop.serve(&[("T1", TEA, "2.50", "in_stock")]);
    assert_eq!(shop.run_on(3), ["T1"]);
}

#[test]
fn add_product_back_in_stock_is_not_lost() {
    let mut shop = Shop::new("{ back_in_stock = true }");
    shop.serve(&[("T1", TEA, "3.00", "out_of_stock")]);
    assert!(shop.run_on(1).is_empty(), "no history: not back");
    shop.serve(&[("T1", TEA, "3.00", "in_stock")]);
    assert_eq!(shop.run_on(2), ["T1"]);
}

#[test]
fn add_product_new_is_not_lost() {
    let mut shop = Shop::new("{ new = true }");
    shop.serve(&[("T1", TEA, "3.00", "in_stock")]);
    assert!(shop.run_on(1).is_empty(), "the feed's first run: unknown");
    shop.serve(&[
        ("T1", TEA, "3.00", "in_stock"),
        ("T2", "Black tea", "2.80", "in_stock"),
    ]);
    assert_eq!(shop.run_on(2), ["T2"]);
}

#[test]
fn add_product_price_drop_pct_is_not_lost() {
    let mut shop = Shop::new("{ price_drop_pct = { at_least = 20, days = 14 } }");
    shop.serve(&[("T1", TEA, "3.00", "in_stock")]);
    assert!(shop.run_on(1).is_empty(), "no history: no drop");
    shop.serve(&[("T1", TEA, "2.70", "in_stock")]);
    assert!(shop.run_on(2).is_empty(), "10 % is not 20 %");
    shop.serve(&[("T1", TEA, "2.00", "in_stock")]);
    assert_eq!(shop.run_on(3), ["T1"]);
}

#[test]
fn rules_list_shows_every_key_of_add_product() {
    let server = TestServer::start();
    let env = TestEnv::new();
    env.write_rules(&server.expand(
        r#"[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "Tea at a low"
match = { name = "tea", price = { below = 4 } }
add = { product = { lowest_in_days = 30, price_drop_pct = { at_least = 20, days = 14 } } }

[[rule]]
name = "New or back"
match = { in = "basket", name = "kettle" }
add = { product = { name = "tea", new = true, back_in_stock = true, labels = ["organic"] } }
"#,
    ));
    let out = env.run(&["rules", "list"]);
    insta::assert_snapshot!(env.normalize(&out.streams()));
}
