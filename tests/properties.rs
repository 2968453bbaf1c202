//! The engine's invariants under generated catalogs and baskets (proptest):
//! the same inputs give the same proposals in the same order; no add proposes
//! what the basket holds; a swap's alternative is known to be free of what the
//! rule avoids; and `check --yes` never approves past the budget (through the
//! binary, with a generated JSON catalog).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use basket::api::engine::{self, Memory, Weather};
use basket::api::model::{ActionKind, Availability, BasketItem, FailedInputs, Product};
use basket::api::rules::{parse_str, RuleSet};
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::support::*;

const RULES: &str = r#"
[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "shop.json"

[feeds.other]
kind = "json"
url = "other.json"

[[rule]]
name = "Snacks"
match = { category = "snacks", price = { below = 20 } }
add = { limit = 3 }

[[rule]]
name = "Cheap"
match = { feed = "shop", price = { below = 10 } }
add = { limit = 5, quantity = 2 }

[[rule]]
name = "Tea"
match = { name = "tea" }
add = { limit = 2, prefer = "first" }

[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"], without_allergens = ["nuts"], keep = ["category"] }

[[rule]]
name = "Any alternative to drinks"
match = { in = "basket", category = "drinks" }
swap = { without = ["palm-oil"], prefer = "closest_price" }

[[rule]]
name = "Drop dear drinks"
match = { in = "basket", category = "drinks", price = { above = 40 } }
remove = {}
"#;

fn ruleset() -> RuleSet {
    parse_str(Path::new("rules.toml"), RULES).unwrap_or_else(|e| panic!("{e}"))
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-10-03T09:00:00Z")
        .expect("a valid time")
        .with_timezone(&Utc)
}

const CATEGORIES: &[&str] = &["snacks", "drinks", "tea", "household"];
const TRAITS: &[&str] = &["palm-oil", "vegan"];
const ALLERGENS: &[&str] = &["nuts", "milk"];

/// A subset of `from`, from a bit mask.
fn subset(from: &[&str], mask: u8) -> BTreeSet<String> {
    from.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, s)| s.to_string())
        .collect()
}

prop_compose! {
    fn arb_product()(
        feed in prop::sample::select(vec!["shop", "other"]),
        id in 0u8..24,
        gtin in prop::option::weighted(0.3, 0u8..12),
        tea in any::<bool>(),
        cents in prop::option::weighted(0.95, 0u32..6000),
        currency in prop::sample::select(vec!["GBP", "GBP", "GBP", "EUR"]),
        category in 0usize..CATEGORIES.len(),
        contains in 0u8..4,
        free_from in 0u8..4,
        allergens in prop::option::of(0u8..4),
        traces in prop::option::of(0u8..4),
        available in prop::sample::select(vec![Some(true), Some(true), Some(false), None]),
    ) -> Product {
        Product {
            feed: feed.into(),
            id: format!("P{id}"),
            gtin: gtin.map(|g| format!("40000000000{g:02}")),
            name: if tea { format!("Product {id} tea") } else { format!("Product {id}") },
            categories: vec!["Food".into(), CATEGORIES[category].into()],
            price: cents.map(|c| Decimal::new(i64::from(c), 2)),
            currency: Some(currency.into()),
            availability: available.map(|a| if a { Availability::InStock } else { Availability::OutOfStock }),
            contains: subset(TRAITS, contains),
            free_from: subset(TRAITS, free_from),
            allergens: allergens.map(|m| subset(ALLERGENS, m)),
            traces: traces.map(|m| subset(ALLERGENS, m)),
            ..Product::default()
        }
    }
}

/// A catalog (one product per feed and id, as a feed gives) and a basket of
/// some of its products (or products no feed lists any more).
fn arb_world() -> impl Strategy<Value = (Vec<Product>, Vec<BasketItem>)> {
    (
        prop::collection::vec(arb_product(), 0..40),
        prop::collection::vec((arb_product(), 1u32..4, any::<bool>()), 0..8),
    )
        .prop_map(|(catalog, basket)| {
            let mut seen = BTreeSet::new();
            let catalog: Vec<Product> = catalog
                .into_iter()
                .filter(|p| seen.insert(p.key()))
                .collect();
            let mut in_basket = BTreeSet::new();
            let basket = basket
                .into_iter()
                .enumerate()
                .map(|(i, (p, quantity, from_catalog))| {
                    // Half the items are catalog products, as after an add.
                    let product = match catalog.get(i * 3) {
                        Some(c) if from_catalog => c.clone(),
                        _ => p,
                    };
                    (product, quantity)
                })
                .filter(|(p, _)| in_basket.insert(p.key()))
                .map(|(product, quantity)| BasketItem {
                    product,
                    quantity,
                    added_by: basket::api::model::Origin::Manual,
                    added_at: now() - chrono::Duration::days(3),
                })
                .collect();
            (catalog, basket)
        })
}

fn evaluate(rules: &RuleSet, basket: &[BasketItem], catalog: &[Product]) -> engine::Outcome {
    let failed = FailedInputs::default();
    let memory = Memory::default();
    let ctx = engine::Context {
        now: now(),
        rules,
        basket,
        weather: Weather::NotNeeded,
        failed: &failed,
        memory: &memory,
    };
    engine::evaluate(&ctx, catalog)
}

fn known_free_of_trait(p: &Product, t: &str) -> bool {
    !p.contains.contains(t) && p.free_from.contains(t)
}

fn known_free_of_allergen(p: &Product, a: &str) -> bool {
    matches!((&p.allergens, &p.traces), (Some(al), Some(tr)) if !al.contains(a) && !tr.contains(a))
}

fn in_basket(basket: &[BasketItem], p: &Product) -> bool {
    basket.iter().any(|i| {
        i.product.key() == p.key()
            || (i.product.gtin14().is_some() && i.product.gtin14() == p.gtin14())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_same_inputs_give_the_same_proposals_in_the_same_order((catalog, basket) in arb_world()) {
        let rules = ruleset();
        let first = evaluate(&rules, &basket, &catalog);
        // A fresh evaluation: new hash seeds for every HashMap inside.
        let again = evaluate(&ruleset(), &basket.clone(), &catalog.clone());
        let shown = |o: &engine::Outcome| -> Vec<String> {
            o.proposals.iter().map(|p| format!("{} {} {:?} {} {}", p.id, p.rule, p.action, p.product.key().id, p.reason)).collect()
        };
        prop_assert_eq!(shown(&first), shown(&again));
        prop_assert_eq!(&first.notices, &again.notices);
        prop_assert_eq!(&first.warnings, &again.warnings);
    }

    #[test]
    fn no_add_proposes_a_product_already_in_the_basket((catalog, basket) in arb_world()) {
        let out = evaluate(&ruleset(), &basket, &catalog);
        for p in out.proposals.iter().filter(|p| p.action == ActionKind::Add) {
            prop_assert!(!in_basket(&basket, &p.product), "{} proposed but in the basket", p.product.id);
        }
        // Nor twice in one run by one rule.
        let mut keys = BTreeSet::new();
        for p in out.proposals.iter().filter(|p| p.action == ActionKind::Add) {
            prop_assert!(
                keys.insert((p.product.key(), p.rule.clone())),
                "{} proposed twice by {}",
                p.product.id,
                p.rule
            );
        }
    }

    #[test]
    fn a_swap_alternative_is_known_free_of_what_the_rule_avoids((catalog, basket) in arb_world()) {
        let out = evaluate(&ruleset(), &basket, &catalog);
        for p in out.proposals.iter().filter(|p| p.action == ActionKind::Swap) {
            let alt = &p.product;
            prop_assert!(known_free_of_trait(alt, "palm-oil"), "{} is not known free of palm oil: {:?}", alt.id, alt);
            if p.rule == "No palm oil" {
                prop_assert!(known_free_of_allergen(alt, "nuts"), "{} is not known free of nuts: {:?}", alt.id, alt);
            }
            prop_assert!(alt.availability.is_some_and(Availability::is_available));
            prop_assert!(!in_basket(&basket, alt), "{} is in the basket already", alt.id);
            let replaced = p.replaces.as_ref().expect("a swap replaces an item");
            prop_assert!(in_basket(&basket, replaced), "{} replaces {}, not in the basket", alt.id, replaced.id);
        }
    }
}

/// The properties above say something only if the generated worlds make each
/// kind of proposal: count them over a few hundred worlds.
#[test]
fn the_generated_worlds_make_every_kind_of_proposal() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let rules = ruleset();
    let mut kinds = BTreeMap::new();
    for _ in 0..300 {
        let (catalog, basket) = arb_world()
            .new_tree(&mut runner)
            .expect("a world")
            .current();
        for p in evaluate(&rules, &basket, &catalog).proposals {
            *kinds.entry(format!("{:?}", p.action)).or_insert(0) += 1;
        }
    }
    for kind in ["Add", "Swap", "Remove"] {
        assert!(kinds.get(kind).copied().unwrap_or(0) >= 10, "{kinds:?}");
    }
}

// ---------------------------------------------------------------------------
// The budget, through the binary

fn money(v: &serde_json::Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or("0")).expect("a decimal")
}

fn gbp_total(env: &TestEnv) -> Decimal {
    let out = env.run(&["list", "--format", "json"]);
    out.assert_ok();
    money(&out.json()["totals"]["GBP"])
}

proptest! {
    // Each case runs the binary a few times: few cases, each a whole world.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn check_yes_never_approves_past_the_budget(
        prices in prop::collection::vec((1u32..3000, 1u32..4), 1..30),
        budget_cents in 0u32..20000,
        seeded in prop::option::of(0usize..30),
    ) {
        let env = TestEnv::new();
        let server = TestServer::start();
        let products: Vec<serde_json::Value> = prices
            .iter()
            .enumerate()
            .map(|(i, (cents, _))| serde_json::json!({
                "id": format!("B-{i}"),
                "name": format!("Biscuits {i}"),
                "price": Decimal::new(i64::from(*cents), 2).to_string(),
                "currency": "GBP",
                "categories": "Food > Biscuits",
            }))
            .collect();
        server.set("/shop.json", Reply::json(serde_json::to_vec(&products).expect("json")));
        let budget = Decimal::new(i64::from(budget_cents), 2);
        let quantity = prices[0].1;
        env.write_rules(&server.expand(&format!(
            r#"
[settings]
currency = "GBP"
budget = "{budget}"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "Biscuits"
match = {{ name = "biscuits" }}
add = {{ limit = 30, quantity = {quantity} }}
"#
        )));
        if let Some(i) = seeded.filter(|&i| i < prices.len()) {
            env.run(&["add", &format!("shop/B-{i}")]).assert_ok();
        }
        let before = gbp_total(&env);
        let out = env.run(&["check", "--yes", "--format", "json"]);
        out.assert_ok();
        let after = gbp_total(&env);
        let report = out.json();
        let approved: Decimal = report["proposals"]
            .as_array()
            .expect("proposals")
            .iter()
            .filter(|p| p["status"] == "approved")
            .map(|p| money(&p["product"]["price"]) * Decimal::from(p["quantity"].as_u64().expect("quantity")))
            .sum();
        prop_assert_eq!(after, before + approved, "{}", out.streams());
        if before <= budget {
            prop_assert!(after <= budget, "{after} > budget {budget}:\n{}", out.streams());
        } else {
            prop_assert_eq!(after, before, "over budget already, yet more was approved");
        }
        // Whatever was left out was left out for the budget.
        for p in report["proposals"].as_array().expect("proposals") {
            if p["status"] != "approved" {
                prop_assert_eq!(&p["over_budget"], &serde_json::json!(true), "{}", p);
            }
        }
    }
}
