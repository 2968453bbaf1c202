//! `basket stats` in every `--by` and format, with exact sums. The purchases,
//! decisions and price history are seeded through the library's store, so
//! the figures are known by hand: this module tests what `stats` makes of
//! them, not how `checkout` records (tests/checkout.rs does).

use std::str::FromStr;

use basket::api::model::{ActionKind, Availability, Origin, Product, Proposal, ProposalStatus};
use basket::api::store::{CheckoutLine, Store};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::support::TestEnv;

fn at(day: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{day}T09:00:00Z"))
        .expect("time")
        .with_timezone(&Utc)
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("amount")
}

fn product(feed: &str, id: &str, name: &str, category: &str, price: &str) -> Product {
    Product {
        feed: feed.into(),
        id: id.into(),
        name: name.into(),
        categories: vec!["Food".into(), category.into()],
        price: Some(d(price)),
        regular_price: Some(d("5.00")),
        currency: Some("GBP".into()),
        availability: Some(Availability::InStock),
        ..Product::default()
    }
}

fn proposal(rule: &str, p: &Product, quantity: u32) -> Proposal {
    Proposal {
        id: Proposal::stable_id(rule, ActionKind::Add, &p.key(), None),
        rule: rule.into(),
        action: ActionKind::Add,
        product: p.clone(),
        quantity,
        replaces: None,
        reason: "test".into(),
        status: ProposalStatus::New,
        over_budget: false,
    }
}

/// Checks out the whole basket on `day`, each line at its product's price.
fn checkout(store: &mut Store, day: &str) {
    let lines: Vec<CheckoutLine> = store
        .basket()
        .expect("basket")
        .iter()
        .map(|i| CheckoutLine {
            key: i.product.key(),
            price: i.product.price,
            currency: i.product.currency.clone(),
            regular_price: i.product.regular_price,
        })
        .collect();
    store.checkout(&lines, &[], at(day)).expect("checkout");
}

/// Coffee (grocer, rule "Coffee"): 2 at 4.00 on 25 Sep, 1 at 4.50 on 5 and
/// on 15 Oct; regular 5.00, and 6.00 at its highest (from 10 to 20 Sep).
/// Honey (corner, by hand): 1 at 3.00 on 2 Oct. The rule "Tea" had one
/// proposal declined on 28 Sep and has one pending.
fn seeded() -> TestEnv {
    let mut env = TestEnv::new();
    env.set_env("COLUMNS", "100");
    let mut store = Store::open(&env.data_dir()).expect("open the store");
    let coffee = |price| product("grocer", "C-1", "Coffee Beans 1kg", "Coffee", price);
    for (day, price) in [
        ("2026-09-01", "5.00"),
        ("2026-09-10", "6.00"),
        ("2026-09-20", "4.00"),
        ("2026-10-04", "4.50"),
    ] {
        store
            .record_observations(&[&coffee(price)], &["grocer"], at(day))
            .expect("observe");
    }
    for (day, price, quantity) in [
        ("2026-09-25", "4.00", 2),
        ("2026-10-05", "4.50", 1),
        ("2026-10-15", "4.50", 1),
    ] {
        store
            .apply_decision(&proposal("Coffee", &coffee(price), quantity), true, at(day))
            .expect("approve");
        checkout(&mut store, day);
    }
    let tea = product("grocer", "T-1", "Tea 80 bags", "Tea", "2.00");
    store
        .apply_decision(&proposal("Tea", &tea, 1), false, at("2026-09-28"))
        .expect("decline");
    let green = product("grocer", "T-2", "Green Tea 40 bags", "Tea", "2.50");
    store
        .save_pending(&[proposal("Tea", &green, 1)], at("2026-10-01"))
        .expect("pending");
    let honey = product("corner", "H-1", "Clover Honey 340g", "Spreads", "3.00");
    store
        .add_item(&honey, 1, &Origin::Manual, at("2026-10-02"))
        .expect("add honey");
    checkout(&mut store, "2026-10-02");
    drop(store);
    env
}

#[test]
fn stats_in_every_breakdown_and_format() {
    let env = seeded();
    for by in ["month", "shop", "category", "rule"] {
        for format in ["table", "json", "csv"] {
            let out = env.run(&["stats", "--by", by, "--format", format]);
            out.assert_ok();
            insta::assert_snapshot!(format!("stats_{by}_{format}"), out.streams());
        }
    }
}

#[test]
fn stats_sums_are_exact() {
    let env = seeded();
    let v = env
        .run(&["stats", "--by", "shop", "--format", "json"])
        .assert_ok()
        .json();
    assert_eq!(
        v["spend"],
        serde_json::json!([
            { "key": "grocer", "currency": "GBP", "amount": "17.00" },
            { "key": "corner", "currency": "GBP", "amount": "3.00" },
        ])
    );
    // (5.00 - 4.00) × 2 + 0.50 + 0.50; by hand: nothing.
    assert_eq!(v["saved"], serde_json::json!({ "GBP": "3.00" }));
    // (6.00 - 4.00) × 2 + 1.50 + 1.50.
    assert_eq!(
        v["saved_vs_30_day_high"],
        serde_json::json!({ "GBP": "7.00" })
    );
    assert_eq!(v["products"][0]["every_days"], 10);
    assert_eq!(v["products"][0]["average_price"], "4.25");
}

#[test]
fn stats_since_counts_only_what_came_after() {
    let env = seeded();
    let out = env.run(&["stats", "--since", "2026-10-01", "--format", "json"]);
    insta::assert_snapshot!("stats_since_json", out.streams());
    let purchases = env.run(&["purchases", "--since", "2026-10-03", "--format", "csv"]);
    insta::assert_snapshot!("purchases_since_csv", purchases.streams());
}

#[test]
fn stats_with_nothing_bought_says_so() {
    let env = TestEnv::new();
    let out = env.run(&["stats"]);
    insta::assert_snapshot!("stats_empty", out.streams());
}
