use std::io::{BufReader, Read};
use std::str::FromStr;

use chrono::TimeZone;
use rust_decimal::Decimal;

use crate::model::Availability;

use super::fields::*;
use super::*;
use crate::feeds::FeedKind;

const SAMPLE_VALID: &[u8] = include_bytes!(
    "../../../../tests/fixtures/google-merchant/node-product-catalog-feed-sample_valid_feed.xml"
);
const EXAMPLE: &[u8] = include_bytes!(
    "../../../../tests/fixtures/google-merchant/node-product-catalog-feed-example_feed.xml"
);
const ROME_LEGACY: &[u8] = include_bytes!(
    "../../../../tests/fixtures/google-merchant/rome-legacy-googlebase-products2.xml"
);
const OWN_ATOM: &[u8] = include_bytes!("../../../../tests/fixtures/google-merchant/own-atom.xml");
const OWN_PREFIX: &[u8] =
    include_bytes!("../../../../tests/fixtures/google-merchant/own-custom-prefix.xml");
const OWN_TSV: &[u8] = include_bytes!("../../../../tests/fixtures/google-merchant/own-feed.tsv");

fn source() -> FeedSource {
    FeedSource {
        name: "shop".into(),
        kind: FeedKind::Merchant,
        url: "feed.xml".into(),
        currency: None,
        rate_limit: None,
        of: None,
    }
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("test time is RFC 3339")
        .with_timezone(&Utc)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test decimal")
}

/// Runs the parser over `bytes`, collecting what the sink gets.
fn run(bytes: &[u8], now: DateTime<Utc>) -> Result<(Vec<Product>, FeedReport), FeedError> {
    run_with(&source(), bytes, now)
}

fn run_with(
    source: &FeedSource,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<(Vec<Product>, FeedReport), FeedError> {
    let mut products = Vec::new();
    let report = parse(source, bytes, now, &mut |p| products.push(p))?;
    Ok((products, report))
}

fn rss(items: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>t</title>
{items}
</channel></rss>"#
    )
}

#[test]
fn sample_valid_feed_inside_the_sale_range_sells_at_the_sale_price() {
    let (products, report) = run(SAMPLE_VALID, at("2016-02-26T12:00:00Z")).expect("parses");
    assert_eq!((report.records, report.skipped), (2, 0));
    let p = &products[0];
    assert_eq!(p.feed, "shop");
    assert_eq!(p.id, "tddy123uk");
    // Title and link come from the plain RSS elements: there is no g:title/g:link.
    assert_eq!(p.name, "Google Organic Cotton Men's T-Shirt - Blue - M");
    assert_eq!(
        p.url.as_deref(),
        Some("http://www.example.com/writing/google-pens")
    );
    assert_eq!(p.price, Some(dec("10.00")));
    assert_eq!(p.regular_price, Some(dec("15.00")));
    assert_eq!(p.currency.as_deref(), Some("USD"));
    assert!(p.on_sale());
    assert_eq!(p.availability, Some(Availability::InStock));
    assert_eq!(p.brand.as_deref(), Some("Google"));
    assert_eq!(p.gtin.as_deref(), Some("3234567890126"));
    // `&gt;` in g:product_type splits into levels; the numeric category 2271
    // names nothing and is left out.
    assert_eq!(p.categories, ["Home", "Dresses", "Maxi Dresses"]);

    let second = &products[1];
    assert_eq!(second.id, "200");
    assert_eq!(second.price, Some(dec("9.99")));
    assert_eq!(second.currency.as_deref(), Some("EUR"));
    assert_eq!(second.regular_price, None);
    assert_eq!(second.availability, None);
    assert_eq!(
        second.categories,
        [
            "category 1",
            "category 2",
            "Apparel & Accessories",
            "Clothing",
            "Dresses"
        ]
    );
}

#[test]
fn sample_valid_feed_outside_the_sale_range_sells_at_the_regular_price() {
    for now in [
        "2016-02-24T20:59:59Z",
        "2016-03-01T00:00:00Z",
        "2026-10-03T09:00:00Z",
    ] {
        let (products, _) = run(SAMPLE_VALID, at(now)).expect("parses");
        let p = &products[0];
        assert_eq!(p.price, Some(dec("15.00")), "{now}");
        assert_eq!(p.regular_price, None, "{now}");
        assert!(!p.on_sale());
    }
}

#[test]
fn nested_prices_of_shipping_and_installment_are_not_the_price() {
    let (products, _) = run(SAMPLE_VALID, at("2020-01-01T00:00:00Z")).expect("parses");
    assert_eq!(products[0].price, Some(dec("15.00")));
    assert_eq!(products[1].price, Some(dec("9.99")));
}

#[test]
fn example_feed_has_two_teslas() {
    let (products, report) = run(EXAMPLE, at("2026-10-03T09:00:00Z")).expect("parses");
    assert_eq!((report.records, report.skipped), (2, 0));
    let ids: Vec<_> = products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["id-model-x", "id-model-s"]);
    assert_eq!(products[0].name, "Model X");
    assert_eq!(products[0].availability, Some(Availability::Preorder));
    assert_eq!(products[0].price, Some(dec("71300.00")));
    assert_eq!(products[1].availability, Some(Availability::InStock));
    assert_eq!(products[1].price, Some(dec("65200.00")));
    for p in &products {
        assert_eq!(p.brand.as_deref(), Some("Tesla"));
        assert_eq!(p.currency.as_deref(), Some("USD"));
    }
}

#[test]
fn rome_legacy_feed_takes_the_currency_apart_and_the_upc_as_gtin() {
    let (products, report) = run(ROME_LEGACY, at("2026-10-03T09:00:00Z")).expect("parses");
    assert_eq!((report.records, report.skipped), (2, 0));
    let p = &products[0];
    // No g:id in Google Base days: the RSS guid stands in.
    assert_eq!(p.id, "1092");
    assert_eq!(p.name, "Google Mini");
    assert_eq!(p.price, Some(dec("2995")));
    assert_eq!(p.currency.as_deref(), Some("USD"));
    assert_eq!(p.brand.as_deref(), Some("Google"));
    assert_eq!(p.gtin.as_deref(), Some("12348573"));
    assert_eq!(
        p.url.as_deref(),
        Some("http://www.googlestore.com/appliance/GO0123.asp")
    );
    let laptop = &products[1];
    assert_eq!(
        (laptop.id.as_str(), laptop.price),
        ("822", Some(dec("1400")))
    );
    assert_eq!(laptop.categories, ["electronics"]);
}

#[test]
fn atom_entries_read_links_from_href_and_ids_from_the_entry() {
    // 2026-10-03 is inside the tent's sale (Oct 1-8, Pacific time).
    let (products, report) = run(OWN_ATOM, at("2026-10-03T09:00:00Z")).expect("parses");
    assert_eq!((report.records, report.skipped), (2, 0));
    let tent = &products[0];
    assert_eq!(tent.id, "TENT-4");
    assert_eq!(tent.name, "Ridgeline 4-person tent");
    // The alternate link, not the enclosure; `&amp;` in the attribute unescaped.
    assert_eq!(
        tent.url.as_deref(),
        Some("https://shop.example/p/tent-4?colour=green&size=4")
    );
    assert_eq!(tent.price, Some(dec("999.00")));
    assert_eq!(tent.regular_price, Some(dec("1299.00")));
    assert_eq!(tent.currency.as_deref(), Some("USD"));
    assert_eq!(tent.availability, Some(Availability::InStock));
    assert_eq!(
        tent.categories,
        [
            "Sporting Goods",
            "Outdoor Recreation",
            "Camping & Hiking",
            "Tents"
        ]
    );
    let mat = &products[1];
    assert_eq!(mat.id, "tag:shop.example,2026:mat-1");
    assert_eq!(mat.name, "Foam sleeping mat");
    assert_eq!(mat.url.as_deref(), Some("https://shop.example/p/mat-1"));
    assert_eq!(mat.price, Some(dec("15")));
    assert_eq!(mat.currency.as_deref(), Some("GBP"));
    assert_eq!(mat.availability, Some(Availability::Backorder));

    // 2026-10-09T08:00Z is 00:00 on the 9th in -0800: the sale has ended.
    let (products, _) = run(OWN_ATOM, at("2026-10-09T08:00:00Z")).expect("parses");
    assert_eq!(products[0].price, Some(dec("1299.00")));
    assert_eq!(products[0].regular_price, None);
}

#[test]
fn the_google_namespace_is_matched_by_uri_not_by_prefix() {
    let (products, _) = run(OWN_PREFIX, at("2026-10-03T09:00:00Z")).expect("parses");
    let tea = &products[0];
    assert_eq!(tea.id, "TEA-1");
    assert_eq!(tea.name, "Breakfast tea, 80 bags");
    assert_eq!(tea.url.as_deref(), Some("https://shop.example/p/tea-1"));
    // `g:` is another vocabulary here; its 99.99 USD is not the price.
    assert_eq!(tea.price, Some(dec("3.49")));
    assert_eq!(tea.currency.as_deref(), Some("GBP"));
    assert_eq!(tea.availability, Some(Availability::OutOfStock));
    // No gtin: the UPC is taken before the EAN.
    assert_eq!(tea.gtin.as_deref(), Some("012345678905"));
}

#[test]
fn an_undeclared_g_prefix_is_read_as_google() {
    let xml = r#"<rss version="2.0"><channel><item>
        <g:id>1</g:id><g:title>Jam</g:title><g:price>2.00 GBP</g:price>
        </item></channel></rss>"#;
    let (products, _) = run(xml.as_bytes(), Utc::now()).expect("parses");
    assert_eq!(products[0].price, Some(dec("2.00")));
}

#[test]
fn tab_separated_feed_maps_columns_with_or_without_prefix() {
    let (products, report) = run(OWN_TSV, at("2026-10-03T09:00:00Z")).expect("parses");
    let ids: Vec<_> = products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["BOOT-42", "BOOT-43", "BOOT-46"]);
    let boot = &products[0];
    assert_eq!(boot.name, "Chelsea boot");
    assert_eq!(boot.price, Some(dec("14.50")));
    assert_eq!(boot.regular_price, Some(dec("22.00")));
    assert_eq!(boot.currency.as_deref(), Some("GBP"));
    assert_eq!(boot.brand.as_deref(), Some("Acme"));
    assert_eq!(boot.gtin.as_deref(), Some("5012345678900"));
    assert_eq!(boot.categories, ["Shoes", "Boots"]);
    assert_eq!(boot.url.as_deref(), Some("https://shop.example/p/boot-42"));
    assert_eq!(boot.availability, Some(Availability::InStock));
    let welly = &products[1];
    assert_eq!(welly.price, Some(dec("15")));
    assert_eq!(welly.availability, Some(Availability::Preorder));
    assert_eq!(
        welly.categories,
        ["Shoes", "Boots", "Apparel & Accessories"]
    );
    assert_eq!(welly.gtin, None);
    let hiker = &products[2];
    assert_eq!(hiker.price, Some(dec("1299.00")));
    assert_eq!(hiker.currency.as_deref(), Some("EUR"));
    assert_eq!(hiker.availability, Some(Availability::OutOfStock));

    assert_eq!((report.records, report.skipped), (5, 2));
    assert_eq!(
        report.problems,
        [
            "line 4 (id BOOT-44): price \"abc GBP\" is not a number",
            "line 5: 3 fields, expected 12",
        ]
    );
    // After the sale's last day the boot is back at its regular price.
    let (products, _) = run(OWN_TSV, at("2027-01-01T00:00:00Z")).expect("parses");
    assert_eq!(products[0].price, Some(dec("22.00")));
}

#[test]
fn tab_separated_feed_needs_an_id_and_a_title_column() {
    let err = run(b"id\tprice\n1\t2 GBP\n", Utc::now()).expect_err("no title column");
    assert!(matches!(err, FeedError::MissingColumn(c) if c == "'title'"));
    let err = run(b"title\tprice\nTea\t2 GBP\n", Utc::now()).expect_err("no id column");
    assert!(matches!(err, FeedError::MissingColumn(_)));
}

#[test]
fn a_bom_and_blank_lines_before_the_document_are_fine() {
    let mut xml = b"\xEF\xBB\xBF\n\n  ".to_vec();
    xml.extend_from_slice(EXAMPLE);
    let (products, _) = run(&xml, Utc::now()).expect("parses");
    assert_eq!(products.len(), 2);

    let tsv = b"\xEF\xBB\xBF\n\nid\ttitle\tprice\n1\tTea\tabc\n";
    let err = run(tsv, Utc::now()).expect_err("its only row is bad");
    // Line numbers count the blank lines that were skipped to sniff the format.
    assert!(
        matches!(&err, FeedError::NoValidRecords { first_problem }
            if first_problem == "line 4 (id 1): price \"abc\" is not a number"),
        "{err:?}"
    );
}

#[test]
fn the_feed_currency_fills_in_for_bare_amounts() {
    let xml = rss("<item><g:id>1</g:id><title>Tea</title><g:price>2.5</g:price></item>");
    let mut src = source();
    src.currency = Some("gbp".into());
    let (products, _) = run_with(&src, xml.as_bytes(), Utc::now()).expect("parses");
    assert_eq!(products[0].price, Some(dec("2.5")));
    assert_eq!(products[0].currency.as_deref(), Some("GBP"));
    let (products, _) = run(xml.as_bytes(), Utc::now()).expect("parses");
    assert_eq!(products[0].currency, None);
}

#[test]
fn malformed_items_are_skipped_and_counted_among_good_ones() {
    let xml = rss(r#"
        <item><g:id>ok-1</g:id><title>Tea</title><g:price>1.00 GBP</g:price></item>
        <item><title>No id</title><g:price>1.00 GBP</g:price></item>
        <item><g:id>tddy123uk</g:id><title>Bad</title><g:price>abc USD</g:price></item>
        <item><g:id>no-title</g:id><g:price>1.00 GBP</g:price></item>
        <item><g:id>dollar</g:id><title>x</title><g:price>15.00 US$</g:price></item>
        <item/>
        <item><g:id>ok-2</g:id><g:title>Jam</g:title><g:price>15 GBP</g:price></item>
    "#);
    let (products, report) = run(xml.as_bytes(), Utc::now()).expect("parses");
    let ids: Vec<_> = products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["ok-1", "ok-2"]);
    assert_eq!((report.records, report.skipped), (7, 5));
    assert_eq!(
        report.problems,
        [
            "item 2: no id",
            "item 3 (id tddy123uk): price \"abc USD\" is not a number",
            "item 4 (id no-title): no title",
        ]
    );
    assert_eq!(
        report.warning().as_deref(),
        Some("feed 'shop': 5 of 7 records skipped: item 2: no id")
    );
}

#[test]
fn a_feed_of_only_bad_items_is_an_error() {
    let xml = rss("<item><g:id>1</g:id><title>T</title><g:price>abc USD</g:price></item>");
    let err = run(xml.as_bytes(), Utc::now()).expect_err("nothing usable");
    assert!(
        matches!(&err, FeedError::NoValidRecords { first_problem }
            if first_problem == "item 1 (id 1): price \"abc USD\" is not a number"),
        "{err:?}"
    );
    // A feed with no items at all is merely empty, not broken.
    let (products, report) = run(rss("").as_bytes(), Utc::now()).expect("parses");
    assert!(products.is_empty());
    assert_eq!(report.records, 0);
}

#[test]
fn a_sale_in_another_currency_or_with_an_unreadable_range_is_a_bad_item() {
    let xml = rss(r#"
        <item><g:id>a</g:id><title>A</title><g:price>2.00 GBP</g:price><g:sale_price>1.00 EUR</g:sale_price></item>
        <item><g:id>b</g:id><title>B</title><g:price>2.00 GBP</g:price><g:sale_price>1.00 GBP</g:sale_price>
          <g:sale_price_effective_date>next week</g:sale_price_effective_date></item>
        <item><g:id>c</g:id><title>C</title><g:price>2.00 GBP</g:price></item>
    "#);
    let (_, report) = run(xml.as_bytes(), Utc::now()).expect("parses");
    assert_eq!(
        report.problems,
        [
            "item 1 (id a): sale_price is in EUR but price is in GBP",
            "item 2 (id b): sale_price_effective_date \"next week\" is not a start/end range of ISO 8601 times",
        ]
    );
}

#[test]
fn a_truncated_file_keeps_the_items_before_the_break() {
    let text = std::str::from_utf8(EXAMPLE).expect("utf-8");
    let second = text.find("id-model-s").expect("second item");
    let cut_at = |after: &str| second + text[second..].find(after).expect("cut point");
    // Cut inside the second item's text, inside one of its tags, and after it.
    for (end, expect_problem, kept) in [
        (
            cut_at("65200") + 5,
            "item 2 (id id-model-s): not valid XML",
            1,
        ),
        (
            cut_at("<g:brand") + 6,
            "item 2 (id id-model-s): not valid XML",
            1,
        ),
        (cut_at("</channel>"), "after item 2: not valid XML", 2),
    ] {
        let (products, report) =
            run(&EXAMPLE[..end], Utc::now()).expect("items before the break are kept");
        assert_eq!(products.len(), kept, "cut at {end}");
        assert_eq!((report.records, report.skipped), (kept + 1, 1));
        assert!(
            report.problems[0].starts_with(expect_problem),
            "cut at {end}: {:?}",
            report.problems
        );
    }
    // Nothing read before the break: the feed is unusable.
    let end = text.find("<g:id>id-model-x").expect("cut point");
    let err = run(&EXAMPLE[..end], Utc::now()).expect_err("no item");
    assert!(
        matches!(&err, FeedError::Shape(m) if m.starts_with("not valid XML")),
        "{err:?}"
    );
}

#[test]
fn billion_laughs_entities_are_never_expanded() {
    let mut doctype = String::from("<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n");
    doctype.push_str("<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
    for i in 2..=9 {
        let prev = format!("&lol{};", i - 1);
        doctype.push_str(&format!("<!ENTITY lol{i} \"{}\">\n", prev.repeat(10)));
    }
    doctype.push_str("<!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n");
    let xml = format!(
        r#"<?xml version="1.0"?>
{doctype}<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>
<title>&lol9;</title>
<item><g:id>laughs</g:id><title>&lol9;</title><g:price>1 GBP</g:price></item>
<item><g:id>xxe</g:id><title>Tea</title><g:brand>&xxe;</g:brand><g:price>1 GBP</g:price></item>
<item><g:id>fine</g:id><title>Tom &amp; Jerry &#x2014; &#169; &lt;3</title><g:price>1 GBP</g:price></item>
</channel></rss>"#
    );
    let (products, report) = run(xml.as_bytes(), Utc::now()).expect("parses");
    assert_eq!(products.len(), 1);
    assert_eq!(products[0].name, "Tom & Jerry — © <3");
    assert_eq!(
        report.problems,
        [
            "item 1 (id laughs): uses the entity &lol9; (only XML's predefined entities are expanded, never a DTD's)",
            "item 2 (id xxe): uses the entity &xxe; (only XML's predefined entities are expanded, never a DTD's)",
        ]
    );
}

#[test]
fn a_bare_ampersand_is_read_as_itself() {
    let xml = rss("<item><g:id>1</g:id><title>Black & Decker drill</title></item>");
    let (products, _) = run(xml.as_bytes(), Utc::now()).expect("parses");
    assert_eq!(products[0].name, "Black & Decker drill");
}

#[test]
fn html_empty_and_foreign_documents_are_errors() {
    for html in [
        "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><br></body></html>",
        "\n<html lang=\"en\"><body><p>Not found</p></body></html>",
        "<!doctype HTML><html>",
    ] {
        let err = run(html.as_bytes(), Utc::now()).expect_err("html");
        assert!(
            matches!(
                err,
                FeedError::Html {
                    expected: "a merchant feed"
                }
            ),
            "{html}: {err:?}"
        );
    }
    for empty in ["", " \n\t\n", "\u{feff}"] {
        let err = run(empty.as_bytes(), Utc::now()).expect_err("empty");
        assert!(matches!(err, FeedError::Empty), "{empty:?}: {err:?}");
    }
    let err = run(b"<catalog><product/></catalog>", Utc::now()).expect_err("not a feed");
    assert_eq!(
        err.to_string(),
        "expected an RSS or Atom feed, found <catalog>"
    );
}

#[test]
fn money_reads_amounts_and_currencies_exactly() {
    let ok = |raw: &str| parse_money("price", raw).expect(raw);
    let m = |amount: &str, currency: Option<&str>| Money {
        amount: dec(amount),
        currency: currency.map(str::to_string),
    };
    assert_eq!(ok("15.00 GBP"), m("15.00", Some("GBP")));
    assert_eq!(ok("15 GBP"), m("15", Some("GBP")));
    assert_eq!(ok("1,299.00 USD"), m("1299.00", Some("USD")));
    assert_eq!(ok("1.299,00 EUR"), m("1299.00", Some("EUR")));
    assert_eq!(ok("12,50 EUR"), m("12.50", Some("EUR")));
    assert_eq!(ok("1,299 USD"), m("1299", Some("USD")));
    assert_eq!(ok("1.234.567 JPY"), m("1234567", Some("JPY")));
    assert_eq!(ok("USD 0.99"), m("0.99", Some("USD")));
    assert_eq!(ok("15.00usd"), m("15.00", Some("USD")));
    assert_eq!(ok("2995"), m("2995", None));
    assert_eq!(ok(" 0.1  GBP "), m("0.1", Some("GBP")));
    // Exact: 0.1 + 0.2 is 0.3, no float on the way.
    assert_eq!(ok("0.1 GBP").amount + ok("0.2 GBP").amount, dec("0.3"));

    let err = |raw: &str| parse_money("price", raw).expect_err(raw);
    assert_eq!(err("abc USD"), "price \"abc USD\" is not a number");
    assert_eq!(err("abc"), "price \"abc\" is not a number");
    assert_eq!(err("1,2,3 USD"), "price \"1,2,3 USD\" is not a number");
    assert_eq!(err("-5.00 USD"), "price \"-5.00 USD\" is not a number");
    assert_eq!(err("15. USD"), "price \"15. USD\" is not a number");
    assert_eq!(
        err("15.00 US$"),
        "price \"15.00 US$\" has no ISO 4217 currency code"
    );
    assert_eq!(
        err("15.00 US Dollars"),
        "price \"15.00 US Dollars\" is not a number"
    );
}

#[test]
fn effective_dates_read_the_forms_feeds_use() {
    let t = |s: &str| parse_instant(s, false).expect(s);
    let utc = |y, mo, d, h, mi| {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid")
    };
    assert_eq!(t("2011-03-01T13:00-0800"), utc(2011, 3, 1, 21, 0));
    assert_eq!(t("2011-03-01T13:00-08:00"), utc(2011, 3, 1, 21, 0));
    assert_eq!(t("2011-03-01T13:00:00-08:00"), utc(2011, 3, 1, 21, 0));
    assert_eq!(t("2016-02-24T21:00:00.000Z"), utc(2016, 2, 24, 21, 0));
    assert_eq!(t("2016-02-24T21:00Z"), utc(2016, 2, 24, 21, 0));
    assert_eq!(t("2016-02-24T21:00"), utc(2016, 2, 24, 21, 0));
    assert_eq!(t("2016-02-24"), utc(2016, 2, 24, 0, 0));
    assert!(parse_instant("2016-02-24", true).expect("date") > utc(2016, 2, 24, 23, 59));
    assert_eq!(parse_instant("soon", false), None);

    let range = "2011-03-01T13:00-0800/2011-03-11T15:30-0800";
    assert_eq!(sale_in_effect(range, utc(2011, 3, 5, 0, 0)), Ok(true));
    assert_eq!(sale_in_effect(range, utc(2011, 3, 1, 21, 0)), Ok(true));
    assert_eq!(sale_in_effect(range, utc(2011, 3, 1, 20, 59)), Ok(false));
    assert_eq!(sale_in_effect(range, utc(2011, 3, 12, 0, 0)), Ok(false));
    assert!(sale_in_effect("2011-03-01", utc(2011, 3, 1, 0, 0)).is_err());
}

#[test]
fn parse_products_dispatches_merchant_feeds() {
    let feed = crate::feeds::parse_products_at(&source(), EXAMPLE, Utc::now())
        .expect("merchant feeds are supported");
    assert_eq!(feed.products.len(), 2);
    assert_eq!(feed.report.records, 2);
}

/// A feed written on the fly, item by item, so the test holds no more of it in
/// memory than the parser asks for.
struct GeneratedFeed {
    total: usize,
    next: usize,
    pending: Vec<u8>,
    at: usize,
    done: bool,
}

impl GeneratedFeed {
    fn new(total: usize) -> GeneratedFeed {
        GeneratedFeed {
            total,
            next: 0,
            pending: br#"<?xml version="1.0"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>"#.to_vec(),
            at: 0,
            done: false,
        }
    }
}

impl Read for GeneratedFeed {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.pending.len() {
            if self.done {
                return Ok(0);
            }
            self.pending.clear();
            self.at = 0;
            if self.next < self.total {
                let i = self.next;
                self.next += 1;
                self.pending.extend_from_slice(
                    format!(
                        "<item><g:id>sku-{i}</g:id><title>Product {i}</title>\
                     <g:price>{}.{:02} GBP</g:price><g:availability>in stock</g:availability>\
                     <g:shipping><g:country>GB</g:country><g:price>4.95 GBP</g:price></g:shipping>\
                     <g:description>{}</g:description></item>\n",
                        i % 100,
                        i % 97,
                        "lorem ipsum ".repeat(20)
                    )
                    .as_bytes(),
                );
            } else {
                self.pending.extend_from_slice(b"</channel></rss>");
                self.done = true;
            }
        }
        let n = out.len().min(self.pending.len() - self.at);
        out[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn a_large_feed_streams_through_the_sink() {
    const ITEMS: usize = 50_000;
    let mut count = 0usize;
    let mut total = Decimal::ZERO;
    let report = parse(
        &source(),
        BufReader::new(GeneratedFeed::new(ITEMS)),
        Utc::now(),
        &mut |p| {
            count += 1;
            total += p.price.unwrap_or_default();
        },
    )
    .expect("parses");
    assert_eq!(count, ITEMS);
    assert_eq!((report.records, report.skipped), (ITEMS, 0));
    assert!(total > Decimal::ZERO);
}
