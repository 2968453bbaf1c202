//! The engine on its own: rules parsed from text, products built by hand, a
//! `Memory` of earlier decisions, a fixed `now`. No I/O, so each case states
//! exactly the world it judges.

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::matching::keep_best;
use super::*;
use crate::model::{
    ActionKind, Availability, BasketItem, FailedAt, FailedInputs, Origin, Product, Proposal,
    ProposalStatus,
};
use crate::rules::{parse_str, RuleSet};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-10-03T09:00:00Z")
        .expect("a valid time")
        .with_timezone(&Utc)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("a decimal")
}

fn rules(text: &str) -> RuleSet {
    rules_with_settings("", text)
}

fn rules_with_budget(budget: &str, text: &str) -> RuleSet {
    rules_with_settings(&format!("budget = \"{budget}\""), text)
}

/// A rules file in GBP with one feed, `shop`, extra `[settings]` lines and `text`.
fn rules_with_settings(settings: &str, text: &str) -> RuleSet {
    let full = format!(
        "[settings]\ncurrency = \"GBP\"\n{settings}\n\n[feeds.shop]\nkind = \"json\"\nurl = \"shop.json\"\n\n{text}"
    );
    parse_str(Path::new("rules.toml"), &full).unwrap_or_else(|e| panic!("{e}"))
}

/// An in-stock GBP product of feed `shop` in category `cat`.
fn product(id: &str, price: &str, cat: &str) -> Product {
    Product {
        feed: "shop".into(),
        id: id.into(),
        name: format!("Product {id}"),
        categories: vec!["Food".into(), cat.into()],
        price: Some(dec(price)),
        currency: Some("GBP".into()),
        availability: Some(Availability::InStock),
        ..Product::default()
    }
}

fn item(p: &Product, quantity: u32) -> BasketItem {
    BasketItem {
        product: p.clone(),
        quantity,
        added_by: Origin::Manual,
        added_at: now() - Duration::days(30),
    }
}

/// Runs the engine over `products` with this basket and memory.
fn run(rules: &RuleSet, basket: &[BasketItem], memory: &Memory, products: &[Product]) -> Outcome {
    run_failing(rules, basket, memory, products, &FailedInputs::default())
}

/// [`run`], with these feeds failed.
fn run_failing(
    rules: &RuleSet,
    basket: &[BasketItem],
    memory: &Memory,
    products: &[Product],
    failed: &FailedInputs,
) -> Outcome {
    let ctx = Context {
        now: now(),
        rules,
        basket,
        weather: Weather::NotNeeded,
        failed,
        memory,
    };
    evaluate(&ctx, products)
}

fn ids(out: &Outcome) -> Vec<&str> {
    out.proposals
        .iter()
        .map(|p| p.product.id.as_str())
        .collect()
}

fn explanation<'o>(out: &'o Outcome, rule: &str) -> &'o Explanation {
    out.explanations
        .iter()
        .find(|e| e.rule == rule)
        .unwrap_or_else(|| panic!("no explanation for {rule}: {:?}", out.explanations))
}

/// Memory with one decline of `rule`'s add of `p`, `ago` before now, at `price`.
fn declined_add(rule: &str, p: &Product, ago: Duration, price: &str) -> Memory {
    let mut memory = Memory::default();
    let id = Proposal::stable_id(rule, ActionKind::Add, &p.key(), None);
    memory.declined.insert(id, (now() - ago, Some(dec(price))));
    memory
}

// ---------------------------------------------------------------- keep-best ordering

#[test]
fn keep_best_keeps_the_smallest_keys_and_breaks_ties_by_feed_order() {
    let mut best: Vec<(usize, Product)> = Vec::new();
    let prices = ["3.00", "1.00", "2.00", "1.00", "0.50"];
    for (seq, price) in prices.iter().enumerate() {
        let p = product(&format!("P{seq}"), price, "Snacks");
        keep_best(&mut best, 3, seq, &p, |p| p.price.unwrap_or(Decimal::MAX));
    }
    let kept: Vec<&str> = best.iter().map(|(_, p)| p.id.as_str()).collect();
    // 0.50, then the two 1.00s in the order they came; 2.00 and 3.00 drop out.
    assert_eq!(kept, ["P4", "P1", "P3"]);
}

#[test]
fn keep_best_with_equal_keys_keeps_the_first_ones() {
    let mut best: Vec<(usize, Product)> = Vec::new();
    for seq in 0..5 {
        let p = product(&format!("P{seq}"), "1.00", "Snacks");
        keep_best(&mut best, 2, seq, &p, |_| Decimal::ZERO);
    }
    let kept: Vec<&str> = best.iter().map(|(_, p)| p.id.as_str()).collect();
    assert_eq!(kept, ["P0", "P1"]);
}

#[test]
fn add_cheapest_ties_follow_feed_order_and_first_ignores_price() {
    let r = rules(
        r#"
[[rule]]
name = "Cheapest"
match = { category = "Snacks" }
add = { limit = 3 }

[[rule]]
name = "First"
match = { category = "Drinks" }
add = { limit = 2, prefer = "first" }
"#,
    );
    let products = [
        product("S1", "2.00", "Snacks"),
        product("S2", "1.00", "Snacks"),
        product("S3", "2.00", "Snacks"),
        product("S4", "1.00", "Snacks"),
        product("S5", "2.00", "Snacks"),
        product("D1", "9.00", "Drinks"),
        product("D2", "1.00", "Drinks"),
        product("D3", "0.50", "Drinks"),
    ];
    let out = run(&r, &[], &Memory::default(), &products);
    assert_eq!(ids(&out), ["S2", "S4", "S1", "D1", "D2"]);
    // Reversing the feed reverses the ties, and only the ties.
    let mut reversed = products.to_vec();
    reversed.reverse();
    let out = run(&r, &[], &Memory::default(), &reversed);
    assert_eq!(ids(&out), ["S4", "S2", "S5", "D3", "D2"]);
}

// ---------------------------------------------------------------- budget

#[test]
fn budget_marks_an_add_that_would_take_the_total_over_it() {
    let r = rules_with_budget(
        "8.00",
        r#"
[[rule]]
name = "Exactly to the budget"
add = { product = { id = "A" } }

[[rule]]
name = "A penny over"
add = { product = { id = "B" } }

[[rule]]
name = "Two of them"
add = { product = { id = "C" }, quantity = 2 }
"#,
    );
    let held = product("H", "5.00", "Snacks");
    let products = [
        product("A", "3.00", "Snacks"),
        product("B", "3.01", "Snacks"),
        product("C", "1.60", "Snacks"),
    ];
    let out = run(&r, &[item(&held, 1)], &Memory::default(), &products);
    let over: Vec<(&str, bool)> = out
        .proposals
        .iter()
        .map(|p| (p.product.id.as_str(), p.over_budget))
        .collect();
    // 5.00 + 3.00 = 8.00 is within; 5.00 + 3.01 is not; 5.00 + 2 x 1.60 = 8.20 is not.
    assert_eq!(over, [("A", false), ("B", true), ("C", true)]);
}

#[test]
fn budget_counts_basket_quantities_and_never_marks_a_cheaper_swap() {
    let r = rules_with_budget(
        "4.00",
        r#"
[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"] }

[[rule]]
name = "Snack"
add = { product = { id = "S" } }
"#,
    );
    let mut spread = product("SP1", "2.00", "Spreads");
    spread.contains.insert("palm-oil".into());
    let mut alt = product("SP2", "1.50", "Spreads");
    alt.free_from.insert("palm-oil".into());
    let snack = product("S", "0.10", "Snacks");
    // Two spreads at 2.00: the basket is already at the 4.00 budget.
    let out = run(
        &r,
        &[item(&spread, 2)],
        &Memory::default(),
        &[spread.clone(), alt, snack],
    );
    let over: Vec<(&str, bool)> = out
        .proposals
        .iter()
        .map(|p| (p.product.id.as_str(), p.over_budget))
        .collect();
    assert_eq!(over, [("SP2", false), ("S", true)]);
}

#[test]
fn without_a_budget_nothing_is_over_it() {
    let r = rules(
        r#"
[[rule]]
name = "Dear"
add = { product = { id = "X" } }
"#,
    );
    let out = run(
        &r,
        &[],
        &Memory::default(),
        &[product("X", "10000.00", "Snacks")],
    );
    assert!(!out.proposals[0].over_budget);
}

// ---------------------------------------------------------------- cooldown

const CHOCOLATE: &str = r#"
[[rule]]
name = "Chocolate"
match = { category = "Chocolate" }
add = {}
cooldown = "7d"
"#;

#[test]
fn a_declined_add_is_not_proposed_again_within_its_cooldown() {
    let r = rules(CHOCOLATE);
    let bar = product("C1", "2.10", "Chocolate");
    let memory = declined_add("Chocolate", &bar, Duration::days(3), "2.10");
    let out = run(&r, &[], &memory, std::slice::from_ref(&bar));
    assert!(out.proposals.is_empty(), "{:?}", out.proposals);
    assert_eq!(
        explanation(&out, "Chocolate").detail,
        "1 match declined recently (cooldown 7d)"
    );
}

#[test]
fn a_declined_add_is_proposed_again_once_the_cooldown_has_passed() {
    let r = rules(CHOCOLATE);
    let bar = product("C1", "2.10", "Chocolate");
    for ago in [Duration::days(7), Duration::days(8)] {
        let memory = declined_add("Chocolate", &bar, ago, "2.10");
        let out = run(&r, &[], &memory, std::slice::from_ref(&bar));
        assert_eq!(ids(&out), ["C1"], "declined {ago} ago");
        assert_eq!(out.proposals[0].status, ProposalStatus::New);
    }
}

#[test]
fn a_declined_add_is_proposed_again_within_the_cooldown_when_its_price_fell() {
    let r = rules(CHOCOLATE);
    let bar = product("C1", "2.10", "Chocolate");
    let fell = declined_add("Chocolate", &bar, Duration::days(1), "2.50");
    assert_eq!(
        ids(&run(&r, &[], &fell, std::slice::from_ref(&bar))),
        ["C1"]
    );
    // A price that rose, or stayed, is no reason to ask again.
    let rose = declined_add("Chocolate", &bar, Duration::days(1), "1.99");
    assert!(run(&r, &[], &rose, std::slice::from_ref(&bar))
        .proposals
        .is_empty());
}

#[test]
fn the_cooldown_is_the_rules_own() {
    let r = rules(
        r#"
[[rule]]
name = "Chocolate"
match = { category = "Chocolate" }
add = {}
cooldown = "12h"
"#,
    );
    let bar = product("C1", "2.10", "Chocolate");
    let recent = declined_add("Chocolate", &bar, Duration::hours(11), "2.10");
    assert!(run(&r, &[], &recent, std::slice::from_ref(&bar))
        .proposals
        .is_empty());
    let older = declined_add("Chocolate", &bar, Duration::hours(13), "2.10");
    assert_eq!(
        ids(&run(&r, &[], &older, std::slice::from_ref(&bar))),
        ["C1"]
    );
}

#[test]
fn a_decline_holds_back_only_that_product_of_that_rule() {
    let r = rules(
        r#"
[[rule]]
name = "Chocolate"
match = { category = "Chocolate" }
add = {}

[[rule]]
name = "Other chocolate rule"
match = { category = "Chocolate" }
add = { prefer = "first" }
"#,
    );
    let cheap = product("C1", "1.00", "Chocolate");
    let dear = product("C2", "2.00", "Chocolate");
    let memory = declined_add("Chocolate", &cheap, Duration::days(1), "1.00");
    let out = run(&r, &[], &memory, &[cheap, dear]);
    let got: Vec<(&str, &str)> = out
        .proposals
        .iter()
        .map(|p| (p.rule.as_str(), p.product.id.as_str()))
        .collect();
    // The declined bar is passed over for the next one; the other rule, which
    // was never declined, still proposes the first bar.
    assert_eq!(got, [("Chocolate", "C2"), ("Other chocolate rule", "C1")]);
}

#[test]
fn a_declined_swap_waits_out_its_cooldown_without_claiming_there_is_no_alternative() {
    let r = rules(
        r#"
[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"] }
"#,
    );
    let mut spread = product("SP1", "1.60", "Spreads");
    spread.contains.insert("palm-oil".into());
    let mut alt = product("SP2", "3.50", "Spreads");
    alt.free_from.insert("palm-oil".into());
    let basket = [item(&spread, 1)];
    let products = [spread.clone(), alt.clone()];

    let out = run(&r, &basket, &Memory::default(), &products);
    assert_eq!(ids(&out), ["SP2"]);

    let mut memory = Memory::default();
    let id = Proposal::stable_id(
        "No palm oil",
        ActionKind::Swap,
        &alt.key(),
        Some(&spread.key()),
    );
    memory
        .declined
        .insert(id, (now() - Duration::days(2), Some(dec("3.50"))));
    let out = run(&r, &basket, &memory, &products);
    assert!(out.proposals.is_empty(), "{:?}", out.proposals);
    assert!(
        out.notices.is_empty(),
        "an alternative exists, it was declined: {:?}",
        out.notices
    );
    assert_eq!(
        explanation(&out, "No palm oil").detail,
        "every alternative was declined recently (cooldown)"
    );

    memory
        .declined
        .values_mut()
        .for_each(|d| d.0 = now() - Duration::days(8));
    assert_eq!(ids(&run(&r, &basket, &memory, &products)), ["SP2"]);
}

// ---------------------------------------------------------------- memory of proposals

#[test]
fn a_proposal_remembered_as_pending_is_reported_as_pending() {
    let r = rules(CHOCOLATE);
    let bar = product("C1", "2.10", "Chocolate");
    let out = run(&r, &[], &Memory::default(), std::slice::from_ref(&bar));
    assert_eq!(out.proposals[0].status, ProposalStatus::New);
    let mut memory = Memory::default();
    memory.pending.insert(out.proposals[0].id.clone());
    let out = run(&r, &[], &memory, std::slice::from_ref(&bar));
    assert_eq!(out.proposals[0].status, ProposalStatus::Pending);
}

/// Bug: with any feed failing, every `remove` and every `lacks` was skipped,
/// even those that read nothing but the basket.
#[test]
fn a_failed_input_holds_back_only_the_rules_that_read_it() {
    let r = rules(
        r#"
[feeds.other]
kind = "json"
url = "other.json"

[feeds.off]
kind = "openfoodfacts"
url = "https://off.invalid"

[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
remove = {}

[[rule]]
name = "Bread if none"
when.basket = { lacks = { category = "Bread" } }
add = { product = { category = "Bread" } }

[[rule]]
name = "Chocolate"
match = { category = "Chocolate" }
add = {}

[[rule]]
name = "Other's chocolate"
match = { feed = "other", category = "Chocolate" }
add = {}
"#,
    );
    let mut spread = product("SP1", "1.60", "Spreads");
    spread.contains.insert("palm-oil".into());
    let mut theirs = product("O1", "2.50", "Chocolate");
    theirs.feed = "other".into();
    let products = [
        product("B1", "1.10", "Bread"),
        product("C1", "2.10", "Chocolate"),
        theirs,
    ];
    let basket = [item(&spread, 1)];
    let memory = Memory::default();
    let failing = |feed: &str, stage| {
        let mut failed = FailedInputs::default();
        failed.insert(feed, stage, "HTTP 500");
        run_failing(&r, &basket, &memory, &products, &failed)
    };

    let out = failing("other", FailedAt::Fetching);
    assert_eq!(ids(&out), ["SP1", "B1", "C1"]);
    let held = explanation(&out, "Other's chocolate");
    assert!(!held.evaluated && !held.fired, "{held:?}");
    assert_eq!(held.detail, "skipped: feed 'other' failed: HTTP 500");

    let out = failing("off", FailedAt::FactsLookup);
    assert_eq!(ids(&out), ["B1", "C1", "O1"]);
    let held = explanation(&out, "No palm oil");
    assert!(!held.evaluated, "{held:?}");
    assert_eq!(held.detail, "skipped: facts feed 'off' failed: HTTP 500");

    let out = run(&r, &basket, &memory, &products);
    assert_eq!(ids(&out), ["SP1", "B1", "C1", "O1"]);
}

/// Open Food Facts is asked for each GTIN as the shop wrote it (it knows an
/// EAN-13 by 13 digits), once however many products share it.
#[test]
fn gtins_needing_facts_are_given_as_written_and_asked_once() {
    let rules = rules(
        r#"
[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"] }
"#,
    );
    let with_gtin = |id: &str, gtin: &str| Product {
        gtin: Some(gtin.into()),
        ..product(id, "1.00", "Spreads")
    };
    let basket = [item(&with_gtin("S-1", "3596710387557"), 1)];
    let products = [
        with_gtin("S-1", "3596710387557"),
        with_gtin("S-2", " 3596710387540 "),
        // The same product as S-2, its GTIN written in 14 digits.
        with_gtin("S-3", "03596710387540"),
        with_gtin("S-4", "40123455"),
    ];
    assert_eq!(
        gtins_needing_facts(&rules, &basket, &products),
        ["3596710387557", "3596710387540", "40123455"]
    );
}

/// Bug 5 of issue 13: a product the shopper approved to swap out or remove
/// came back at the next run, proposed by an add rule (or as a swap's
/// alternative). It waits out each rule's cooldown, whatever its price.
#[test]
fn a_product_taken_out_is_not_proposed_back_until_the_cooldown_is_over() {
    let r = rules(
        r#"
[[rule]]
name = "Keep SP2"
match = { id = "SP2" }
add = {}
cooldown = "3d"

[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"], keep = [] }
"#,
    );
    let mut palm = product("SP1", "1.60", "Spreads");
    palm.contains.insert("palm-oil".into());
    let mut free = product("SP2", "1.20", "Spreads");
    free.free_from.insert("palm-oil".into());
    let basket = [item(&palm, 1)];
    let products = [palm.clone(), free.clone()];
    let mut memory = Memory::default();
    memory
        .taken_out
        .insert(free.key(), now() - Duration::days(2));
    let out = run(&r, &basket, &memory, &products);
    assert!(ids(&out).is_empty(), "{:?}", out.proposals);
    assert_eq!(
        explanation(&out, "Keep SP2").detail,
        "1 match removed or swapped out recently (cooldown 3d)"
    );
    assert!(
        out.notices.is_empty(),
        "there is an alternative: {:?}",
        out.notices
    );

    // Each rule's own cooldown: the add's 3 days are over, the swap's 7 not.
    memory
        .taken_out
        .insert(free.key(), now() - Duration::days(3));
    let out = run(&r, &basket, &memory, &products);
    assert_eq!(out.proposals.len(), 1);
    assert_eq!(out.proposals[0].rule, "Keep SP2");
    assert_eq!(
        explanation(&out, "No palm oil").detail,
        "every alternative was removed or swapped out recently (cooldown)"
    );
    memory
        .taken_out
        .insert(free.key(), now() - Duration::days(7));
    assert_eq!(ids(&run(&r, &basket, &memory, &products)), ["SP2", "SP2"]);
}

#[test]
fn a_purchase_rearms_the_add_rules_on_what_was_bought_only() {
    let rs = rules(
        "[[rule]]\nname = \"Tea\"\nmatch = { category = \"tea\" }\nadd = {}\n\n\
         [[rule]]\nname = \"Tea deals\"\nmatch = { category = \"tea\" }\nnotify = {}\n",
    );
    let tea = product("T", "2.00", "Tea");
    let jam = product("J", "3.00", "Jam");
    let latched: HashSet<(String, ProductKey)> = [
        ("Tea".to_string(), tea.key()),
        ("Tea deals".to_string(), tea.key()),
        ("Tea".to_string(), jam.key()),
    ]
    .into_iter()
    .collect();
    // The notify rule stays latched (it would tell again), and so does what
    // was not bought.
    assert_eq!(
        rearmed_by_purchase(&rs, &latched, &[tea.key()]),
        vec![("Tea".to_string(), tea.key())]
    );
}

#[test]
fn every_is_due_once_the_interval_has_passed_since_the_last_purchase() {
    let rs = rules(
        "[[rule]]\nname = \"Tea\"\nmatch = { category = \"tea\" }\nwhen.every = \"7d\"\nadd = {}\n",
    );
    let tea = product("T", "2.00", "Tea");
    let bought = |days: i64| Purchase {
        bought_at: now() - Duration::days(days),
        product: tea.clone(),
        quantity: 1,
        price: tea.price,
        currency: tea.currency.clone(),
        regular_price: None,
        added_by: Origin::Rule("Tea".into()),
    };
    for (days, due) in [(3, false), (7, true)] {
        let memory = Memory {
            purchases: vec![bought(days)],
            ..Memory::default()
        };
        let out = run(&rs, &[], &memory, std::slice::from_ref(&tea));
        assert_eq!(ids(&out).len(), usize::from(due), "bought {days} days ago");
    }
}
