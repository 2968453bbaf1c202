//! `intersect` field by field and in both orders, and `describe_keys` as the
//! rules file spells every key.

use std::path::Path;

use rust_decimal::Decimal;

use super::{PriceDrop, Scope, Selector};
use crate::rules::parse::SELECTOR_KEYS;
use crate::rules::{parse_str, Comparison};

fn d(s: &str) -> Decimal {
    s.parse().expect("a decimal")
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn below(t: &str) -> Comparison<Decimal> {
    Comparison {
        below: Some(d(t)),
        ..Comparison::default()
    }
}

fn at_least(t: &str) -> Comparison<Decimal> {
    Comparison {
        at_least: Some(d(t)),
        ..Comparison::default()
    }
}

/// A selector with every key set, none of them to a default.
fn full() -> Selector {
    Selector {
        scope: Scope::Basket,
        scope_written: true,
        feed: Some("grocer".into()),
        id: Some("sku-1".into()),
        gtin: Some("05012345678900".into()),
        name_words: strings(&["sun", "cream"]),
        name: Some("sun cream".into()),
        brand: Some("sunny".into()),
        category: Some("sun care".into()),
        price: Some(below("9.50")),
        discount_pct: Some(at_least("10")),
        on_sale: Some(true),
        available: Some(false),
        contains: strings(&["palm oil"]),
        allergens: strings(&["peanuts"]),
        labels: strings(&["organic"]),
        lowest_in_days: Some(30),
        price_drop_pct: Some(PriceDrop {
            cmp: at_least("20"),
            days: 14,
        }),
        new: Some(false),
        back_in_stock: Some(true),
        unit_price: Some(super::UnitPriceBound {
            cmp: below("18.00"),
            per: crate::model::UnitPer::Kg,
        }),
        at_store: strings(&["1234"]),
        pickup: Some(true),
    }
}

/// `a ∩ b` and `b ∩ a`, which must agree, and must combine exactly.
#[track_caller]
fn both_orders(a: &Selector, b: &Selector) -> Selector {
    let ab = a.intersect(b);
    assert_eq!(ab, b.intersect(a), "the order matters for {a:?} and {b:?}");
    assert_eq!(a.conflicts(b), Vec::<&str>::new());
    assert_eq!(b.conflicts(a), Vec::<&str>::new());
    ab
}

#[test]
fn every_key_set_on_one_side_is_kept_in_both_orders() {
    assert_eq!(both_orders(&full(), &Selector::default()), full());
    assert_eq!(both_orders(&full(), &full()), full());
}

#[test]
fn a_match_and_an_add_product_keep_the_history_keys() {
    // The bug of engine's and_selectors: these four keys of add.product were lost.
    let matched = Selector {
        category: Some("sun care".into()),
        ..Selector::default()
    };
    let product = Selector {
        lowest_in_days: Some(30),
        price_drop_pct: Some(PriceDrop {
            cmp: at_least("20"),
            days: 30,
        }),
        new: Some(true),
        back_in_stock: Some(true),
        ..Selector::default()
    };
    let both = both_orders(&matched, &product);
    assert_eq!(both.category.as_deref(), Some("sun care"));
    assert_eq!(both.lowest_in_days, Some(30));
    assert_eq!(both.price_drop_pct, product.price_drop_pct);
    assert_eq!((both.new, both.back_in_stock), (Some(true), Some(true)));
    assert!(both.uses_history());
}

#[test]
fn the_basket_is_the_narrower_scope() {
    let basket = Selector {
        scope: Scope::Basket,
        ..Selector::default()
    };
    let written = Selector {
        scope_written: true,
        ..Selector::default()
    };
    assert_eq!(both_orders(&basket, &written).scope, Scope::Basket);
    assert!(both_orders(&basket, &written).scope_written);
    let catalog = both_orders(&Selector::default(), &Selector::default());
    assert_eq!(
        (catalog.scope, catalog.scope_written),
        (Scope::Catalog, false)
    );
}

#[test]
fn bounds_take_the_stricter_of_each_side() {
    let a = Selector {
        price: Some(Comparison {
            above: Some(d("1")),
            below: Some(d("5")),
            ..Comparison::default()
        }),
        discount_pct: Some(at_least("10")),
        ..Selector::default()
    };
    let b = Selector {
        price: Some(Comparison {
            above: Some(d("2")),
            below: Some(d("9")),
            at_most: Some(d("4")),
            ..Comparison::default()
        }),
        discount_pct: Some(Comparison {
            at_least: Some(d("25")),
            at_most: Some(d("50")),
            ..Comparison::default()
        }),
        ..Selector::default()
    };
    let both = both_orders(&a, &b);
    let price = both.price.expect("price");
    assert_eq!(
        (price.above, price.below, price.at_least, price.at_most),
        (Some(d("2")), Some(d("5")), None, Some(d("4")))
    );
    let discount = both.discount_pct.expect("discount");
    assert_eq!(
        (discount.at_least, discount.at_most),
        (Some(d("25")), Some(d("50")))
    );
}

#[test]
fn the_longer_lowest_in_days_and_the_stricter_drop_win() {
    let short = Selector {
        lowest_in_days: Some(14),
        price_drop_pct: Some(PriceDrop {
            cmp: at_least("10"),
            days: 30,
        }),
        ..Selector::default()
    };
    let long = Selector {
        lowest_in_days: Some(60),
        price_drop_pct: Some(PriceDrop {
            cmp: at_least("25"),
            days: 30,
        }),
        ..Selector::default()
    };
    let both = both_orders(&short, &long);
    assert_eq!(both.lowest_in_days, Some(60));
    assert_eq!(
        both.price_drop_pct,
        Some(PriceDrop {
            cmp: at_least("25"),
            days: 30
        })
    );
}

#[test]
fn drops_over_different_windows_keep_the_shorter_one_and_say_so() {
    let a = Selector {
        price_drop_pct: Some(PriceDrop {
            cmp: at_least("10"),
            days: 30,
        }),
        ..Selector::default()
    };
    let b = Selector {
        price_drop_pct: Some(PriceDrop {
            cmp: at_least("20"),
            days: 7,
        }),
        ..Selector::default()
    };
    let want = Some(PriceDrop {
        cmp: at_least("20"),
        days: 7,
    });
    assert_eq!(a.intersect(&b).price_drop_pct, want);
    assert_eq!(b.intersect(&a).price_drop_pct, want);
    assert_eq!(a.conflicts(&b), ["price_drop_pct"]);
    assert_eq!(b.conflicts(&a), ["price_drop_pct"]);
}

#[test]
fn words_and_labels_add_up_without_repeats() {
    let a = Selector {
        name_words: strings(&["sun", "cream"]),
        name: Some("sun cream".into()),
        labels: strings(&["organic", "vegan"]),
        ..Selector::default()
    };
    let b = Selector {
        name_words: strings(&["spf", "cream"]),
        name: Some("spf cream".into()),
        labels: strings(&["vegan", "fairtrade"]),
        ..Selector::default()
    };
    let ab = a.intersect(&b);
    assert_eq!(ab.name_words, strings(&["sun", "cream", "spf"]));
    assert_eq!(ab.name.as_deref(), Some("sun cream spf cream"));
    assert_eq!(ab.labels, strings(&["organic", "vegan", "fairtrade"]));
    let ba = b.intersect(&a);
    assert_eq!(ba.name_words, strings(&["spf", "cream", "sun"]));
    assert_eq!(ba.name.as_deref(), Some("spf cream sun cream"));
    assert_eq!(ba.labels, strings(&["vegan", "fairtrade", "organic"]));
    assert_eq!(a.conflicts(&b), Vec::<&str>::new());
    // The same name twice is not repeated.
    assert_eq!(a.intersect(&a).name.as_deref(), Some("sun cream"));
}

#[test]
fn flags_that_disagree_keep_true_and_are_named() {
    let yes = Selector {
        on_sale: Some(true),
        available: Some(true),
        new: Some(true),
        back_in_stock: Some(true),
        ..Selector::default()
    };
    let no = Selector {
        on_sale: Some(false),
        available: Some(false),
        new: Some(false),
        back_in_stock: Some(false),
        ..Selector::default()
    };
    for (a, b) in [(&yes, &no), (&no, &yes)] {
        let both = a.intersect(b);
        assert_eq!(
            (both.on_sale, both.available, both.new, both.back_in_stock),
            (Some(true), Some(true), Some(true), Some(true))
        );
        assert_eq!(
            a.conflicts(b),
            ["on_sale", "available", "new", "back_in_stock"]
        );
    }
    assert_eq!(both_orders(&no, &no), no);
}

#[test]
fn different_single_values_keep_self_and_are_named() {
    let a = full();
    let b = Selector {
        feed: Some("other".into()),
        id: Some("sku-2".into()),
        gtin: Some("00000000000017".into()),
        brand: Some("shady".into()),
        category: Some("pasta".into()),
        ..Selector::default()
    };
    let singles = |s: Selector| (s.feed, s.id, s.gtin, s.brand, s.category);
    assert_eq!(singles(a.intersect(&b)), singles(a.clone()));
    assert_eq!(singles(b.intersect(&a)), singles(b.clone()));
    for (x, y) in [(&a, &b), (&b, &a)] {
        assert_eq!(x.conflicts(y), ["feed", "id", "gtin", "brand", "category"]);
    }
}

#[test]
fn any_of_lists_keep_what_they_share() {
    let a = Selector {
        contains: strings(&["palm-oil", "gluten"]),
        allergens: strings(&["peanuts"]),
        ..Selector::default()
    };
    let same = Selector {
        contains: strings(&["gluten", "palm-oil"]),
        allergens: strings(&["peanuts"]),
        ..Selector::default()
    };
    assert_eq!(a.intersect(&same).contains, a.contains);
    assert_eq!(a.conflicts(&same), Vec::<&str>::new());

    // One of the shared entries satisfies both lists (but a product with
    // gluten and soy would satisfy both too: not exact).
    let overlap = Selector {
        contains: strings(&["gluten", "soy"]),
        allergens: strings(&["milk"]),
        ..Selector::default()
    };
    for (x, y) in [(&a, &overlap), (&overlap, &a)] {
        assert_eq!(x.intersect(y).contains, strings(&["gluten"]));
        assert_eq!(
            x.intersect(y).allergens,
            x.allergens,
            "nothing shared: self's"
        );
        assert_eq!(x.conflicts(y), ["contains", "allergens"]);
    }
}

#[test]
fn comparisons_intersect_exactly() {
    let a = Comparison {
        above: Some(1),
        below: Some(10),
        at_least: None,
        at_most: Some(8),
    };
    let b = Comparison {
        above: Some(3),
        below: Some(12),
        at_least: Some(2),
        at_most: None,
    };
    let both = a.intersect(&b);
    assert_eq!(both, b.intersect(&a));
    for v in -1..15 {
        assert_eq!(both.holds(v), a.holds(v) && b.holds(v), "{v}");
    }
}

#[test]
fn every_key_is_described_in_the_rules_files_order() {
    let keys: Vec<&str> = full().describe_keys().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, SELECTOR_KEYS);
    let empty = Selector::default().describe_keys();
    assert_eq!(empty, [("in", "\"catalog\"".to_string())]);
}

#[test]
fn the_display_is_a_toml_table_with_every_key() {
    assert_eq!(
        full().to_string(),
        "{ in = \"basket\", feed = \"grocer\", id = \"sku-1\", gtin = \"05012345678900\", \
         name = \"sun cream\", brand = \"sunny\", category = \"sun care\", \
         price = { below = 9.50 }, discount_pct = { at_least = 10 }, on_sale = true, \
         available = false, contains = [\"palm oil\"], allergens = [\"peanuts\"], \
         labels = [\"organic\"], lowest_in_days = 30, \
         price_drop_pct = { at_least = 20, days = 14 }, new = false, back_in_stock = true, \
         unit_price = { below = 18.00, per = \"kg\" }, at_store = [\"1234\"], pickup = true }"
    );
}

#[test]
fn the_display_reads_back_as_the_same_selector() {
    let rules = |selector: &str| {
        format!(
            "[feeds.grocer]\nkind = \"json\"\nurl = \"http://127.0.0.1:9/g.json\"\n\
             [[rule]]\nname = \"Watch\"\nmatch = {selector}\nnotify = true\n"
        )
    };
    let original = full().to_string();
    let set = parse_str(Path::new("rules.toml"), &rules(&original))
        .unwrap_or_else(|e| panic!("{original}: {e}"));
    let read = set.rules[0].selector.clone().expect("a match");
    assert_eq!(read, full());
    assert_eq!(read.to_string(), original);
}
