//! The `page` feed kind: one product web page -> one [`Product`].
//!
//! Shops describe the product on its page for search engines, in one of three ways,
//! tried in this order (docs/feeds.md, kind `page`):
//!
//! 1. schema.org `Product` in JSON-LD (`<script type="application/ld+json">`), also
//!    inside `@graph` or nested in another node; `offers` as one `Offer`, a list of
//!    them, or an `AggregateOffer` (`lowPrice`); the price may sit in
//!    `priceSpecification`. Keys are matched case-insensitively, as real pages write
//!    `"Offers"`. A block that is not valid JSON is skipped: pages often carry a
//!    broken block next to a good one.
//! 2. microdata: `itemprop="price"` (its `content`, else its text),
//!    `itemprop="priceCurrency"`, `itemprop="availability"` (`href`/`content`).
//! 3. Open Graph style meta tags: `product:price:amount` / `og:price:amount` with
//!    their `:currency`.
//!
//! Prices written as text (`"1.299,00"`) go through [`parse_price`] with the offer's
//! or the feed's currency as hint. The visible text of the page is never searched for
//! a price: it holds crossed-out prices, shipping costs and other products, and a
//! wrong price is worse than the clear error a page without structured data gets.

use std::str::FromStr;

use rust_decimal::Decimal;
use scraper::{ElementRef, Html, Selector};
use serde_json::{Map, Value};

use crate::model::{Availability, Product};

use super::price::parse_price;
use crate::feeds::stream::strip_bom;
use crate::feeds::{shown_url, FeedError, FeedReport, FeedSource, FetchedFeed};

/// The error for a page with no price in any of the forms we read.
const NO_PRICE: &str =
    "no price found on the page (looked for schema.org JSON-LD, microdata and price meta tags)";

/// schema.org types that describe a product (the last segment of `@type`).
const PRODUCT_TYPES: &[&str] = &[
    "product",
    "individualproduct",
    "productmodel",
    "productgroup",
    "someproducts",
];

/// Reads one product page. The product's id is the JSON-LD `sku`/`productID` (or
/// microdata `sku`), else the page's URL.
pub fn parse(source: &FeedSource, html: &[u8]) -> Result<FetchedFeed, FeedError> {
    let body = strip_bom(html);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(FeedError::Empty);
    }
    let text = String::from_utf8_lossy(body);
    let doc = Html::parse_document(&text);
    let hint = source.currency.as_deref();

    let products = json_ld_products(&doc);
    let identity = products.first().map(identity_from_json);
    // Sizes or pack counts offered side by side: one product each.
    let variants = products
        .iter()
        .find(|p| json_offer(p, hint).is_some())
        .map(|p| variants(p, hint))
        .unwrap_or_default();
    // The first product with a price: a page may describe a product group first
    // and the variant with the offer after it.
    let json_offer = products.iter().find_map(|p| json_offer(p, hint));
    let found = json_offer
        .or_else(|| microdata_offer(&doc, hint))
        .or_else(|| meta_offer(&doc, hint))
        .ok_or_else(|| FeedError::Shape(NO_PRICE.to_string()))?;

    let identity = identity.unwrap_or_else(|| identity_from_microdata(&doc));
    let name = identity
        .name
        .or_else(|| meta_content(&doc, &["og:title"]))
        .or_else(|| first_text(&doc, "title"))
        .unwrap_or_else(|| shown_url(&source.url).into_owned());
    let product = Product {
        feed: source.name.clone(),
        id: identity
            .id
            .unwrap_or_else(|| shown_url(&source.url).into_owned()),
        gtin: identity.gtin,
        name,
        brand: identity.brand,
        url: (!source.url.is_empty()).then(|| shown_url(&source.url).into_owned()),
        price: Some(found.price),
        currency: found.currency.or_else(|| hint.map(normalise_code)),
        availability: found.availability,
        // A page's unit price speaks of its one offer; variants each read
        // their size from their own name.
        size: if variants.is_empty() {
            super::page_unit_price::size_from_json_ld(&products, found.price)
        } else {
            None
        },
        ..Product::default()
    };
    let mut report = FeedReport::new(&source.name);
    let products = if variants.is_empty() {
        vec![product]
    } else {
        variants
            .into_iter()
            .enumerate()
            .map(|(i, variant)| variant.product(&product, i))
            .collect()
    };
    let products: Vec<Product> = products
        .into_iter()
        .map(|mut p| {
            p.make_printable();
            p.settle_size();
            report.kept();
            p
        })
        .collect();
    Ok(FetchedFeed {
        source: source.clone(),
        products,
        report,
        warning: None,
    })
}

/// One of several offers of a product that name their own variant (a size,
/// a pack count) with a `name` or `sku`.
#[derive(Debug)]
struct Variant {
    name: Option<String>,
    sku: Option<String>,
    gtin: Option<String>,
    offer: Offer,
}

impl Variant {
    /// The page's product as this variant: `Product — Offer name`, the offer's
    /// SKU as its id (else the product's with `#2`), its own price.
    fn product(self, base: &Product, i: usize) -> Product {
        let label = self.name.or_else(|| self.sku.clone()).unwrap_or_default();
        Product {
            id: self.sku.unwrap_or_else(|| format!("{}#{}", base.id, i + 1)),
            name: format!("{} — {label}", base.name),
            gtin: self.gtin.or_else(|| base.gtin.clone()),
            price: Some(self.offer.price),
            currency: self.offer.currency.or_else(|| base.currency.clone()),
            availability: self.offer.availability,
            ..base.clone()
        }
    }
}

/// The offers of `product` as variants, when there are two or more and each
/// names itself differently; otherwise none (the page is one product at its
/// best offer, as before).
fn variants(product: &Map<String, Value>, hint: Option<&str>) -> Vec<Variant> {
    let Some(Value::Array(list)) = get(product, "offers") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for value in list {
        let Value::Object(o) = value else {
            return Vec::new();
        };
        let name = json_text(get(o, "name"));
        let sku = json_text(get(o, "sku"));
        if (name.is_none() && sku.is_none())
            || has_type(o, &["aggregateoffer"])
            || !seen.insert((name.clone(), sku.clone()))
        {
            return Vec::new();
        }
        let mut priced = Vec::new();
        collect_offers(value, hint, &mut priced);
        let Some(offer) = priced.into_iter().next() else {
            continue;
        };
        let gtin = ["gtin13", "gtin", "gtin12", "gtin8", "gtin14"]
            .iter()
            .find_map(|k| json_text(get(o, k)));
        out.push(Variant {
            name,
            sku,
            gtin,
            offer,
        });
    }
    if out.len() < 2 {
        return Vec::new();
    }
    out
}

/// A price found on the page, with what the same offer says about it.
#[derive(Debug, Clone)]
struct Offer {
    price: Decimal,
    currency: Option<String>,
    availability: Option<Availability>,
}

/// What names the product, wherever the price came from.
#[derive(Debug, Default)]
struct Identity {
    id: Option<String>,
    name: Option<String>,
    brand: Option<String>,
    gtin: Option<String>,
}

fn normalise_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// Elements matching a CSS selector. The selectors are constants of this module, so
/// one that does not parse is a bug the tests catch; it matches nothing meanwhile.
fn select<'a>(doc: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    match Selector::parse(css) {
        Ok(selector) => doc.select(&selector).collect(),
        Err(_) => Vec::new(),
    }
}

fn element_text(el: &ElementRef<'_>) -> String {
    let text: String = el.text().collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first_text(doc: &Html, css: &str) -> Option<String> {
    select(doc, css)
        .first()
        .map(element_text)
        .filter(|t| !t.is_empty())
}

// ---------------------------------------------------------------- JSON-LD

/// Every schema.org product node in the page's valid JSON-LD blocks, in page order.
fn json_ld_products(doc: &Html) -> Vec<Map<String, Value>> {
    let mut products = Vec::new();
    for script in select(doc, "script") {
        let is_json_ld = script.value().attr("type").is_some_and(|t| {
            t.trim()
                .to_ascii_lowercase()
                .starts_with("application/ld+json")
        });
        if !is_json_ld {
            continue;
        }
        let raw: String = script.text().collect();
        // Some CMSs wrap the block in an HTML comment or CDATA; anything else that is
        // not JSON makes the block unusable, and the next one is tried.
        let trimmed = raw
            .trim()
            .trim_start_matches("<!--")
            .trim_end_matches("-->")
            .trim()
            .trim_start_matches("//<![CDATA[")
            .trim_end_matches("//]]>")
            .trim();
        if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
            collect_products(&value, &mut products);
        }
    }
    products
}

/// Finds product nodes anywhere: top level, a list, `@graph`, `mainEntity`...
fn collect_products(value: &Value, out: &mut Vec<Map<String, Value>>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_products(v, out)),
        Value::Object(map) => {
            if has_type(map, PRODUCT_TYPES) {
                out.push(map.clone());
            }
            map.values().for_each(|v| collect_products(v, out));
        }
        _ => {}
    }
}

/// A key, exactly or else in any case (`"Offers"`, `"OffERS"`).
fn get<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Whether `@type` (a string or a list, a bare name or a URL) is one of `types`
/// (lower case).
fn has_type(map: &Map<String, Value>, types: &[&str]) -> bool {
    let matches = |v: &Value| {
        v.as_str().is_some_and(|t| {
            let last = t.rsplit(['/', ':']).next().unwrap_or(t).trim();
            types.iter().any(|want| last.eq_ignore_ascii_case(want))
        })
    };
    match get(map, "@type") {
        Some(Value::Array(list)) => list.iter().any(matches),
        Some(v) => matches(v),
        None => false,
    }
}

/// A text value: a string, or a number written unquoted (`"sku": 22222`).
fn json_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn identity_from_json(product: &Map<String, Value>) -> Identity {
    let brand = match get(product, "brand") {
        Some(Value::Object(b)) => json_text(get(b, "name")),
        Some(Value::Array(list)) => list.iter().find_map(|b| match b {
            Value::Object(b) => json_text(get(b, "name")),
            other => json_text(Some(other)),
        }),
        other => json_text(other),
    };
    let gtin = ["gtin13", "gtin", "gtin12", "gtin8", "gtin14"]
        .iter()
        .find_map(|k| json_text(get(product, k)));
    Identity {
        id: json_text(get(product, "sku")).or_else(|| json_text(get(product, "productID"))),
        name: json_text(get(product, "name")),
        brand,
        gtin,
    }
}

/// The product's price: the lowest available offer, else the lowest offer.
fn json_offer(product: &Map<String, Value>, hint: Option<&str>) -> Option<Offer> {
    let mut offers = Vec::new();
    collect_offers(get(product, "offers")?, hint, &mut offers);
    lowest_available(offers)
}

fn lowest_available(offers: Vec<Offer>) -> Option<Offer> {
    let available = |o: &Offer| o.availability.is_none_or(Availability::is_available);
    let cheapest = |list: Vec<Offer>| list.into_iter().min_by(|a, b| a.price.cmp(&b.price));
    let (open, closed): (Vec<Offer>, Vec<Offer>) = offers.into_iter().partition(available);
    cheapest(open).or_else(|| cheapest(closed))
}

fn collect_offers(value: &Value, hint: Option<&str>, out: &mut Vec<Offer>) {
    let offer = match value {
        Value::Array(list) => {
            list.iter().for_each(|v| collect_offers(v, hint, out));
            return;
        }
        Value::Object(offer) => offer,
        _ => return,
    };
    let currency = json_text(get(offer, "priceCurrency")).map(|c| normalise_code(&c));
    let availability = json_text(get(offer, "availability"))
        .as_deref()
        .and_then(Availability::parse);
    let price_hint = currency.as_deref().or(hint);
    let aggregate = has_type(offer, &["aggregateoffer"]) || get(offer, "lowPrice").is_some();
    if aggregate {
        let mut inner = Vec::new();
        if let Some(nested) = get(offer, "offers") {
            collect_offers(nested, currency.as_deref().or(hint), &mut inner);
        }
        let best_inner = lowest_available(inner);
        match get(offer, "lowPrice").and_then(|v| price_value(v, price_hint)) {
            Some((price, written)) => out.push(Offer {
                price,
                currency: currency.or(written),
                // An aggregate rarely states availability; its offers do.
                availability: availability
                    .or_else(|| best_inner.as_ref().and_then(|o| o.availability)),
            }),
            None => out.extend(best_inner),
        }
        return;
    }
    let spec = get(offer, "priceSpecification").and_then(|s| match s {
        Value::Array(list) => list
            .iter()
            .find_map(|s| s.as_object().filter(|s| get(s, "price").is_some())),
        Value::Object(s) => Some(s),
        _ => None,
    });
    let spec_currency = spec
        .and_then(|s| json_text(get(s, "priceCurrency")))
        .map(|c| normalise_code(&c));
    let currency = currency.or(spec_currency);
    let price_hint = currency.as_deref().or(hint);
    let price = get(offer, "price")
        .and_then(|v| price_value(v, price_hint))
        .or_else(|| {
            spec.and_then(|s| get(s, "price"))
                .and_then(|v| price_value(v, price_hint))
        });
    if let Some((price, written)) = price {
        out.push(Offer {
            price,
            currency: currency.or(written),
            availability,
        });
    }
}

/// A JSON price: a number as written (never through a float), or text read as a
/// person would (`"1.299,00 €"`), with the currency that text names.
fn price_value(value: &Value, hint: Option<&str>) -> Option<(Decimal, Option<String>)> {
    match value {
        Value::Number(n) => {
            let text = n.to_string();
            Decimal::from_str(&text)
                .or_else(|_| Decimal::from_scientific(&text))
                .ok()
                .filter(|d| !d.is_sign_negative())
                .map(|d| (d, None))
        }
        Value::String(s) => parse_price(s, hint).map(|p| (p.amount, p.currency)),
        _ => None,
    }
}

// ---------------------------------------------------------------- microdata

fn itemprop<'a>(doc: &'a Html, name: &str) -> Vec<ElementRef<'a>> {
    select(doc, &format!("[itemprop~=\"{name}\"]"))
}

/// A microdata value: `content`, else `href` for links, else the element's text.
fn item_value(el: &ElementRef<'_>) -> Option<String> {
    let attr = |name: &str| {
        el.value()
            .attr(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    attr("content")
        .map(str::to_string)
        .or_else(|| attr("href").map(str::to_string))
        .or_else(|| Some(element_text(el)).filter(|t| !t.is_empty()))
}

fn first_item_value(doc: &Html, name: &str) -> Option<String> {
    itemprop(doc, name).iter().find_map(item_value)
}

fn microdata_offer(doc: &Html, hint: Option<&str>) -> Option<Offer> {
    let currency = first_item_value(doc, "priceCurrency").map(|c| normalise_code(&c));
    let price_hint = currency.as_deref().or(hint);
    let (price, written) = itemprop(doc, "price")
        .iter()
        .filter_map(item_value)
        .find_map(|v| parse_price(&v, price_hint))
        .map(|p| (p.amount, p.currency))?;
    let availability = first_item_value(doc, "availability")
        .as_deref()
        .and_then(Availability::parse);
    Some(Offer {
        price,
        currency: currency.or(written),
        availability,
    })
}

/// The product's own properties, not those of its offer or seller: only elements
/// whose nearest `itemscope` ancestor is the product.
fn identity_from_microdata(doc: &Html) -> Identity {
    let Some(product) = select(doc, "[itemscope][itemtype]").into_iter().find(|el| {
        el.value().attr("itemtype").is_some_and(|t| {
            t.split_whitespace().any(|t| {
                t.rsplit('/')
                    .next()
                    .is_some_and(|l| l.eq_ignore_ascii_case("product"))
            })
        })
    }) else {
        return Identity::default();
    };
    let own = |name: &str| -> Option<String> {
        itemprop(doc, name)
            .into_iter()
            .filter(|el| owner(el).is_some_and(|o| o.id() == product.id()))
            .find_map(|el| {
                if el.value().attr("itemscope").is_some() {
                    // `brand` as a nested Brand/Organization: its name.
                    itemprop(doc, "name")
                        .into_iter()
                        .find(|n| owner(n).is_some_and(|o| o.id() == el.id()))
                        .and_then(|n| item_value(&n))
                } else {
                    item_value(&el)
                }
            })
    };
    Identity {
        id: own("sku").or_else(|| own("productID")),
        name: own("name"),
        brand: own("brand"),
        gtin: ["gtin13", "gtin", "gtin12", "gtin8", "gtin14"]
            .iter()
            .find_map(|k| own(k)),
    }
}

/// The nearest ancestor with `itemscope`: the item an `itemprop` belongs to.
fn owner<'a>(el: &ElementRef<'a>) -> Option<ElementRef<'a>> {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| a.value().attr("itemscope").is_some())
}

// ---------------------------------------------------------------- meta tags

/// The `content` of the first `<meta property=…>` (or `name=…`) among `keys`.
fn meta_content(doc: &Html, keys: &[&str]) -> Option<String> {
    select(doc, "meta").into_iter().find_map(|m| {
        let v = m.value();
        let key = v.attr("property").or_else(|| v.attr("name"))?.trim();
        keys.iter()
            .any(|k| key.eq_ignore_ascii_case(k))
            .then(|| {
                v.attr("content")
                    .map(str::trim)
                    .unwrap_or_default()
                    .to_string()
            })
            .filter(|c| !c.is_empty())
    })
}

fn meta_offer(doc: &Html, hint: Option<&str>) -> Option<Offer> {
    let currency = meta_content(doc, &["product:price:currency", "og:price:currency"])
        .map(|c| normalise_code(&c));
    let amount = meta_content(doc, &["product:price:amount", "og:price:amount"])?;
    let parsed = parse_price(&amount, currency.as_deref().or(hint))?;
    let availability = meta_content(doc, &["product:availability", "og:availability"])
        .as_deref()
        .and_then(Availability::parse);
    Some(Offer {
        price: parsed.amount,
        currency: currency.or(parsed.currency),
        availability,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::FeedKind;

    fn source(currency: Option<&str>) -> FeedSource {
        FeedSource {
            name: "shop".into(),
            kind: FeedKind::Page,
            url: "https://shop.example/p/1".into(),
            currency: currency.map(str::to_string),
            rate_limit: None,
            of: None,
        }
    }

    /// A fixture page, by its file name under `tests/fixtures/product-pages/`.
    macro_rules! page {
        ($file:literal) => {
            include_bytes!(concat!("../../../tests/fixtures/product-pages/", $file)).as_slice()
        };
    }

    fn product(html: &[u8]) -> Product {
        let feed = parse(&source(None), html).expect("page has a price");
        assert_eq!((feed.products.len(), feed.report.records), (1, 1));
        feed.products.into_iter().next().expect("one product")
    }

    fn price_of(p: &Product) -> (String, Option<&str>, Option<Availability>) {
        let price = p
            .price
            .map(|d| d.normalize().to_string())
            .unwrap_or_default();
        (price, p.currency.as_deref(), p.availability)
    }

    const IN: Option<Availability> = Some(Availability::InStock);

    /// A page, and the price, currency and availability it should yield.
    type Expected = (
        &'static [u8],
        &'static str,
        Option<&'static str>,
        Option<Availability>,
    );

    /// Each public page yields what `tests/fixtures/SOURCES.md` says it should.
    #[test]
    fn public_pages_yield_their_stated_prices() {
        let cases: [Expected; 9] = [
            (
                page!("cdio-instock-ldjson-type-list-capital-Offers.html"),
                "121.95",
                Some("EUR"),
                IN,
            ),
            (
                page!("cdio-instock-ldjson-ubiquiti-pricespecification.html"),
                "121.95",
                Some("USD"),
                IN,
            ),
            (
                page!("cdio-instock-ldjson-hm-offers-array-plus-microdata.html"),
                "121.95",
                Some("EUR"),
                IN,
            ),
            (
                page!("cdio-outofstock-ldjson-medimops-two-blocks.html"),
                "121.95",
                Some("EUR"),
                Some(Availability::OutOfStock),
            ),
            (
                page!("cdio-instock-microdata-meta-content.html"),
                "767.55",
                Some("EUR"),
                IN,
            ),
            (
                page!("cdio-itemprop-example-a-microdata-and-ldjson.html"),
                "155.55",
                Some("AUD"),
                None,
            ),
            (
                page!("cdio-instock-ldjson-aggregateoffer-cop.html"),
                "8097000",
                Some("COP"),
                IN,
            ),
            (
                page!("cdio-ldjson-offer-no-availability.html"),
                "1",
                Some("EUR"),
                None,
            ),
            (
                page!("cdio-woolworths-nan-optipro-broken-then-valid-ldjson.html"),
                "23.5",
                Some("AUD"),
                IN,
            ),
        ];
        for (i, (html, price, currency, availability)) in cases.into_iter().enumerate() {
            let p = product(html);
            assert_eq!(
                price_of(&p),
                (price.to_string(), currency, availability),
                "case {i}"
            );
        }
    }

    #[test]
    fn json_ld_names_the_product() {
        let p = product(page!(
            "cdio-woolworths-nan-optipro-broken-then-valid-ldjson.html"
        ));
        assert_eq!(p.name, "Nan Optipro Stage 1 Baby Formula  800g");
        assert_eq!(p.brand.as_deref(), Some("Nan"));
        assert_eq!(p.gtin.as_deref(), Some("7613287517388"));
        assert_eq!(p.id, "155536");
        assert_eq!(
            (p.feed.as_str(), p.url.as_deref()),
            ("shop", Some("https://shop.example/p/1"))
        );
        let p = product(page!("cdio-outofstock-ldjson-medimops-two-blocks.html"));
        assert_eq!(p.id, "isbn:9780002551328");
        assert_eq!(p.brand.as_deref(), Some("Patrick Robinson"));
        let p = product(page!("cdio-instock-ldjson-type-list-capital-Offers.html"));
        assert_eq!(
            (p.id.as_str(), p.name.as_str()),
            ("https://shop.example/p/1", "My test product")
        );
    }

    /// extruct's expected microdata output for the same page: 119.99 USD, in stock.
    #[test]
    fn extruct_microdata_page_matches_its_expected_output() {
        let expected: Value =
            serde_json::from_slice(page!("extruct-schemaorg-product-microdata.expected.json"))
                .expect("valid JSON");
        let props = &expected[0]["properties"];
        let offer = &props["offers"]["properties"];
        let p = product(page!("extruct-schemaorg-product-microdata.html"));
        assert_eq!(
            p.price.map(|d| d.to_string()),
            offer["price"].as_str().map(str::to_string)
        );
        assert_eq!(p.currency.as_deref(), offer["priceCurrency"].as_str());
        assert_eq!(
            p.availability,
            offer["availability"].as_str().and_then(Availability::parse)
        );
        assert_eq!(Some(p.name.as_str()), props["name"].as_str());
        assert_eq!(p.brand.as_deref(), props["brand"].as_str());
    }

    #[test]
    fn graph_with_a_text_price() {
        let p = product(page!("own-graph-offer-text-price.html"));
        assert_eq!(price_of(&p), ("1299".into(), Some("GBP"), IN));
        assert_eq!(
            (p.id.as_str(), p.name.as_str()),
            ("DESK-WAL-120", "Walnut Writing Desk")
        );
        assert_eq!(
            (p.brand.as_deref(), p.gtin.as_deref()),
            (Some("Oakhill"), Some("5012345678900"))
        );
    }

    #[test]
    fn aggregate_offer_uses_the_low_price() {
        let p = product(page!("own-aggregateoffer.html"));
        assert_eq!(price_of(&p), ("24.9".into(), Some("EUR"), None));
        assert_eq!(
            (p.id.as_str(), p.brand.as_deref()),
            ("EK-6", Some("Caffelatte"))
        );
    }

    #[test]
    fn a_list_of_offers_gives_the_lowest_available_one() {
        let p = product(page!("own-offers-list-lowest-available.html"));
        assert_eq!(price_of(&p), ("84.5".into(), Some("USD"), IN));
        assert_eq!(p.gtin.as_deref(), Some("00012345600012"));
    }

    #[test]
    fn microdata_only_page() {
        let p = product(page!("own-microdata-only.html"));
        assert_eq!(
            price_of(&p),
            ("1234.5".into(), Some("EUR"), Some(Availability::Backorder))
        );
        assert_eq!(p.name, "Vélo de ville 28\"");
        assert_eq!(p.brand.as_deref(), Some("Roulebien"));
        assert_eq!(
            (p.id.as_str(), p.gtin.as_deref()),
            ("VV-28", Some("3012345678902"))
        );
    }

    #[test]
    fn meta_tags_only_page() {
        let p = product(page!("own-meta-tags-only.html"));
        assert_eq!(price_of(&p), ("34.99".into(), Some("CAD"), IN));
        assert_eq!(p.name, "Ceramic Pour-Over Set");
        assert_eq!(p.id, "https://shop.example/p/1");
    }

    #[test]
    fn a_page_without_a_price_is_a_clear_error() {
        for html in [
            page!("own-no-price.html"),
            page!("cdio-no-structured-data.html"),
            b"id,name\n1,Tea\n".as_slice(),
            b"{\"products\": []}".as_slice(),
        ] {
            let err = parse(&source(Some("GBP")), html).expect_err("no price");
            assert_eq!(err.to_string(), NO_PRICE);
        }
        assert!(matches!(
            parse(&source(None), b"  \n"),
            Err(FeedError::Empty)
        ));
    }

    #[test]
    fn the_feed_currency_is_the_hint_for_bare_prices() {
        let html =
            br#"<html><head><meta property="og:price:amount" content="1.299,00"></head></html>"#;
        let p = parse(&source(Some("eur")), html)
            .expect("price")
            .products
            .remove(0);
        assert_eq!(price_of(&p), ("1299".into(), Some("EUR"), None));
        let html = br#"<script type="application/ld+json">{"@type":"Product","name":"X","offers":{"price":"$5"}}</script>"#;
        let p = parse(&source(Some("CAD")), html)
            .expect("price")
            .products
            .remove(0);
        assert_eq!(price_of(&p), ("5".into(), Some("CAD"), None));
    }

    #[test]
    fn json_ld_wins_over_microdata_and_meta_tags() {
        let html = br#"<html><head>
            <meta property="product:price:amount" content="3.00">
            <script type="application/ld+json">{"@type":"Product","name":"X","offers":{"@type":"Offer","price":1,"priceCurrency":"GBP"}}</script>
            </head><body><span itemprop="price" content="2.00"></span></body></html>"#;
        let p = parse(&source(None), html)
            .expect("price")
            .products
            .remove(0);
        assert_eq!(price_of(&p), ("1".into(), Some("GBP"), None));
    }

    #[test]
    fn offers_that_name_their_variants_are_one_product_each() {
        let html = r#"<script type="application/ld+json">{"@type": "Product",
          "name": "Oat Drink", "sku": "OAT", "offers": [
          {"name": "1 litre", "sku": "OAT-1L", "price": "2.10", "priceCurrency": "GBP",
           "availability": "https://schema.org/InStock"},
          {"name": "250 ml", "price": "0.95", "priceCurrency": "GBP",
           "availability": "https://schema.org/OutOfStock"}]}</script>"#;
        let feed = parse(&source(None), html.as_bytes()).expect("parses");
        let got: Vec<_> = feed
            .products
            .iter()
            .map(|p| (p.id.as_str(), p.name.as_str(), p.price, p.availability))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "OAT-1L",
                    "Oat Drink — 1 litre",
                    Decimal::from_str("2.10").ok(),
                    Some(Availability::InStock)
                ),
                (
                    "OAT#2",
                    "Oat Drink — 250 ml",
                    Decimal::from_str("0.95").ok(),
                    Some(Availability::OutOfStock)
                ),
            ]
        );
        assert_eq!(feed.report.records, 2);
    }

    #[test]
    fn offers_without_names_stay_one_product_at_the_best_offer() {
        let html = r#"<script type="application/ld+json">{"@type": "Product",
          "name": "Tea", "offers": [{"price": "3.00", "priceCurrency": "GBP"},
          {"price": "2.00", "priceCurrency": "GBP"}]}</script>"#;
        let feed = parse(&source(None), html.as_bytes()).expect("parses");
        assert_eq!(feed.products.len(), 1);
        assert_eq!(feed.products[0].price, Decimal::from_str("2.00").ok());
    }
}
