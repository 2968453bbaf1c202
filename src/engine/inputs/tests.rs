//! What `Inputs::of` compiles from a rule, and which failures skip it.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Catalog, Inputs};
use crate::engine::Weather;
use crate::model::{BasketItem, FailedAt, FailedInputs, Origin, Product};
use crate::rules::{parse_str, RuleSet};

/// One rule under feeds `shop`, `pages` and an Open Food Facts source `off`.
fn ruleset(rule: &str) -> RuleSet {
    let text = format!(
        "[settings]\ncurrency = \"GBP\"\nlocation = {{ latitude = 52.2, longitude = 6.9 }}\n\n\
         [feeds.shop]\nkind = \"json\"\nurl = \"shop.json\"\n\n\
         [feeds.pages]\nkind = \"json\"\nurl = \"pages.json\"\n\n\
         [feeds.off]\nkind = \"openfoodfacts\"\nurl = \"https://off.invalid\"\n\n\
         [[rule]]\nname = \"r\"\n{rule}\n"
    );
    parse_str(Path::new("rules.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

/// The inputs of the one rule, as (catalog, listed items?, facts, history, forecast).
fn inputs(rule: &str) -> (Catalog, bool, bool, bool, bool) {
    let set = ruleset(rule);
    let i = Inputs::of(&set.rules[0]);
    (
        i.catalog,
        i.listed_items.is_some(),
        i.facts,
        i.history,
        i.forecast,
    )
}

fn only(feeds: &[&str]) -> Catalog {
    Catalog::Only(feeds.iter().map(|f| f.to_string()).collect())
}

fn none() -> Catalog {
    Catalog::Only(BTreeSet::new())
}

#[test]
fn a_basket_only_removal_reads_no_feed() {
    assert_eq!(
        inputs("match = { in = \"basket\", brand = \"Grocer Basics\" }\nremove = {}"),
        (none(), false, false, false, false)
    );
}

#[test]
fn a_lacks_under_weather_reads_the_forecast_only() {
    let rule = "when.all = [{ weather = { day = \"today\", temp_max_c = { above = 20 } } }, \
                { not = { basket = { has = { name = \"charcoal\" } } } }]\n\
                add = { product = { name = \"charcoal\" } }";
    assert_eq!(inputs(rule), (Catalog::AllFeeds, false, false, false, true));
}

#[test]
fn feed_narrows_the_catalog_of_add_notify_and_catalog_removals() {
    assert_eq!(
        inputs("match = { name = \"tea\" }\nadd = { product = { feed = \"pages\" } }").0,
        only(&["pages"])
    );
    assert_eq!(
        inputs("match = { feed = \"shop\", name = \"tea\" }\nnotify = true").0,
        only(&["shop"])
    );
    assert_eq!(
        inputs("match = { name = \"tea\" }\nadd = {}").0,
        Catalog::AllFeeds
    );
}

#[test]
fn a_catalog_removal_reads_the_listings_of_basket_items() {
    assert_eq!(
        inputs("match = { in = \"catalog\", available = false }\nremove = {}"),
        (Catalog::AllFeeds, true, false, false, false)
    );
    assert_eq!(
        inputs("match = { in = \"catalog\", feed = \"shop\", available = false }\nremove = {}"),
        (only(&["shop"]), true, false, false, false)
    );
}

#[test]
fn facts_of_basket_items_and_swap_alternatives_need_the_facts_source() {
    assert!(inputs("match = { in = \"basket\", contains = [\"palm-oil\"] }\nremove = {}").2);
    assert!(inputs("when.basket = { lacks = { labels = [\"organic\"] } }\nadd = { product = { name = \"tea\" } }").2);
    assert!(
        inputs(
            "match = { in = \"basket\", name = \"spread\" }\nswap = { without = [\"palm-oil\"] }"
        )
        .2
    );
    // A catalog product's facts come from the catalog feeds, not from the source.
    assert!(!inputs("match = { labels = [\"organic\"] }\nadd = {}").2);
}

#[test]
fn price_history_keys_need_the_history_source_and_new_does_not() {
    assert!(inputs("match = { name = \"tea\" }\nadd = { product = { lowest_in_days = 30 } }").3);
    assert!(inputs("match = { name = \"tea\", price_drop_pct = { at_least = 10 } }\nadd = {}").3);
    assert!(!inputs("match = { name = \"tea\", new = true }\nadd = {}").3);
    assert!(!inputs("match = { name = \"tea\", back_in_stock = true }\nadd = {}").3);
}

fn spread(feed: &str) -> BasketItem {
    BasketItem {
        product: Product {
            feed: feed.into(),
            id: "S1".into(),
            name: "Spread".into(),
            ..Product::default()
        },
        quantity: 1,
        added_by: Origin::Manual,
        added_at: chrono::DateTime::UNIX_EPOCH,
    }
}

fn failing(feed: &str, stage: FailedAt) -> FailedInputs {
    let mut failed = FailedInputs::default();
    failed.insert(feed, stage, "HTTP 403 Forbidden");
    failed
}

#[test]
fn a_rule_is_skipped_only_for_a_failed_input_it_reads() {
    let failure = |rule: &str, failed: &FailedInputs, basket: &[BasketItem], weather: &Weather| {
        let set = ruleset(rule);
        Inputs::of(&set.rules[0]).failure(failed, basket, weather)
    };
    let pages = failing("pages", FailedAt::Fetching);
    let ok = Weather::NotNeeded;
    let basket_only = "match = { in = \"basket\", brand = \"Grocer Basics\" }\nremove = {}";
    assert_eq!(failure(basket_only, &pages, &[], &ok), None);
    let narrowed = "match = { feed = \"pages\", name = \"tea\" }\nadd = {}";
    assert_eq!(
        failure(narrowed, &pages, &[], &ok).as_deref(),
        Some("feed 'pages' failed: HTTP 403 Forbidden")
    );
    let elsewhere = "match = { feed = \"shop\", name = \"tea\" }\nadd = {}";
    assert_eq!(failure(elsewhere, &pages, &[], &ok), None);
    let sold_out = "match = { in = \"catalog\", available = false }\nremove = {}";
    assert_eq!(failure(sold_out, &pages, &[spread("shop")], &ok), None);
    assert_eq!(
        failure(sold_out, &pages, &[spread("pages")], &ok).as_deref(),
        Some("feed 'pages' failed: HTTP 403 Forbidden, and it lists the basket item 'Spread'")
    );
    let facts = "match = { in = \"basket\", contains = [\"palm-oil\"] }\nremove = {}";
    let off = failing("off", FailedAt::FactsLookup);
    assert_eq!(failure(facts, &pages, &[], &ok), None);
    assert_eq!(
        failure(facts, &off, &[], &ok).as_deref(),
        Some("facts feed 'off' failed: HTTP 403 Forbidden")
    );
    let weather = "when.weather = { day = \"today\", temp_max_c = { above = 20 } }\n\
                   add = { product = { name = \"charcoal\" } }";
    let down = Weather::Failed("HTTP 502".into());
    assert_eq!(
        failure(weather, &FailedInputs::default(), &[], &down).as_deref(),
        Some("the weather forecast failed: HTTP 502")
    );
    assert_eq!(
        failure(basket_only, &FailedInputs::default(), &[], &down),
        None
    );
}
