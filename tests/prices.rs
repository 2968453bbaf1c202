//! `basket prices` (table with its chart, JSON, CSV, pinned by insta snapshots)
//! and `basket history --rule/--product`.
//!
//! History is seeded through the library's store, a day apart, as a week of
//! `basket check` runs against a shop whose price dips would record it: this
//! module tests what `prices` shows, not how `check` records.

use std::str::FromStr;

use basket::api::model::{ActionKind, Availability, Product, Proposal, ProposalStatus};
use basket::api::store::Store;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::support::TestEnv;

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("time")
        .with_timezone(&Utc)
}

fn boot(id: &str, name: &str, price: &str, availability: Availability) -> Product {
    Product {
        feed: "boots".into(),
        id: id.into(),
        gtin: Some(match id {
            "BOOT-42" => "5060056788029".into(),
            _ => "5060056788036".into(),
        }),
        name: name.into(),
        brand: Some("Acme".into()),
        price: Some(Decimal::from_str(price).expect("price")),
        regular_price: Some(Decimal::from_str("22.00").expect("price")),
        currency: Some("GBP".into()),
        availability: Some(availability),
        ..Product::default()
    }
}

/// Eight daily runs of the boots feed: the Chelsea boot dips from 16.00 to
/// 12.00, sells out for a day, and comes back at 14.50; the Wellington boot
/// stays at 18.00. Then the clock is the day after the last run.
fn seeded() -> TestEnv {
    use Availability::{InStock, OutOfStock};
    let mut env = TestEnv::new();
    let mut store = Store::open(&env.data_dir()).expect("open the store");
    let days = [
        ("16.00", InStock),
        ("16.00", InStock),
        ("14.50", InStock),
        ("12.00", InStock),
        ("12.00", OutOfStock),
        ("14.50", InStock),
        ("14.50", InStock),
        ("14.50", InStock),
    ];
    for (i, (price, availability)) in days.into_iter().enumerate() {
        let now = at(&format!("2026-10-{:02}T09:00:00Z", i + 1));
        let chelsea = boot("BOOT-42", "Chelsea boot", price, availability);
        let wellington = boot("BOOT-43", "Wellington boot", "18.00", InStock);
        store
            .record_observations(&[&chelsea, &wellington], &["boots"], now)
            .expect("record a run");
    }
    drop(store);
    env.set_now("2026-10-09T09:00:00Z");
    // A fixed width, so the chart is the same on every machine.
    env.set_env("COLUMNS", "72");
    env
}

#[test]
fn prices_table_shows_the_history_and_a_chart_of_the_dip() {
    let env = seeded();
    let out = env.run(&["prices", "chelsea"]);
    out.assert_ok();
    assert_eq!(out.stderr, "");
    insta::assert_snapshot!("prices_table", out.stdout);
}

#[test]
fn prices_json_has_the_product_observations_and_extremes() {
    let env = seeded();
    let out = env.run(&["prices", "boots/BOOT-42", "--format", "json"]);
    out.assert_ok();
    let json = out.json();
    assert_eq!(json["min"], "12.00");
    assert_eq!(json["max"], "16.00");
    assert_eq!(json["current"], "14.50");
    assert_eq!(json["observations"].as_array().map(Vec::len), Some(5));
    insta::assert_snapshot!("prices_json", out.stdout);
}

#[test]
fn prices_csv_is_a_header_and_one_row_per_change() {
    let env = seeded();
    // By barcode, in any length.
    let out = env.run(&["prices", "05060056788029", "--format", "csv"]);
    out.assert_ok();
    insta::assert_snapshot!("prices_csv", out.stdout);
}

#[test]
fn prices_limit_keeps_the_newest_observations() {
    let env = seeded();
    let out = env.run(&["prices", "BOOT-42", "--format", "csv", "--limit", "2"]);
    out.assert_ok();
    let rows: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        rows,
        [
            "at,price,regular_price,currency,availability",
            "2026-10-05T09:00:00Z,12.00,22.00,GBP,out_of_stock",
            "2026-10-06T09:00:00Z,14.50,22.00,GBP,in_stock",
        ]
    );
}

#[test]
fn prices_of_a_flat_history_is_one_line() {
    let env = seeded();
    let out = env.run(&["prices", "wellington"]);
    out.assert_ok();
    insta::assert_snapshot!("prices_table_flat", out.stdout);
}

#[test]
fn several_matches_list_the_candidates_and_exit_2_without_a_prompt() {
    let env = seeded();
    let out = env.run(&["prices", "boot"]);
    out.assert_code(2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: \"boot\" matches 2 products with price history:\n  \
         boots/BOOT-42  Chelsea boot\n  \
         boots/BOOT-43  Wellington boot\n\
         hint: name one of them as feed/id: `basket prices FEED/ID`\n"
    );
}

#[test]
fn no_match_exits_1_and_says_what_history_is_kept_for() {
    let env = seeded();
    let out = env.run(&["prices", "sun cream"]);
    out.assert_code(1);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .starts_with("error: no price history for \"sun cream\"\nhint: history is kept for"),
        "{}",
        out.stderr
    );
}

/// Three decisions by two rules on two products, a minute apart.
fn decided() -> TestEnv {
    let env = TestEnv::new();
    let mut store = Store::open(&env.data_dir()).expect("open the store");
    let decisions = [
        ("Boots under £15", "BOOT-42", "Chelsea boot", true),
        ("Wellies for winter", "BOOT-43", "Wellington boot", false),
        ("Boots under £15", "BOOT-42", "Chelsea boot", false),
    ];
    for (i, (rule, id, name, approved)) in decisions.into_iter().enumerate() {
        let product = boot(id, name, "14.50", Availability::InStock);
        let proposal = Proposal {
            id: Proposal::stable_id(rule, ActionKind::Add, &product.key(), None),
            rule: rule.into(),
            action: ActionKind::Add,
            product,
            quantity: 1,
            replaces: None,
            reason: "test".into(),
            status: ProposalStatus::New,
            over_budget: false,
        };
        let now = at(&format!("2026-10-03T09:0{i}:00Z"));
        store
            .apply_decision(&proposal, approved, now)
            .expect("decide");
    }
    env
}

/// The product column of `history --format csv`, newest first.
fn decided_products(env: &TestEnv, filters: &[&str]) -> Vec<String> {
    let mut args = vec!["history", "--format", "csv"];
    args.extend_from_slice(filters);
    let out = env.run(&args);
    out.assert_ok();
    out.stdout
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            format!("{} {} {}", cols[1], cols[3], cols[5])
        })
        .collect()
}

#[test]
fn history_filters_by_rule_and_by_product() {
    let env = decided();
    assert_eq!(decided_products(&env, &[]).len(), 3);
    assert_eq!(
        decided_products(&env, &["--rule", "boots UNDER £15"]),
        [
            "declined Boots under £15 BOOT-42",
            "approved Boots under £15 BOOT-42"
        ]
    );
    assert_eq!(
        decided_products(&env, &["--product", "wellington"]),
        ["declined Wellies for winter BOOT-43"]
    );
    assert_eq!(
        decided_products(&env, &["--product", "boots/BOOT-42", "--limit", "1"]),
        ["declined Boots under £15 BOOT-42"]
    );
    assert_eq!(
        decided_products(
            &env,
            &["--rule", "Wellies for winter", "--product", "chelsea"]
        ),
        Vec::<String>::new()
    );
    let out = env.run(&["history", "--rule", "nothing like it"]);
    out.assert_ok();
    assert_eq!(out.stdout, "No decisions match.\n");
}
