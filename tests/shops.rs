//! Real shops (issue 14): `kind = "shopify"` and `kind = "woocommerce"` read
//! page by page from the loopback server, against real answers recorded from
//! public shops (tests/fixtures/shopify/, tests/fixtures/woocommerce/);
//! `basket feeds add` telling the six kinds apart and appending its table with
//! the rest of the rules file kept byte for byte; `basket watch`; `feeds list`
//! and `feeds show` in every format; and every bad input of the issue.

use serde_json::{json, Value};

use crate::support::{Reply, TestEnv, TestServer};

const NOW: &str = "2026-10-04T09:00:00Z";

const ALLBIRDS: &str = "shopify/allbirds-products-json-limit2-compare-at-sold-out.json";
const NILKAMAL: &str = "shopify/nilkamal-products-json-featured-image-objects.json";
const PENDANT: &str = "shopify/makemesurprise-product-js-cents-compare-at-EXTRACTED.json";
const HICHAM: &str = "woocommerce/hichamwootest-store-api-usd-minor-unit-3-EXTRACTED.json";
const MARILYN: &str = "woocommerce/marilynhellman-store-api-raw-html-entities-TRANSCRIBED.json";
const BAREFOOT: &str =
    "woocommerce/barefootbuttons-store-api-per-page-2-variation-without-price.json";

/// Shopify's page `n` of `/products.json`.
fn shopify_page(n: u32) -> String {
    format!("/products.json?limit=250&page={n}")
}

/// WooCommerce's page `n` of the Store API.
fn woo_page(n: u32) -> String {
    format!("/wp-json/wc/store/v1/products?per_page=100&page={n}")
}

const EMPTY_SHOPIFY: &str = r#"{"products":[]}"#;

/// A rules file with one feed of `kind` at `url` (relative to the server).
fn env_with_feed(server: &TestServer, kind: &str, extra: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.set_now(NOW);
    env.write_rules(&server.expand(&format!(
        "[settings]\ncurrency = \"GBP\"\n\n[feeds.shop]\nkind = \"{kind}\"\nurl = \"$SERVER\"\n{extra}"
    )));
    env
}

/// `text` with the server's base URL written `$SERVER`, for snapshots.
fn unserve(server: &TestServer, text: &str) -> String {
    text.replace(&server.base_url(), "$SERVER")
}

fn show_json(env: &TestEnv) -> Value {
    let out = env.run(&["feeds", "show", "shop", "--format", "json"]);
    out.assert_ok();
    out.json()
}

fn product<'a>(shown: &'a Value, id: &str) -> &'a Value {
    shown["products"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["id"] == id))
        .unwrap_or_else(|| panic!("no product {id} in {shown}"))
}

#[test]
fn shopify_pages_of_real_shops_become_one_product_per_variant() {
    let server = TestServer::start();
    server.set(&shopify_page(1), Reply::fixture(ALLBIRDS));
    server.set(&shopify_page(2), Reply::fixture(NILKAMAL));
    server.set(&shopify_page(3), Reply::json(EMPTY_SHOPIFY));
    let env = env_with_feed(&server, "shopify", "");
    let shown = show_json(&env);
    // 13 + 13 variants of allbirds, 5 + 1 of nilkamal; page 3 is empty, page 4 never asked.
    assert_eq!(shown["products"].as_array().map(Vec::len), Some(32));
    assert_eq!(shown["skipped"], 0);
    assert_eq!(server.hits(&shopify_page(3)), 1);
    assert_eq!(server.hits(&shopify_page(4)), 0);
    let base = server.base_url();
    let strider = product(&shown, "41243839496272");
    assert_eq!(strider["feed"], "shop");
    assert_eq!(
        strider["name"],
        "Men's Strider - Medium Grey (Blizzard Sole) - 8"
    );
    assert_eq!(strider["brand"], "Allbirds");
    assert_eq!(strider["categories"][0], "Shoes");
    assert_eq!(
        strider["categories"][1],
        "allbirds::carbon-score => undefined"
    );
    assert_eq!(strider["price"], "91.00");
    assert_eq!(strider["regular_price"], "130.00");
    assert_eq!(strider["currency"], "GBP");
    assert_eq!(strider["availability"], "out_of_stock");
    assert_eq!(strider["gtin"], Value::Null);
    // Issue 15: Shopify's `grams` is the variant's size.
    assert_eq!(strider["size"]["unit"], "g", "{strider}");
    assert!(
        strider["size"]["amount"]
            .as_str()
            .is_some_and(|a| a.parse::<u32>().is_ok_and(|g| g > 0)),
        "{strider}"
    );
    assert_eq!(strider["unit_price"]["per"], "kg", "{strider}");
    assert_eq!(
        strider["url"],
        format!("{base}/products/mens-strider-medium-grey?variant=41243839496272")
    );
    let cabinet = product(&shown, "40398049083481");
    // "Default Title" is not part of the name.
    assert_eq!(
        cabinet["name"],
        "Nilkamal Ardor Shoe Cabinet (Oak/Frosty White)"
    );
    assert_eq!(cabinet["brand"], "Nilkamal Furniture");
    assert_eq!(cabinet["price"], "6390.00");
    assert_eq!(cabinet["regular_price"], "16900.00");
    assert_eq!(cabinet["availability"], "in_stock");
    assert_eq!(cabinet["categories"][0], "Home Furniture");
    let in_stock = shown["products"].as_array().map(|ps| {
        ps.iter()
            .filter(|p| p["availability"] == "in_stock")
            .count()
    });
    // Allbirds: 1 of 26; nilkamal: blue and yellow of 5, and the cabinet.
    assert_eq!(in_stock, Some(4));
}

#[test]
fn a_shopify_product_url_reads_its_js_answer_in_cents() {
    let server = TestServer::start();
    server.set("/products/pendant.js", Reply::fixture(PENDANT));
    let mut env = TestEnv::new();
    env.set_now(NOW);
    env.write_rules(&server.expand(
        "[settings]\ncurrency = \"USD\"\n\n[feeds.shop]\nkind = \"shopify\"\nurl = \"$SERVER/products/pendant\"\n",
    ));
    let shown = show_json(&env);
    let products = shown["products"].as_array().expect("a list");
    assert_eq!(products.len(), 18);
    let golden = &products[0];
    assert_eq!(golden["id"], "40132025123022");
    assert!(golden["name"].as_str().is_some_and(
        |n| n.starts_with("Custom Cute Baby Face") && n.ends_with(" - Golden / Case only")
    ));
    assert_eq!(golden["price"], "15.95");
    assert_eq!(golden["regular_price"], "19.95");
    assert_eq!(golden["currency"], "USD");
    assert_eq!(golden["brand"], "makemesurprise");
    assert_eq!(golden["categories"][0], "Ornament");
    // The "Case and Insert" variants have no compare-at price.
    let insert = products
        .iter()
        .find(|p| {
            p["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("Case and Insert"))
        })
        .expect("a case-and-insert variant");
    assert_eq!(insert["price"], "29.95");
    assert_eq!(insert["regular_price"], Value::Null);
    assert_eq!(server.hits("/products.json"), 0);
}

#[test]
fn woocommerce_store_api_prices_are_minor_units_of_their_currency() {
    let server = TestServer::start();
    server.set(&woo_page(1), Reply::fixture(HICHAM));
    let env = env_with_feed(&server, "woocommerce", "");
    let shown = show_json(&env);
    assert_eq!(shown["products"].as_array().map(Vec::len), Some(10));
    // A short page is the last: page 2 is never asked.
    assert_eq!(server.hits(&woo_page(2)), 0);
    let single = product(&shown, "52");
    assert_eq!(single["name"], "Single");
    // currency_minor_unit 3: "2000" is 2.000, not 20.00.
    assert_eq!(single["price"], "2.00");
    assert_eq!(single["regular_price"], "3.00");
    assert_eq!(single["currency"], "USD");
    assert_eq!(single["availability"], "in_stock");
    assert_eq!(single["categories"], json!(["Music"]));
    assert_eq!(
        single["url"],
        "https://hichamwootest.wpcomstaging.com/product/single/"
    );
    let hoodie = product(&shown, "47");
    assert_eq!(hoodie["price"], "35.00");
    assert_eq!(hoodie["regular_price"], "45.00");
    let polo = product(&shown, "50");
    assert_eq!(polo["regular_price"], Value::Null);
}

#[test]
fn woocommerce_names_lose_their_entities_and_variable_products_say_from() {
    let server = TestServer::start();
    server.set(&woo_page(1), Reply::fixture(MARILYN));
    let env = env_with_feed(&server, "woocommerce", "");
    let shown = show_json(&env);
    let first = &shown["products"][0];
    assert_eq!(
        first["name"],
        "Marilyn\u{2019}s Medium Size Pearl  Necklace"
    );
    assert_eq!(first["price"], "229.00");
    assert_eq!(first["currency"], "USD");
    assert_eq!(first["labels"], json!(["lowest-variation-price"]));
    assert!(first["categories"]
        .as_array()
        .is_some_and(|c| c.contains(&json!("Accessories"))));

    server.set(&woo_page(1), Reply::fixture(BAREFOOT));
    let out = env.run(&["feeds", "show", "shop"]);
    out.assert_ok();
    insta::assert_snapshot!(env.normalize(&out.streams()));
}

/// `n` WooCommerce products (ids from `first`), a full page of the Store API.
fn woo_products(first: usize, n: usize) -> String {
    let products: Vec<Value> = (first..first + n)
        .map(|id| {
            json!({"id": id, "name": format!("Item {id}"), "type": "simple",
                   "permalink": format!("https://wp.example/p/{id}/"), "sku": "",
                   "prices": {"price": "1234", "regular_price": "1234",
                              "currency_code": "EUR", "currency_minor_unit": 2},
                   "is_in_stock": true, "categories": [{"id": 1, "name": "Things"}]})
        })
        .collect();
    Value::Array(products).to_string()
}

#[test]
fn woocommerce_pages_run_to_x_wp_totalpages() {
    let server = TestServer::start();
    for n in 1..=3 {
        server.set(
            &woo_page(n),
            Reply::json(woo_products(n as usize * 1000, 100))
                .with_header("X-WP-Total", "300")
                .with_header("X-WP-TotalPages", "3"),
        );
    }
    // What WordPress answers past the last page.
    server.set(
        &woo_page(4),
        Reply::new(
            400,
            "application/json",
            r#"{"code":"rest_post_invalid_page_number","message":"The page number requested is larger than the number of pages available.","data":{"status":400}}"#,
        ),
    );
    let env = env_with_feed(&server, "woocommerce", "");
    let shown = show_json(&env);
    assert_eq!(shown["products"].as_array().map(Vec::len), Some(300));
    assert_eq!(shown["warnings"], json!([]));
    assert_eq!(product(&shown, "3099")["price"], "12.34");
    assert_eq!(server.hits(&woo_page(4)), 1);
}

/// A Shopify page of `products` products with `variants` variants each, ids
/// from `first`.
fn shopify_products(first: usize, products: usize, variants: usize) -> String {
    let list: Vec<Value> = (first..first + products)
        .map(|id| {
            let vs: Vec<Value> = (0..variants)
                .map(|v| {
                    json!({"id": id * 100 + v, "title": format!("Size {v}"), "price": "9.50",
                                "compare_at_price": null, "available": true})
                })
                .collect();
            json!({"id": id, "title": format!("Shirt {id}"), "handle": format!("shirt-{id}"),
                   "vendor": "Acme", "product_type": "Shirts", "tags": [], "variants": vs})
        })
        .collect();
    json!({ "products": list }).to_string()
}

#[test]
fn three_shopify_pages_then_an_empty_one() {
    let server = TestServer::start();
    for n in 1..=3 {
        server.set(
            &shopify_page(n),
            Reply::json(shopify_products(n as usize * 10, 2, 2)),
        );
    }
    server.set(&shopify_page(4), Reply::json(EMPTY_SHOPIFY));
    let env = env_with_feed(&server, "shopify", "");
    let shown = show_json(&env);
    assert_eq!(shown["products"].as_array().map(Vec::len), Some(12));
    assert_eq!(shown["products"][11]["id"], "3101");
    assert_eq!(
        (server.hits(&shopify_page(4)), server.hits(&shopify_page(5))),
        (1, 0)
    );
    // Each page is cached and revalidated like any feed: offline, all of it is there.
    let out = env.run(&["feeds", "show", "shop", "--offline", "--format", "csv"]);
    out.assert_ok();
    assert_eq!(out.stdout.lines().count(), 13);
}

#[test]
fn a_50_000_variant_shop_is_read_page_by_page() {
    let server = TestServer::start();
    for n in 1..=10 {
        server.set(
            &shopify_page(n),
            Reply::json(shopify_products(n as usize * 1000, 250, 20)),
        );
    }
    server.set(&shopify_page(11), Reply::json(EMPTY_SHOPIFY));
    let env = env_with_feed(&server, "shopify", "");
    let out = env.run(&["feeds", "show", "shop", "--limit", "2"]);
    out.assert_ok();
    assert!(
        out.stdout
            .ends_with("2 of 50,000 products, 0 records skipped\n"),
        "{}",
        out.streams()
    );
}

#[test]
fn max_pages_cuts_with_a_warning() {
    let server = TestServer::start();
    for n in 1..=5 {
        server.set(
            &shopify_page(n),
            Reply::json(shopify_products(n as usize * 10, 1, 1)),
        );
    }
    let env = env_with_feed(&server, "shopify", "max_pages = 2\n");
    let out = env.run(&["feeds", "show", "shop", "--format", "json"]);
    out.assert_ok();
    assert_eq!(
        out.json()["warnings"],
        json!(["stopped after 2 pages (max_pages); the shop may list more: raise max_pages in the feed's table to read them"])
    );
    assert_eq!(server.hits(&shopify_page(3)), 0);
}

#[test]
fn endless_pagination_ends_at_the_first_repeated_page() {
    let server = TestServer::start();
    // A shop that ignores `page=`: every page is the first.
    server.set("/products.json", Reply::fixture(ALLBIRDS));
    let env = env_with_feed(&server, "shopify", "");
    let out = env.run(&["feeds", "show", "shop", "--limit", "1"]);
    out.assert_ok();
    insta::assert_snapshot!(env.normalize(&unserve(&server, &out.streams())));
    assert_eq!(server.hits("/products.json"), 2);
}

#[test]
fn a_closed_or_password_protected_shop_is_a_failed_feed_that_says_so() {
    let server = TestServer::start();
    server.set(
        "/products.json",
        Reply::html("<!doctype html><title>Opening soon</title><form action=/password>"),
    );
    let env = env_with_feed(&server, "shopify", "");
    let html = env.run(&["feeds", "show", "shop"]);
    html.assert_code(1);
    server.set("/products.json", Reply::status(401, "Unauthorized"));
    // A fresh cache: a cached copy would stand in for the 401.
    let env = env_with_feed(&server, "shopify", "");
    let unauthorized = env.run(&["feeds", "show", "shop"]);
    unauthorized.assert_code(1);
    // A password-protected Shopify shop redirects its storefront to /password.
    server.set(
        "/products.json",
        Reply::status(302, "").with_header("Location", "/password"),
    );
    server.set(
        "/password",
        Reply::html("<html><body>Enter store using password</body></html>"),
    );
    let env = env_with_feed(&server, "shopify", "");
    let redirected = env.run(&["feeds", "show", "shop"]);
    redirected.assert_code(1);
    assert_eq!(server.hits("/password"), 1);
    insta::assert_snapshot!(unserve(
        &server,
        &format!(
            "{}\n{}\n{}",
            html.streams(),
            unauthorized.streams(),
            redirected.streams()
        )
    ));
}

#[test]
fn bad_pages_name_the_page_and_bad_variants_are_skipped_and_counted() {
    let server = TestServer::start();
    let page = json!({"products": [
        {"id": 1, "title": "No variants", "handle": "none", "variants": []},
        {"id": 2, "title": "Tea", "handle": "tea", "vendor": "Leaf", "variants": [
            {"id": 21, "title": "Default Title", "price": null, "available": true},
            {"id": 22, "title": "Big", "price": "abc", "available": true},
            {"id": 23, "title": "Small", "price": "3.20", "available": true}
        ]}
    ]});
    server.set(&shopify_page(1), Reply::json(page.to_string()));
    server.set(&shopify_page(2), Reply::json(shopify_products(100, 1, 1)));
    // Page 3 is missing.
    let env = env_with_feed(&server, "shopify", "");
    let missing = env.run(&["feeds", "show", "shop"]);
    missing.assert_code(1);
    server.set(&shopify_page(3), Reply::json(EMPTY_SHOPIFY));
    let skipped = env.run(&["feeds", "show", "shop", "--format", "json"]);
    skipped.assert_ok();
    // Ten megabytes of garbage where JSON should be.
    let mut garbage = String::from("{\"products\": [");
    while garbage.len() < 10 * 1024 * 1024 {
        garbage.push_str("{\"id\": 1, \"title\": \"x\", \"variants\": [}, ");
    }
    server.set(&shopify_page(1), Reply::json(garbage));
    let broken = env.run(&["feeds", "show", "shop"]);
    broken.assert_code(1);
    insta::assert_snapshot!(unserve(
        &server,
        &format!(
            "{}\n{}\n{}",
            missing.streams(),
            skipped.streams(),
            broken.streams()
        )
    ));
}

#[test]
fn woocommerce_answering_html_is_a_failed_feed_in_check_and_the_others_carry_on() {
    let server = TestServer::start();
    server.set(
        &woo_page(1),
        Reply::html("<html><body>Maintenance</body></html>"),
    );
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    let env = env_with_feed(
        &server,
        "woocommerce",
        "\n[feeds.grocer]\nkind = \"json\"\nurl = \"$SERVER/grocer.json\"\n\n[[rule]]\nname = \"Tea\"\nmatch = { name = \"tea\" }\nnotify = true\n",
    );
    let env = {
        let mut env = env;
        env.write_rules(&server.expand(&env.read_rules()));
        // Wide enough that no URL is wrapped (the server's port varies in length).
        env.set_env("COLUMNS", "200");
        env
    };
    let out = env.run(&["check", "--no-input"]);
    out.assert_ok();
    assert!(
        out.stderr.contains("feed 'shop': page 1: the shop answered with an HTML page, not its woocommerce product list: it is password-protected or closed, or not a woocommerce shop; rules that need it were skipped"),
        "{}",
        out.streams()
    );
    let list = env.run(&["feeds", "list"]);
    list.assert_ok();
    insta::assert_snapshot!(unserve(&server, &list.streams()));
}
