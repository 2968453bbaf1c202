//! Sizes and unit prices, end to end (issue 15): every source of a size, the
//! `unit_price` selector, `prefer = "cheapest_per_unit"` in add and swap,
//! `--explain` for products of unknown size, and the bad measures.

use crate::support::{Reply, TestEnv, TestServer};

/// Coffee beans of three sizes and one whose size no one gave.
const BEANS: &str = r#"[
  {"id": "B1", "name": "House Beans 1kg", "price": "15.00", "currency": "GBP", "availability": "in_stock"},
  {"id": "B2", "name": "Single Origin Beans 250g", "price": "5.00", "currency": "GBP", "availability": "in_stock"},
  {"id": "B3", "name": "Mystery Beans", "price": "3.00", "currency": "GBP", "availability": "in_stock"},
  {"id": "B4", "name": "Espresso Beans", "size": "500 g", "price": "8.50", "currency": "GBP", "availability": "in_stock"}
]"#;

fn world(feed: &str, rules: &str) -> (TestEnv, TestServer) {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set("/shop.json", Reply::json(feed));
    env.write_rules(&server.expand(rules));
    (env, server)
}

fn proposed(out: &crate::support::Output) -> Vec<(String, String)> {
    out.assert_ok();
    out.json()["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .map(|p| {
            let unit = &p["product"]["unit_price"];
            (
                p["product"]["id"].as_str().unwrap_or_default().to_string(),
                match unit["amount"].as_str() {
                    Some(a) => format!("{a}/{}", unit["per"].as_str().unwrap_or_default()),
                    None => "unknown".to_string(),
                },
            )
        })
        .collect()
}

#[test]
fn coffee_beans_under_18_a_kilo_the_cheapest_per_kilo_first() {
    let (env, _server) = world(
        BEANS,
        r#"
[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "Beans under 18 a kilo"
match = { name = "beans", unit_price = { below = "18.00", per = "kg" } }
add = { limit = 3, prefer = "cheapest_per_unit" }
"#,
    );
    let out = env.run(&["check", "--dry-run"]);
    insta::assert_snapshot!(env.normalize(&out.streams()));
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    assert_eq!(
        proposed(&out),
        [
            ("B1".to_string(), "15.00/kg".to_string()),
            ("B4".to_string(), "17.00/kg".to_string()),
        ]
    );
}

#[test]
fn cheapest_per_unit_puts_unknown_sizes_last() {
    let (env, _server) = world(
        BEANS,
        r#"
[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "Any beans"
match = { name = "beans" }
add = { limit = 4, prefer = "cheapest_per_unit" }
"#,
    );
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    let ids: Vec<String> = proposed(&out).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["B1", "B4", "B2", "B3"]);
}

#[test]
fn a_unit_price_per_100g_and_explain_on_unknown_sizes() {
    let (env, _server) = world(
        r#"[
  {"id": "M1", "name": "Mystery Beans", "price": "3.00", "currency": "GBP"},
  {"id": "M2", "name": "More Mystery Beans", "price": "4.00", "currency": "GBP"}
]"#,
        r#"
[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "Cheap per 100g"
match = { name = "beans", unit_price = { at_most = "1.50", per = "100g" } }
add = {}
"#,
    );
    let out = env.run(&["check", "--dry-run", "--explain"]);
    insta::assert_snapshot!(env.normalize(&out.streams()));
}

/// The palm-oil swap, by price per kilo: the big jar is dearer but cheaper a kilo.
#[test]
fn swap_prefers_the_cheapest_per_kilo() {
    let feed = r#"[
  {"id": "S1", "name": "Choco spread 400g", "price": "2.80", "currency": "GBP", "availability": "in_stock",
   "categories": "Food > Spreads", "contains": ["palm-oil"]},
  {"id": "S2", "name": "Nocciolata 270g", "price": "3.50", "currency": "GBP", "availability": "in_stock",
   "categories": "Food > Spreads", "free_from": ["palm-oil"]},
  {"id": "S3", "name": "Hazelnut Spread 750g", "price": "6.00", "currency": "GBP", "availability": "in_stock",
   "categories": "Food > Spreads", "free_from": ["palm-oil"]},
  {"id": "S4", "name": "Nut spread", "price": "1.00", "currency": "GBP", "availability": "in_stock",
   "categories": "Food > Spreads", "free_from": ["palm-oil"]}
]"#;
    let (env, _server) = world(
        feed,
        r#"
[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "No palm oil, best per kilo"
match = { contains = ["palm-oil"] }
swap = { without = ["palm-oil"], keep = ["category"], prefer = "cheapest_per_unit" }
"#,
    );
    env.run(&["add", "shop/S1"]).assert_ok();
    let out = env.run(&["check", "--dry-run"]);
    insta::assert_snapshot!(env.normalize(&out.streams()));
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    assert_eq!(proposed(&out), [("S3".to_string(), "8.00/kg".to_string())]);
}

/// Every source of a size: Merchant unit pricing (which wins over the name),
/// a page's UnitPriceSpecification, a JSON `size` (text and object), a CSV
/// `size` column, and the name.
#[test]
fn every_size_source_gives_its_size() {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set(
        "/water.xml",
        Reply::fixture("google-merchant/unit-pricing-a3distributor-water-litres.xml"),
    );
    server.set(
        "/page.html",
        Reply::html(
            r#"<html><head><script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "Ground Coffee", "sku": "GC-1",
 "offers": {"@type": "Offer", "price": "3.52", "priceCurrency": "GBP", "availability": "https://schema.org/InStock",
   "priceSpecification": [
     {"@type": "UnitPriceSpecification", "price": "3.52", "priceCurrency": "GBP"},
     {"@type": "UnitPriceSpecification", "price": "8.80", "priceCurrency": "GBP",
      "referenceQuantity": {"@type": "QuantitativeValue", "value": "1", "unitCode": "KGM"}}]}}
</script></head><body></body></html>"#,
        ),
    );
    server.set(
        "/shop.json",
        Reply::json(
            r#"[
  {"id": "J1", "name": "Oat drink", "size": "1.5 l", "price": "2.25", "currency": "GBP"},
  {"id": "J2", "name": "Rice", "size": {"amount": "2", "unit": "kg"}, "price": "3.00", "currency": "GBP"},
  {"id": "J3", "name": "Cat Food Pouches in Gravy 12 x 85g", "price": "5.10", "currency": "GBP"},
  {"id": "J4", "name": "Chelsea Boot Black, Size 42", "price": "14.50", "currency": "GBP"}
]"#,
        ),
    );
    server.set(
        "/shop.csv",
        Reply::csv("id,name,size,price,currency\nC1,Wine,75 cl,9.00,GBP\nC2,Eggs,6 ct,1.80,GBP\n"),
    );
    env.write_rules(&server.expand(
        r#"
[settings]
currency = "GBP"

[feeds.water]
kind = "merchant"
url = "$SERVER/water.xml"
currency = "INR"

[feeds.page]
kind = "page"
url = "$SERVER/page.html"

[feeds.json]
kind = "json"
url = "$SERVER/shop.json"

[feeds.csv]
kind = "csv"
url = "$SERVER/shop.csv"

[[rule]]
name = "Everything"
match = {}
add = { limit = 50 }
"#,
    ));
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    out.assert_ok();
    let mut lines = Vec::new();
    for p in out.json()["proposals"].as_array().expect("proposals") {
        let p = &p["product"];
        let id = format!(
            "{}/{}",
            p["feed"].as_str().unwrap_or(""),
            p["id"].as_str().unwrap_or("")
        );
        if p["feed"] == "water" && !p["id"].as_str().unwrap_or("").starts_with("bisleri") {
            continue;
        }
        lines.push(format!(
            "{id}: size {} {}, unit price {} per {}",
            p["size"]["amount"].as_str().unwrap_or("-"),
            p["size"]["unit"].as_str().unwrap_or("-"),
            p["unit_price"]["amount"].as_str().unwrap_or("-"),
            p["unit_price"]["per"].as_str().unwrap_or("-"),
        ));
    }
    lines.sort();
    insta::assert_snapshot!(lines.join("\n"));
}

/// Bad measures: each a warning naming the feed and the item; the product
/// kept (without that size), the rest of the run unharmed.
#[test]
fn bad_unit_pricing_measures_are_warnings_not_failures() {
    let env = TestEnv::new();
    let server = TestServer::start();
    let item = |id: &str, measure: &str, base: &str| {
        format!(
            "<item><g:id>{id}</g:id><g:title>Water {id}</g:title><g:price>1.00 GBP</g:price>\
             <g:availability>in_stock</g:availability>\
             <g:unit_pricing_measure>{measure}</g:unit_pricing_measure>\
             <g:unit_pricing_base_measure>{base}</g:unit_pricing_base_measure></item>"
        )
    };
    let feed = |bad: String| {
        format!(
            r#"<?xml version="1.0"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>t</title>{bad}{}</channel></rss>"#,
            item("W4", "750 ml", "100 ml"),
        )
    };
    server.set(
        "/bananas.xml",
        Reply::xml(feed(item("W1", "750 bananas", "1 kg"))),
    );
    server.set("/zero.xml", Reply::xml(feed(item("W2", "0 ml", "1 l"))));
    server.set("/kilos.xml", Reply::xml(feed(item("W3", "750 ml", "1 kg"))));
    server.set(
        "/shop.json",
        Reply::json(r#"[{"id": "J1", "name": "Odd", "size": "750 bananas", "price": "1.00", "currency": "GBP"},
                        {"id": "J2", "name": "Fine 1L", "price": "1.00", "currency": "GBP"}]"#),
    );
    env.write_rules(&server.expand(
        r#"
[settings]
currency = "GBP"

[feeds.bananas]
kind = "merchant"
url = "$SERVER/bananas.xml"

[feeds.zero]
kind = "merchant"
url = "$SERVER/zero.xml"

[feeds.kilos]
kind = "merchant"
url = "$SERVER/kilos.xml"

[feeds.json]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "Per litre"
match = { unit_price = { below = "5.00", per = "l" } }
add = { limit = 10 }
"#,
    ));
    let out = env.run(&["check", "--dry-run"]);
    insta::assert_snapshot!(env.normalize(&out.streams()));
}

#[test]
fn a_unit_price_without_per_or_with_an_unknown_per_is_a_rules_error() {
    let env = TestEnv::new();
    env.write_rules(
        r#"
[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "shop.json"

[[rule]]
name = "No per"
match = { unit_price = { below = "18.00" } }
add = {}

[[rule]]
name = "Per kilo, spelt out"
match = { unit_price = { below = "18.00", per = "kgs" } }
add = { prefer = "cheapest_per_unti" }
"#,
    );
    let out = env.run(&["rules", "check"]);
    insta::assert_snapshot!(env.normalize(&out.streams()));
}

/// `basket prices --per-unit`: the history of a watched product per kilo.
#[test]
fn prices_per_unit_charts_the_price_per_kilo() {
    let rules = r#"
[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "Beans"
match = { name = "beans", price = { below = "1.00" } }
add = {}
"#;
    let (mut env, server) = world(
        r#"[{"id": "B1", "name": "House Beans 500g", "price": "8.00", "currency": "GBP"},
            {"id": "B2", "name": "Mystery Beans", "price": "3.00", "currency": "GBP"}]"#,
        rules,
    );
    env.set_now("2026-03-01T09:00:00Z");
    env.run(&["check", "--no-input"]).assert_ok();
    server.set(
        "/shop.json",
        Reply::json(r#"[{"id": "B1", "name": "House Beans 500g", "price": "7.00", "currency": "GBP"},
                        {"id": "B2", "name": "Mystery Beans", "price": "3.00", "currency": "GBP"}]"#),
    );
    env.set_now("2026-03-02T09:00:00Z");
    env.run(&["check", "--no-input"]).assert_ok();
    let out = env.run(&["prices", "shop/B1", "--per-unit", "--format", "csv"]);
    insta::assert_snapshot!(env.normalize(&out.streams()));
    let out = env.run(&["prices", "shop/B1", "--per-unit"]);
    insta::assert_snapshot!("prices_per_unit_table", env.normalize(&out.streams()));
    let out = env.run(&["prices", "shop/B2", "--per-unit"]);
    insta::assert_snapshot!(
        "prices_per_unit_without_a_size",
        env.normalize(&out.streams())
    );
}
