//! Bug 5 of issue 13: approved swaps came back. After the shopper approved
//! swapping G400 (palm oil) for a palm-oil-free spread, the next run proposed
//! adding G400 again, and the run after swapped it again. A product the
//! shopper approved to swap out or remove now waits out each add rule's
//! cooldown, like a declined proposal of it.

use serde_json::{json, Value};

use crate::support::{Reply, TestEnv, TestServer};

struct Shop {
    env: TestEnv,
    _server: TestServer,
}

impl Shop {
    /// The add rule `Keep G400` (cooldown 2 days) and `taking_out`, a rule that
    /// takes G400 out of the basket.
    fn new(taking_out: &str) -> Shop {
        let server = TestServer::start();
        let spread = |id: &str, name: &str, price: &str, palm: bool| {
            let facts = if palm {
                json!({"contains": ["palm-oil"]})
            } else {
                json!({"free_from": ["palm-oil"]})
            };
            let mut p = json!({"id": id, "name": name, "price": price, "currency": "GBP",
                               "availability": "in_stock", "categories": "Food > Spreads"});
            p.as_object_mut()
                .expect("an object")
                .extend(facts.as_object().expect("an object").clone());
            p
        };
        let catalog = json!({"products": [
            spread("G400", "Choco spread 400g", "2.00", true),
            spread("S2", "Hazel spread 350g", "2.40", false),
        ]});
        server.set(
            "/shop.json",
            Reply::json(serde_json::to_vec(&catalog).expect("json")),
        );
        let env = TestEnv::new();
        env.write_rules(&server.expand(&format!(
            r#"[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "Keep G400"
match = {{ id = "G400" }}
add = {{}}
cooldown = "2d"
{taking_out}"#
        )));
        Shop {
            env,
            _server: server,
        }
    }

    /// `check --yes` on that day of October 2026: (action, id) of each
    /// proposal, every one approved.
    fn approve_all_on(&mut self, day: u32) -> Vec<(String, String)> {
        self.env.set_now(&format!("2026-10-{day:02}T09:00:00Z"));
        let out = self.env.run(&["check", "--yes", "--format", "json"]);
        let report: Value = out.assert_ok().json();
        report["proposals"]
            .as_array()
            .expect("proposals")
            .iter()
            .map(|p| {
                let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
                (s(&p["action"]), s(&p["product"]["id"]))
            })
            .collect()
    }

    /// `basket add` by hand, as the issue's shopper did: no rule fired for it.
    fn add(&self, query: &str) {
        self.env.run(&["add", query]).assert_ok();
    }

    fn explain(&self) -> String {
        let out = self.env.run(&["check", "--dry-run", "--explain"]);
        out.assert_ok();
        out.stdout
    }
}

fn one(action: &str, id: &str) -> Vec<(String, String)> {
    vec![(action.to_string(), id.to_string())]
}

#[test]
fn approved_swaps_come_back() {
    let mut shop = Shop::new(
        r#"
[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"], keep = [] }
"#,
    );
    shop.add("shop/G400");
    assert_eq!(shop.approve_all_on(1), one("swap", "S2"));
    // The bug: "add G400" here, and the swap again the run after.
    assert_eq!(shop.approve_all_on(2), []);
    let explained = shop.explain();
    assert!(
        explained.contains("Keep G400: no, 1 match removed or swapped out recently (cooldown 2d)"),
        "{explained}"
    );
    // After the add rule's cooldown it may propose it again.
    assert_eq!(shop.approve_all_on(3), one("add", "G400"));
}

#[test]
fn approved_removals_come_back() {
    let mut shop = Shop::new(
        r#"
[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
remove = {}
"#,
    );
    shop.add("shop/G400");
    assert_eq!(shop.approve_all_on(1), one("remove", "G400"));
    assert_eq!(shop.approve_all_on(2), []);
    assert_eq!(shop.approve_all_on(3), one("add", "G400"));
}
