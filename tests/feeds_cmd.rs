//! `basket feeds add`, `basket watch`, `basket feeds list` (issue 14): a URL is
//! told apart among the six kinds basket reads, its table is appended to the
//! rules file with every byte before it kept (compared whole, before and
//! after), and a rules file that cannot take it (a name in use, not TOML,
//! read-only) is refused and left as it was.

use crate::support::{Reply, TestEnv, TestServer};

const NOW: &str = "2026-10-04T09:00:00Z";

/// A rules file whose comments and layout must survive: odd spacing, a
/// trailing comment, a `[[rule]]` last, and no newline at the end.
const RULES: &str = "# My rules: these comments must survive, byte for byte.\n\
[settings]\n\
currency   =   \"GBP\"   # pounds\n\
\n\
# ---- feeds ----\n\
[feeds.grocer]\n\
kind = \"json\"\n\
url = \"$SERVER/grocer.json\"   # the grocer\n\
\n\
[[rule]]\n\
name = \"Tea\"\n\
match = { name = \"tea\" }\n\
notify = true\n\
# the end, without a newline";

fn setup() -> (TestServer, TestEnv) {
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    server.set(
        "/feeds/merchant.xml",
        Reply::fixture("google-merchant/own-grocer-rss.xml"),
    );
    server.set(
        "/feeds/merchant.tsv",
        Reply::new(
            200,
            "text/tab-separated-values",
            "id\ttitle\tprice\tavailability\tlink\n\
             T-1\tGreen tea\t2.10 GBP\tin_stock\thttps://shop.example/t1\n\
             T-2\tBlack tea\t1.90 GBP\tout_of_stock\thttps://shop.example/t2\n",
        ),
    );
    server.set(
        "/tonys/products.json?limit=250&page=1",
        Reply::fixture("shopify/allbirds-products-json-limit2-compare-at-sold-out.json"),
    );
    server.set(
        "/tonys/products.json?limit=250&page=2",
        Reply::json(r#"{"products":[]}"#),
    );
    server.set(
        "/wp/wp-json/wc/store/v1/products?per_page=100&page=1",
        Reply::fixture("woocommerce/hichamwootest-store-api-usd-minor-unit-3-EXTRACTED.json"),
    );
    server.set(
        "/acme/chelsea-boot-black-42",
        Reply::fixture("product-pages/own-chelsea-boot-page.html"),
    );
    server.set("/boots.csv", Reply::fixture("catalog/boots.csv"));
    server.set(
        "/products/pendant.js",
        Reply::fixture("shopify/makemesurprise-product-js-cents-compare-at-EXTRACTED.json"),
    );
    let mut env = TestEnv::new();
    env.set_now(NOW);
    env.write_rules(&server.expand(RULES));
    (server, env)
}

/// `text` with the server's URL as `$SERVER` and the test's directory as `$ROOT`.
fn unserve(server: &TestServer, text: &str) -> String {
    text.replace(&server.base_url(), "$SERVER")
}

#[test]
fn feeds_add_tells_the_six_kinds_apart_and_keeps_the_file_as_it_was() {
    let (server, env) = setup();
    let cases = [
        ("merchant", "/feeds/merchant.xml", "merchant"),
        ("tsv", "/feeds/merchant.tsv", "merchant"),
        ("tonys", "/tonys", "shopify"),
        ("woo", "/wp/", "woocommerce"),
        ("boots", "/acme/chelsea-boot-black-42", "page"),
        ("grocer2", "/grocer.json", "json"),
        ("bootcsv", "/boots.csv", "csv"),
    ];
    let mut shown = String::new();
    for (name, path, kind) in cases {
        let before = env.read_rules();
        let out = env.run(&["feeds", "add", name, &server.url(path)]);
        out.assert_ok();
        let after = env.read_rules();
        let with_newline = if before.ends_with('\n') {
            before.clone()
        } else {
            format!("{before}\n")
        };
        // Everything before the new table is the file as it was, byte for byte.
        let added = after
            .strip_prefix(&with_newline)
            .unwrap_or_else(|| panic!("{name}: the file before the new table changed:\n{after}"));
        assert!(
            added.starts_with(&format!("\n[feeds.{name}]\nkind = \"{kind}\"\n")),
            "{name}: {added}"
        );
        env.run(&["rules", "check"]).assert_ok();
        shown.push_str(&out.streams());
    }
    insta::assert_snapshot!(env.normalize(&unserve(&server, &shown)));
    insta::assert_snapshot!("rules_after_feeds_add", unserve(&server, &env.read_rules()));
}

#[test]
fn feeds_add_says_what_it_tried_when_nothing_fits() {
    let (server, env) = setup();
    server.set("/hello.txt", Reply::status(200, "hello"));
    let before = env.read_rules();
    let out = env.run(&["feeds", "add", "hello", &server.url("/hello.txt")]);
    out.assert_code(1);
    assert_eq!(env.read_rules(), before);
    insta::assert_snapshot!(unserve(&server, &out.streams()));
}

#[test]
fn feeds_add_dry_run_writes_nothing() {
    let (server, env) = setup();
    let before = env.read_rules();
    let out = env.run(&[
        "feeds",
        "add",
        "tonys",
        &server.url("/tonys/products.json"),
        "--kind",
        "shopify",
        "--dry-run",
    ]);
    out.assert_ok();
    assert_eq!(env.read_rules(), before);
    // Only the shop was asked, not the other kinds.
    assert_eq!(server.hits("/tonys/products.json"), 0);
    insta::assert_snapshot!(env.normalize(&unserve(&server, &out.streams())));
}

#[test]
fn feeds_add_refuses_a_name_in_use_a_file_not_toml_and_a_read_only_file() {
    let (server, mut env) = setup();
    let url = server.url("/grocer.json");
    let in_use = env.run(&["feeds", "add", "grocer", &url]);
    in_use.assert_code(2);
    assert_eq!(env.read_rules(), server.expand(RULES));

    let broken = "[settings]\ncurrency = \"GBP\n# a comment\n";
    env.write_rules(broken);
    let not_toml = env.run(&["feeds", "add", "other", &url]);
    not_toml.assert_code(2);
    assert_eq!(env.read_rules(), broken);
    assert_eq!(server.hits("/grocer.json"), 0, "refused before any request");

    env.write_rules(&server.expand(RULES));
    let path = env.rules_path();
    let mut perms = std::fs::metadata(&path).expect("rules").permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).expect("chmod");
    let read_only = env.run(&["feeds", "add", "other", &url]);
    read_only.assert_code(1);
    assert_eq!(env.read_rules(), server.expand(RULES));
    env.set_env("COLUMNS", "100");
    insta::assert_snapshot!(env.normalize(&format!(
        "{}\n{}\n{}",
        in_use.streams(),
        not_toml.streams(),
        read_only.streams()
    )));
}

#[test]
fn watch_writes_a_feed_and_a_rule_that_fires_on_check() {
    let (server, env) = setup();
    let before = env.read_rules();
    let out = env.run(&["watch", &server.url("/products/pendant"), "--below", "18"]);
    out.assert_ok();
    let after = env.read_rules();
    assert!(after.starts_with(&before), "{after}");
    env.run(&["rules", "check"]).assert_ok();
    let check = env.run(&["check", "--no-input", "--format", "json"]);
    check.assert_ok();
    let proposals = check.json()["proposals"].clone();
    let fired: Vec<&str> = proposals
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p["rule"].as_str())
                .filter(|r| r.contains("under"))
                .collect()
        })
        .unwrap_or_default();
    assert!(!fired.is_empty(), "{}", check.streams());
    insta::assert_snapshot!(env.normalize(&unserve(
        &server,
        &format!("{}\n{}", out.streams(), &after[before.len()..])
    )));
}

#[test]
fn watch_a_product_page_with_a_drop_notifies() {
    let (server, env) = setup();
    let before = env.read_rules();
    let out = env.run(&[
        "watch",
        &server.url("/acme/chelsea-boot-black-42"),
        "--drop",
        "20",
        "--notify",
    ]);
    out.assert_ok();
    let after = env.read_rules();
    insta::assert_snapshot!(unserve(&server, &after[before.len()..]));
    env.run(&["rules", "check"]).assert_ok();
}

#[test]
fn feeds_list_shows_each_feeds_last_read_in_every_format() {
    let (server, mut env) = setup();
    env.run(&["feeds", "add", "tonys", &server.url("/tonys")])
        .assert_ok();
    env.run(&["check", "--no-input"]).assert_ok();
    // Two hours later the shop is gone.
    server.unset("/tonys/products.json?limit=250&page=1");
    server.unset("/tonys/products.json");
    env.set_now("2026-10-04T11:00:00Z");
    env.set_env("COLUMNS", "160");
    let table = env.run(&["feeds", "list"]);
    table.assert_ok();
    let json = env.run(&["feeds", "list", "--format", "json"]);
    json.assert_ok();
    let csv = env.run(&["feeds", "list", "--format", "csv"]);
    csv.assert_ok();
    insta::assert_snapshot!(unserve(
        &server,
        &format!("{}\n{}\n{}", table.streams(), json.streams(), csv.streams())
    ));
    let show = env.run(&["feeds", "show", "tonys", "--format", "csv", "--limit", "2"]);
    show.assert_ok();
    insta::assert_snapshot!("feeds_show_csv", unserve(&server, &show.streams()));
}
