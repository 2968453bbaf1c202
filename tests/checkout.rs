//! `basket checkout`, `basket purchases`, `basket stats` and `when.every`
//! (issue 16), through the binary: the review in every format and with
//! `--shop`, the purchase record, re-arming after a checkout, the cadence
//! fixed and learnt with the clock moved by `BASKET_NOW`, the bad inputs and
//! the prompt on a pseudo-terminal.

use rexpect::process::WaitStatus;
use rexpect::session::{spawn_with_options, Options};
use serde_json::{json, Value};

use crate::support::{Reply, TestEnv, TestServer};

/// `(id, name, price, availability)` as a JSON catalog of one shop.
fn catalog(products: &[(&str, &str, &str, &str)]) -> Reply {
    let list: Vec<Value> = products
        .iter()
        .map(|(id, name, price, availability)| {
            json!({
                "id": id,
                "name": name,
                "brand": "Acme",
                "categories": if name.contains("Coffee") { "Food > Coffee" } else { "Food > Spreads" },
                "price": price,
                "regular_price": "5.00",
                "currency": "GBP",
                "availability": availability,
                "url": format!("https://shop.example/p/{id}"),
            })
        })
        .collect();
    Reply::json(serde_json::to_vec(&json!({ "products": list })).expect("catalog"))
}

const RULES: &str = r#"
[settings]
currency = "GBP"
budget = "20.00"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[feeds.corner]
kind = "json"
url = "$SERVER/corner.json"

[[rule]]
name = "Coffee"
match = { feed = "grocer", name = "coffee" }
add = { limit = 1, quantity = 2 }

[[rule]]
name = "Honey"
match = { feed = "grocer", name = "honey" }
add = { limit = 1 }

[[rule]]
name = "Peanut butter"
match = { feed = "corner", name = "peanut butter" }
add = { limit = 1 }
"#;

fn grocer(coffee: &str, honey_availability: &str) -> Reply {
    catalog(&[
        ("C-1", "Coffee Beans 1kg", coffee, "in_stock"),
        ("H-1", "Clover Honey 340g", "3.20", honey_availability),
    ])
}

/// A basket of three lines from two shops (added by `check --yes`), then a
/// later check where the coffee costs more, the honey sold out and the
/// corner shop no longer lists its peanut butter.
fn world() -> (TestEnv, TestServer) {
    let server = TestServer::start();
    server.set("/grocer.json", grocer("4.50", "in_stock"));
    server.set(
        "/corner.json",
        catalog(&[("P-1", "Peanut Butter 340g", "1.80", "in_stock")]),
    );
    let mut env = TestEnv::new();
    env.set_env("COLUMNS", "100");
    env.write_rules(&server.expand(RULES));
    env.run(&["check", "--yes"]).assert_ok();
    env.set_now("2026-10-04T09:00:00Z");
    server.set("/grocer.json", grocer("4.80", "out_of_stock"));
    server.set(
        "/corner.json",
        catalog(&[("P-2", "Almond Butter 170g", "3.95", "in_stock")]),
    );
    env.run(&["check", "--no-input"]).assert_ok();
    env.set_now("2026-10-05T09:00:00Z");
    (env, server)
}

fn basket_len(env: &TestEnv) -> usize {
    let list = env.run(&["list", "--format", "json"]).assert_ok().json();
    list["items"].as_array().expect("items").len()
}

fn purchases(env: &TestEnv) -> Vec<Value> {
    let out = env
        .run(&["purchases", "--format", "json"])
        .assert_ok()
        .json();
    out.as_array().expect("purchases").clone()
}

#[test]
fn checkout_without_a_terminal_prints_every_format_and_changes_nothing() {
    let (env, _server) = world();
    for format in ["table", "json", "csv", "markdown"] {
        let out = env.run(&["checkout", "--format", format]);
        out.assert_ok();
        insta::assert_snapshot!(format!("checkout_{format}"), env.normalize(&out.streams()));
    }
    assert_eq!(basket_len(&env), 3);
    assert!(purchases(&env).is_empty());
}

#[test]
fn checkout_yes_records_the_purchases_and_empties_the_basket() {
    let (env, _server) = world();
    let out = env.run(&["checkout", "--yes", "--format", "csv"]);
    out.assert_ok();
    assert!(
        out.stderr.contains("checked out 3 lines"),
        "{}",
        out.streams()
    );
    assert_eq!(basket_len(&env), 0);
    let bought = purchases(&env);
    let record: Vec<(String, String, u64, String, String)> = bought
        .iter()
        .map(|p| {
            (
                p["product"]["feed"].as_str().expect("feed").to_string(),
                p["product"]["name"].as_str().expect("name").to_string(),
                p["quantity"].as_u64().expect("quantity"),
                p["price"].as_str().expect("price").to_string(),
                p["added_by"].as_str().expect("rule").to_string(),
            )
        })
        .collect();
    // At the last check's prices; the unlisted line at its last known one.
    assert_eq!(
        record,
        vec![
            (
                "grocer".into(),
                "Coffee Beans 1kg".into(),
                2,
                "4.80".into(),
                "Coffee".into()
            ),
            (
                "grocer".into(),
                "Clover Honey 340g".into(),
                1,
                "3.20".into(),
                "Honey".into()
            ),
            (
                "corner".into(),
                "Peanut Butter 340g".into(),
                1,
                "1.80".into(),
                "Peanut butter".into()
            ),
        ]
    );
    assert!(bought
        .iter()
        .all(|p| p["bought_at"] == "2026-10-05T09:00:00Z"));
    let table = env.run(&["purchases"]);
    insta::assert_snapshot!("purchases_table", env.normalize(&table.streams()));
    // Empty now, and says so.
    let again = env.run(&["checkout"]);
    insta::assert_snapshot!("checkout_empty", env.normalize(&again.streams()));
}

#[test]
fn a_staple_comes_back_after_a_checkout() {
    let (env, server) = world();
    server.set("/grocer.json", grocer("4.80", "in_stock"));
    // Held in the basket, the coffee is not proposed again...
    let before = env
        .run(&["check", "--dry-run", "--format", "json"])
        .assert_ok()
        .json();
    assert!(!before.to_string().contains("C-1"), "{before}");
    env.run(&["checkout", "--yes"]).assert_ok();
    // ...bought, it is: the purchase re-armed its rule.
    let after = env
        .run(&["check", "--dry-run", "--format", "json"])
        .assert_ok()
        .json();
    let ids: Vec<&str> = after["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .map(|p| p["product"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, vec!["C-1", "H-1"], "{after}");
}

#[test]
fn checkout_shop_moves_only_that_shops_lines() {
    let (env, _server) = world();
    let out = env.run(&["checkout", "--shop", "corner", "--yes"]);
    out.assert_ok();
    insta::assert_snapshot!("checkout_shop", env.normalize(&out.streams()));
    assert_eq!(basket_len(&env), 2);
    let bought = purchases(&env);
    assert_eq!(bought.len(), 1);
    assert_eq!(bought[0]["product"]["id"], "P-1");
}

#[test]
fn checkout_of_a_shop_with_no_lines_names_the_shops() {
    let (env, _server) = world();
    let out = env.run(&["checkout", "--shop", "bakery"]);
    insta::assert_snapshot!("checkout_unknown_shop", env.normalize(&out.streams()));
    assert_eq!(basket_len(&env), 3);
}

#[test]
fn checkout_of_an_empty_basket_says_so() {
    let server = TestServer::start();
    let env = TestEnv::new();
    env.write_rules(&server.expand(RULES));
    let out = env.run(&["checkout", "--yes"]);
    out.assert_ok();
    assert_eq!(out.stdout, "The basket is empty: nothing to check out.\n");
    assert_eq!(out.stderr, "");
}

#[test]
fn a_second_checkout_while_one_runs_is_refused() {
    let (env, _server) = world();
    let held = basket::api::lock::acquire(&env.data_dir(), false).expect("take the lock");
    let out = env.run(&["checkout", "--yes"]);
    out.assert_code(1);
    assert!(
        out.stderr
            .starts_with("error: another basket run is using the basket (pid "),
        "{}",
        out.streams()
    );
    assert!(out.stderr.contains("hint: try again when it has finished"));
    drop(held);
    assert_eq!(basket_len(&env), 3);
    assert!(purchases(&env).is_empty());
}

const EVERY: &str = r#"
[settings]
currency = "GBP"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Coffee"
match = { name = "coffee" }
when.every = "EVERY"
add = { limit = 1 }
"#;

fn cadence(every: &str) -> (TestEnv, TestServer) {
    let server = TestServer::start();
    server.set("/grocer.json", grocer("4.50", "in_stock"));
    let env = TestEnv::new();
    env.write_rules(&server.expand(&EVERY.replace("EVERY", every)));
    (env, server)
}

/// 09:00 on the `day`th day counted from 1 October 2026 (32 is 1 November).
fn day_time(day: i64) -> String {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).expect("date")
        + chrono::Duration::days(day - 1);
    format!("{date}T09:00:00Z")
}

/// Buys the coffee on `day`: approve its proposal, check out.
fn buy_on(env: &mut TestEnv, day: i64) {
    env.set_now(&day_time(day));
    let check = env.run(&["check", "--yes", "--format", "json"]);
    check.assert_ok();
    assert!(
        check.stdout.contains("C-1"),
        "day {day}: {}",
        check.streams()
    );
    env.run(&["checkout", "--yes"]).assert_ok();
}

/// The `--explain` line of the rule on `day`, and whether it proposed.
fn explain_on(env: &mut TestEnv, day: i64) -> (String, bool) {
    env.set_now(&day_time(day));
    let out = env.run(&["check", "--dry-run", "--format", "json", "--explain"]);
    let v = out.assert_ok().json();
    let detail = v["rules"][0]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let proposed = !v["proposals"].as_array().expect("proposals").is_empty();
    (detail, proposed)
}

#[test]
fn every_fixed_waits_for_its_interval_after_a_purchase() {
    let (mut env, _server) = cadence("14d");
    buy_on(&mut env, 1);
    let (detail, proposed) = explain_on(&mut env, 6);
    assert!(!proposed);
    assert_eq!(detail, "every 14d; last 5 days ago, due in 9 days");
    let (detail, proposed) = explain_on(&mut env, 15);
    assert!(proposed, "{detail}");
}

#[test]
fn every_auto_learns_the_rhythm_from_three_purchases() {
    let (mut env, _server) = cadence("auto");
    buy_on(&mut env, 1);
    // Two purchases teach nothing yet: due, as a plain staple.
    buy_on(&mut env, 11);
    buy_on(&mut env, 23);
    // Gaps of 10 and 12 days: every 11 days.
    let (detail, proposed) = explain_on(&mut env, 31);
    assert!(!proposed);
    assert_eq!(
        detail,
        "bought every 11 days; last 8 days ago, due in 3 days"
    );
    let (_, proposed) = explain_on(&mut env, 34);
    assert!(proposed);
    let stats = env.run(&["stats", "--format", "json"]).assert_ok().json();
    assert_eq!(stats["products"][0]["every_days"], 11);
    assert_eq!(stats["products"][0]["purchases"], 3);
}

#[test]
fn every_that_is_no_interval_is_a_rules_error_with_its_place() {
    for bad in ["0d", "-3d", "soon"] {
        let (env, _server) = cadence(bad);
        let out = env.run(&["rules", "check"]);
        insta::assert_snapshot!(
            format!("every_{}", bad.replace('-', "minus")),
            env.normalize(&out.streams())
        );
    }
}

#[test]
fn checkout_confirmed_on_a_terminal_and_ctrl_c_changes_nothing() {
    let (env, _server) = world();
    let options = || {
        Options::new()
            .timeout_ms(Some(10_000))
            .strip_ansi_escape_codes(true)
    };
    // Ctrl-C at the question: nothing moves.
    let mut p =
        spawn_with_options(env.pty_cmd(&["checkout"]), options()).expect("start basket on a pty");
    p.exp_string("Bought?").expect("the question");
    p.send_control('c').expect("Ctrl-C");
    p.exp_eof().expect("basket ends");
    let status = p.process.wait().expect("reap");
    assert!(
        matches!(status, WaitStatus::Exited(_, 130 | 0)),
        "{status:?}"
    );
    assert_eq!(basket_len(&env), 3);
    assert!(purchases(&env).is_empty());
    // "y": checked out.
    let mut p = spawn_with_options(env.pty_cmd(&["checkout"]), options()).expect("start basket");
    p.exp_string("Bought?").expect("the question");
    p.send("y").expect("answer");
    p.flush().expect("flush");
    p.exp_string("checked out 3 lines").expect("the checkout");
    p.exp_eof().expect("basket ends");
    assert_eq!(basket_len(&env), 0);
    assert_eq!(purchases(&env).len(), 3);
}

#[test]
fn every_on_a_rule_that_does_not_add_is_a_rules_error() {
    let (env, _server) = cadence("14d");
    env.write_rules(
        &env.read_rules()
            .replace("add = { limit = 1 }", "notify = {}"),
    );
    let out = env.run(&["rules", "check"]);
    insta::assert_snapshot!("every_not_add", env.normalize(&out.streams()));
}
