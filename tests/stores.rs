//! My store, end to end (issue 15): a `merchant-local` feed joined to its
//! catalog, `at_store` and `pickup`, the store's price in a rule's price
//! condition, and the bad inputs (a row for an unknown id, a store code no
//! local feed lists, a local feed with no `of`).

use crate::support::{Reply, TestEnv, TestServer};

const BOOTS: &str = r#"[
  {"id": "CB-1", "name": "Chelsea Boot Tan", "price": "80.00", "currency": "GBP", "availability": "out_of_stock"},
  {"id": "CB-2", "name": "Chelsea Boot Black", "price": "85.00", "currency": "GBP", "availability": "in_stock"},
  {"id": "RB-1", "name": "Rain Boot", "price": "30.00", "currency": "GBP", "availability": "in_stock"}
]"#;

/// A local inventory feed of store 1234: one row per (id, availability, price, pickup).
fn local(rows: &[(&str, &str, &str, Option<&str>)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:g=\"http://base.google.com/ns/1.0\"><channel>\n",
    );
    for (id, availability, price, pickup) in rows {
        out.push_str(&format!(
            "<item><g:id>{id}</g:id><g:store_code>1234</g:store_code>\
             <g:availability>{availability}</g:availability><g:price>{price} GBP</g:price>"
        ));
        if let Some(method) = pickup {
            out.push_str(&format!(
                "<g:pickup_method>{method}</g:pickup_method><g:pickup_sla>same_day</g:pickup_sla>"
            ));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel></rss>\n");
    out
}

const RULES_HEAD: &str = r#"
[settings]
currency = "GBP"
stores = ["1234"]

[feeds.grocer]
kind = "json"
url = "$SERVER/boots.json"

[feeds.grocer-local]
kind = "merchant-local"
url = "$SERVER/local.xml"
of = "grocer"
"#;

fn world(local_feed: &str, rules: &str) -> (TestEnv, TestServer) {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set("/boots.json", Reply::json(BOOTS));
    server.set("/local.xml", Reply::xml(local_feed));
    env.write_rules(&server.expand(&format!("{RULES_HEAD}{rules}")));
    (env, server)
}

fn notified(out: &crate::support::Output) -> Vec<String> {
    out.assert_ok();
    out.json()["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .flat_map(|n| n["products"].as_array().cloned().unwrap_or_default())
        .map(|p| {
            format!(
                "{}: {}",
                p["id"].as_str().unwrap_or_default(),
                p["at_store"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

const WATCH_BOOTS: &str = r#"
[[rule]]
name = "Boots at my store"
match = { name = "chelsea boot", at_store = true }
notify = true
"#;

#[test]
fn notify_me_when_the_boots_i_watch_are_in_stock_at_my_store() {
    let (env, server) = world(
        &local(&[("CB-1", "out_of_stock", "80.00", None)]),
        WATCH_BOOTS,
    );
    let out = env.run(&["check", "--yes"]);
    insta::assert_snapshot!("out_of_stock_at_the_store", env.normalize(&out.streams()));
    assert!(!out.stdout.contains("notify"), "{}", out.stdout);

    // Back in the store, at a store price: notified, and the reason names it.
    server.set(
        "/local.xml",
        Reply::xml(local(&[("CB-1", "in_stock", "72.50", Some("buy"))])),
    );
    let out = env.run(&["check", "--yes"]);
    insta::assert_snapshot!("in_stock_at_the_store", env.normalize(&out.streams()));
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    assert_eq!(
        notified(&out),
        ["CB-1: in stock at store 1234, 72.50 GBP there, pickup same_day"]
    );
}

#[test]
fn pickup_true_asks_for_click_and_collect_at_the_store() {
    let (env, _server) = world(
        &local(&[
            ("CB-1", "in_stock", "80.00", Some("not_supported")),
            ("CB-2", "limited_availability", "85.00", Some("reserve")),
        ]),
        r#"
[[rule]]
name = "Collect boots"
match = { name = "chelsea boot", pickup = true }
notify = true
"#,
    );
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    assert_eq!(
        notified(&out),
        ["CB-2: in stock at store 1234, 85.00 GBP there, pickup same_day"]
    );
}

#[test]
fn the_store_price_is_the_one_a_price_condition_reads() {
    let rules = |at_store: &str| {
        format!(
            r#"
[[rule]]
name = "Cheap boots"
match = {{ name = "chelsea boot tan", price = {{ below = "75.00" }}{at_store} }}
notify = true
"#
        )
    };
    let feed = local(&[("CB-1", "in_stock", "70.00", None)]);
    // Online: 80.00 and out of stock; at the store: 70.00.
    let (env, _server) = world(&feed, &rules(", at_store = \"1234\""));
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    assert_eq!(
        notified(&out),
        ["CB-1: in stock at store 1234, 70.00 GBP there"]
    );

    let (env, _server) = world(&feed, &rules(""));
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    assert_eq!(notified(&out), Vec::<String>::new());
}

#[test]
fn a_local_row_for_an_unknown_id_and_an_unknown_store_code_are_warnings() {
    let (env, _server) = world(
        &local(&[
            ("CB-2", "in_stock", "85.00", None),
            ("GONE-1", "in_stock", "10.00", None),
            ("GONE-2", "in_stock", "10.00", None),
        ]),
        r#"
[[rule]]
name = "Boots at the other store"
match = { name = "chelsea boot", at_store = "9999" }
notify = true

[[rule]]
name = "Boots at my store"
match = { name = "chelsea boot", at_store = true }
notify = true
"#,
    );
    let out = env.run(&["check", "--dry-run"]);
    insta::assert_snapshot!(env.normalize(&out.streams()));
    out.assert_ok();
}

#[test]
fn a_local_feed_with_no_of_is_a_rules_error_with_its_line() {
    let env = TestEnv::new();
    env.write_rules(
        r#"[feeds.grocer]
kind = "json"
url = "http://127.0.0.1:9/boots.json"

[feeds.grocer-local]
kind = "merchant-local"
url = "http://127.0.0.1:9/local.xml"

[feeds.other-local]
kind = "merchant-local"
url = "http://127.0.0.1:9/local.xml"
of = "grocr"
"#,
    );
    let out = env.run(&["check", "--dry-run"]);
    insta::assert_snapshot!(env.normalize(&out.streams()));
}

#[test]
fn the_pushed_notification_and_an_add_proposal_name_the_store() {
    let (env, server) = world(
        &local(&[("CB-1", "in_stock", "72.50", None)]),
        r#"
[notify.webhook]
url = "$SERVER/topic"
format = "ntfy"

[[rule]]
name = "Boots at my store"
match = { name = "chelsea boot tan", at_store = true }
notify = true

[[rule]]
name = "Buy boots at my store"
match = { name = "chelsea boot tan", at_store = "1234" }
add = {}
"#,
    );
    server.set("/topic", Reply::status(200, "{\"id\":\"x\"}"));
    let out = env.run(&["check", "--no-input", "--format", "summary", "--notify"]);
    out.assert_ok();
    let body = String::from_utf8(server.last_body("/topic")).expect("text");
    assert!(
        body.contains("Chelsea Boot Tan (80.00 GBP, in stock at store 1234, 72.50 GBP there)"),
        "{body}"
    );
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    out.assert_ok();
    let reason = out.json()["proposals"][0]["reason"].clone();
    assert_eq!(
        reason.as_str(),
        Some("'Chelsea Boot Tan' matches \"chelsea boot tan\", at 80.00 GBP; in stock at store 1234, 72.50 GBP there"),
        "{reason}"
    );
}

#[test]
fn at_store_true_without_my_stores_and_pickup_false_are_rules_errors() {
    let env = TestEnv::new();
    env.write_rules(
        r#"[feeds.grocer]
kind = "json"
url = "http://127.0.0.1:9/boots.json"
of = "grocer"

[[rule]]
name = "Boots"
match = { name = "boot", at_store = true, pickup = false }
notify = true
"#,
    );
    let out = env.run(&["check", "--dry-run"]);
    insta::assert_snapshot!(env.normalize(&out.streams()));
}

/// `feeds show grocer` shows what its local inventory says, store by store:
/// a column in the table, `stores` in the JSON.
#[test]
fn feeds_show_gives_the_per_store_stock_price_and_pickup() {
    let (env, server) = world(
        &local(&[
            ("CB-1", "in_stock", "72.50", Some("buy")),
            ("CB-2", "out_of_stock", "85.00", None),
        ]),
        "",
    );
    let table = env.run(&["feeds", "show", "grocer"]);
    table.assert_ok();
    insta::assert_snapshot!(env
        .normalize(&table.streams())
        .replace(&server.base_url(), "$SERVER"));
    let json = env.run(&["feeds", "show", "grocer", "--format", "json"]);
    json.assert_ok();
    let products = json.json()["products"].clone();
    let tan = &products[0];
    assert_eq!(tan["id"], "CB-1");
    assert_eq!(tan["stores"][0]["store"], "1234", "{tan}");
    assert_eq!(tan["stores"][0]["availability"], "in_stock");
    assert_eq!(tan["stores"][0]["price"], "72.50");
    assert_eq!(tan["stores"][0]["pickup"]["method"], "buy");
    assert_eq!(tan["stores"][0]["pickup"]["sla"], "same_day");
    assert_eq!(products[1]["stores"][0]["availability"], "out_of_stock");
    // The rain boot is in no store's list: no `stores` key at all.
    assert!(products[2].get("stores").is_none(), "{}", products[2]);
}
