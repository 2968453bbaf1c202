//! The `openfoodfacts` feed kind: facts, not a catalog. For the GTINs of basket
//! items and swap candidates basket asks the Open Food Facts product API
//! (`{url}/api/v2/product/{gtin}.json`) and turns each answer into a [`Product`]
//! that carries facts only (no price, no availability); the command layer merges
//! it into the other feeds' products with [`Product::merge_facts_from`].
//!
//! How an answer maps (docs/feeds.md, the `openfoodfacts` row):
//!
//! | Open Food Facts | model |
//! | --- | --- |
//! | `product_name` (else `product_name_en`, `generic_name`, ...) | `name` |
//! | first of `brands` (comma-separated) | `brand` |
//! | `categories_tags` | `categories`, as given (`en:spreads`; matching folds the prefix) |
//! | `labels_tags` | `labels`, without the language prefix (`en:organic` -> `organic`) |
//! | `allergens_tags`, `traces_tags` | `allergens`, `traces`, without the prefix; see below for unknown |
//! | `ingredients_analysis_tags` | `contains` / `free_from` / `labels`, table below |
//!
//! `ingredients_analysis_tags`, each family read the same way: a known presence is
//! `contains`, a known absence `free_from`, "maybe" is the cautious `contains`
//! (someone avoiding palm oil or animal products wants a "maybe" left out), and
//! "unknown" sets nothing:
//!
//! | tag | contains | free_from | labels |
//! | --- | --- | --- | --- |
//! | `en:palm-oil`, `en:may-contain-palm-oil` | `palm-oil` | | |
//! | `en:palm-oil-free` | | `palm-oil` | |
//! | `en:non-vegan`, `en:maybe-vegan` | `non-vegan` | | |
//! | `en:vegan` | | `non-vegan` | `vegan` |
//! | `en:non-vegetarian`, `en:maybe-vegetarian` | `non-vegetarian` | | |
//! | `en:vegetarian` | | `non-vegetarian` | `vegetarian` |
//! | `en:*-content-unknown`, `en:*-status-unknown` | | | |
//!
//! So a rule can ask for `labels = ["vegan"]` (known vegan) or
//! `without = "non-vegan"`, and `maybe-vegan` is never taken for vegan. A
//! `labels_tags` entry `en:vegan` (the package says so) also gives the label.
//!
//! Open Food Facts sends `allergens_tags: []` even for products whose ingredients
//! nobody has entered yet, so an empty list is "none" only when the product's
//! ingredients are known (`states_tags` has `en:ingredients-completed`, or, without
//! `states_tags`, there is an `ingredients_text`); otherwise it stays unknown, so an
//! allergy rule never proposes a product because nobody typed its label in. A
//! non-empty list is always known, and a missing field is always unknown.
//!
//! Asking politely: each GTIN is asked once per run (duplicates, also of different
//! lengths, are folded), at most `concurrency` requests are open at a time, the
//! fetcher's User-Agent names basket and its home page, and answers come from the
//! fetcher's on-disk cache while they are younger than [`FRESH_FOR`].

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::model::Product;

use crate::feeds::formats::json::parse_document;
use crate::feeds::{FeedError, Fetcher};

pub const DEFAULT_URL: &str = "https://world.openfoodfacts.org";

/// How many product requests are open at once unless the caller says otherwise:
/// Open Food Facts asks API users to keep their load light.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Requests a run makes to Open Food Facts unless its feed's `rate_limit`
/// says otherwise: the API asks for at most 15 product reads a minute.
pub const RATE_LIMIT: u32 = 15;

/// How long a cached answer is used without asking again: product facts change
/// rarely, and the API's rate limits are per minute.
pub const FRESH_FOR: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The product API URL for one GTIN: `{base}/api/v2/product/{gtin}.json`.
pub fn product_url(base: &str, gtin: &str) -> String {
    format!(
        "{}/api/v2/product/{}.json",
        base.trim_end_matches('/'),
        gtin.trim()
    )
}

/// Parses one product API answer. `Ok(None)` is "not in Open Food Facts"
/// (`status: 0`, `status_verbose: "product not found"`, or the v3 `"failure"`).
pub fn parse_product(feed: &str, gtin: &str, bytes: &[u8]) -> Result<Option<Product>, FeedError> {
    let Value::Object(answer) = parse_document(bytes)? else {
        return Err(FeedError::Shape(
            "expected a JSON object from Open Food Facts".to_string(),
        ));
    };
    if !found(&answer) {
        return Ok(None);
    }
    match answer.get("product") {
        Some(Value::Object(product)) => Ok(Some(product_from(feed, gtin, product))),
        _ => Err(FeedError::Shape(
            "the answer says the product was found but has no \"product\" object".to_string(),
        )),
    }
}

/// Whether the answer says the product exists. v0/v2 answer `status` 1 or 0; v3
/// answers `"success"` or `"failure"`; an answer without `status` but with a
/// product is taken at its word.
fn found(answer: &Map<String, Value>) -> bool {
    let verbose = answer.get("status_verbose").and_then(Value::as_str);
    if verbose.is_some_and(|v| v.trim().eq_ignore_ascii_case("product not found")) {
        return false;
    }
    match answer.get("status") {
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => {
            let s = s.trim().to_ascii_lowercase();
            s == "1" || s.starts_with("success")
        }
        _ => answer.get("product").is_some_and(Value::is_object),
    }
}

/// Parses a search or list page (`{"count", "page", "page_size", "products": [...]}`),
/// each entry as the product with the GTIN in its `code`. Entries without a code
/// cannot be matched to anything and are left out. The page's counters are not
/// read: old servers send them as strings (`"page_size": "20"`).
pub fn parse_search_page(feed: &str, bytes: &[u8]) -> Result<Vec<Product>, FeedError> {
    let Value::Object(page) = parse_document(bytes)? else {
        return Err(FeedError::Shape(
            "expected a JSON object from Open Food Facts".to_string(),
        ));
    };
    let Some(Value::Array(entries)) = page.get("products") else {
        return Err(FeedError::Shape(
            "a search page needs a \"products\" list".to_string(),
        ));
    };
    Ok(entries
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|entry| {
            let code = match entry.get("code") {
                Some(Value::String(s)) => s.trim().to_string(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return None,
            };
            (!code.is_empty()).then(|| product_from(feed, &code, entry))
        })
        .collect())
}

/// Maps one product object (docs/feeds.md; the table in the module note).
fn product_from(feed: &str, gtin: &str, p: &Map<String, Value>) -> Product {
    let mut product = Product {
        feed: feed.to_string(),
        id: gtin.to_string(),
        gtin: Some(gtin.to_string()),
        name: name(p),
        brand: text(p, "brands").and_then(|brands| {
            brands
                .split(',')
                .map(str::trim)
                .find(|b| !b.is_empty())
                .map(str::to_string)
        }),
        categories: tags(p, "categories_tags").unwrap_or_default(),
        labels: tags(p, "labels_tags")
            .unwrap_or_default()
            .iter()
            .map(|t| without_language(t))
            .collect(),
        ..Product::default()
    };
    let ingredients_known = ingredients_known(p);
    product.allergens = allergen_set(p, "allergens_tags", ingredients_known);
    product.traces = allergen_set(p, "traces_tags", ingredients_known);
    for tag in tags(p, "ingredients_analysis_tags").unwrap_or_default() {
        apply_analysis_tag(&mut product, &tag);
    }
    // An answer carrying two tags of one family (never seen, but cheap to guard)
    // reads cautiously, as merging two sources does: present wins.
    let present: Vec<String> = product.contains.iter().cloned().collect();
    for t in present {
        product.free_from.remove(&t);
    }
    product.make_printable();
    product
}

/// Reads one `ingredients_analysis_tags` entry into the product's facts.
fn apply_analysis_tag(product: &mut Product, tag: &str) {
    let contains = |p: &mut Product, t: &str| {
        p.contains.insert(t.to_string());
    };
    let free_from = |p: &mut Product, t: &str| {
        p.free_from.insert(t.to_string());
    };
    match without_language(tag).as_str() {
        "palm-oil" | "may-contain-palm-oil" => contains(product, "palm-oil"),
        "palm-oil-free" => free_from(product, "palm-oil"),
        "non-vegan" | "maybe-vegan" => contains(product, "non-vegan"),
        "vegan" => {
            free_from(product, "non-vegan");
            product.labels.insert("vegan".to_string());
        }
        "non-vegetarian" | "maybe-vegetarian" => contains(product, "non-vegetarian"),
        "vegetarian" => {
            free_from(product, "non-vegetarian");
            product.labels.insert("vegetarian".to_string());
        }
        // `*-content-unknown`, `*-status-unknown`, and families added later
        // (e.g. `en:non-halal`) say nothing we model: unknown.
        _ => {}
    }
}

/// The name people see: the main language's, else English, else the generic name,
/// else any language's. Empty when the product has none (it still carries facts).
fn name(p: &Map<String, Value>) -> String {
    [
        "product_name",
        "product_name_en",
        "generic_name",
        "generic_name_en",
    ]
    .iter()
    .find_map(|field| text(p, field))
    .or_else(|| {
        p.iter()
            .filter(|(k, _)| k.starts_with("product_name_") && !k.ends_with("_tags"))
            .find_map(|(_, v)| v.as_str().map(str::trim).filter(|s| !s.is_empty()))
            .map(str::to_string)
    })
    .unwrap_or_default()
}

/// A string field, trimmed; `None` when missing, `null` or blank.
fn text(p: &Map<String, Value>, field: &str) -> Option<String> {
    p.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A `*_tags` list as given; `None` when the field is missing or not a list.
fn tags(p: &Map<String, Value>, field: &str) -> Option<Vec<String>> {
    let Some(Value::Array(items)) = p.get(field) else {
        return None;
    };
    Some(
        items
            .iter()
            .filter_map(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// Whether someone entered the ingredients, so an empty allergen list means "none".
fn ingredients_known(p: &Map<String, Value>) -> bool {
    match tags(p, "states_tags") {
        Some(states) => states.iter().any(|s| s == "en:ingredients-completed"),
        None => text(p, "ingredients_text").is_some(),
    }
}

/// `allergens_tags` / `traces_tags` without the language prefix; see the module
/// note for when an empty list is known and when it is unknown.
fn allergen_set(
    p: &Map<String, Value>,
    field: &str,
    ingredients_known: bool,
) -> Option<BTreeSet<String>> {
    let list = tags(p, field)?;
    if list.is_empty() && !ingredients_known {
        return None;
    }
    Some(list.iter().map(|t| without_language(t)).collect())
}

/// `en:organic` -> `organic`, `fr:faible-indice-glycemique` ->
/// `faible-indice-glycemique`: Open Food Facts tags start with a two-letter
/// language code, which rules do not write.
fn without_language(tag: &str) -> String {
    let tag = tag.trim();
    match tag.split_once(':') {
        Some((lang, rest)) if lang.len() == 2 && lang.chars().all(|c| c.is_ascii_alphabetic()) => {
            rest.to_string()
        }
        _ => tag.to_string(),
    }
}

/// What asking for one GTIN came to.
enum Outcome {
    /// Boxed, so a not-found or a failure does not take a whole product's room.
    Found(Box<Product>),
    NotFound,
    Failed(FeedError),
}

/// Asks Open Food Facts about each GTIN and returns the products it knows, in the
/// order of `gtins`, with one warning per GTIN that could not be asked or read
/// (`openfoodfacts: 3017620422003: HTTP 503 ...`). Products it does not know are
/// left out without a warning: most shop-brand items are not there, and saying so
/// every run would drown the warnings that matter. Only when every one of three or
/// more GTINs is unknown does one line suggest checking the feed's `url`.
///
/// GTINs are folded to 14 digits to drop duplicates (the first spelling is the one
/// asked); at most `concurrency` requests run at once (0 counts as 1).
pub fn fetch_facts(
    fetcher: &Fetcher,
    feed: &str,
    base: &str,
    gtins: &[String],
    concurrency: usize,
) -> (Vec<Product>, Vec<String>) {
    let (queue, mut warnings) = super::gtin_queue(feed, gtins);
    let outcomes = super::ask_each(&queue, concurrency, |gtin| ask(fetcher, feed, base, gtin));
    let outcomes = outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| (i, o.unwrap_or(Outcome::Failed(FeedError::Panicked))));

    let mut products = Vec::new();
    let mut not_found = 0;
    let mut left = super::Left::default();
    for (i, outcome) in outcomes {
        match outcome {
            Outcome::Found(p) => products.push(*p),
            Outcome::NotFound => not_found += 1,
            Outcome::Failed(e) => {
                if let Some(e) = left.count(e) {
                    let gtin = queue.get(i).map_or("?", String::as_str);
                    warnings.push(format!("{feed}: {gtin}: {e}"));
                }
            }
        }
    }
    warnings.extend(left.notices(feed));
    // A wrong `url` answers 404 for every GTIN, which reads as "not found"; one
    // line then says so. A few unknown GTINs alone stay silent.
    if not_found >= SUSPICIOUS_NOT_FOUND && not_found == queue.len() {
        warnings.push(format!(
            "{feed}: none of the {not_found} GTINs asked is known at {base}; is the feed's url \
             the API base (like {DEFAULT_URL})?"
        ));
    }
    (products, warnings)
}

/// How many GTINs must all come back "not found" before it looks like a wrong
/// `url` rather than products Open Food Facts does not have.
const SUSPICIOUS_NOT_FOUND: usize = 3;

/// One GTIN: fetch, then parse. The v2 API answers an unknown GTIN with HTTP 404
/// and a `status: 0` body; both mean "not found", not a failure.
fn ask(fetcher: &Fetcher, feed: &str, base: &str, gtin: &str) -> Outcome {
    let bytes = match fetch_body(fetcher, &product_url(base, gtin)) {
        Ok(bytes) => bytes,
        Err(FeedError::Http { status: 404, .. }) => return Outcome::NotFound,
        Err(e) => return Outcome::Failed(e),
    };
    match parse_product(feed, gtin, &bytes) {
        Ok(Some(p)) => Outcome::Found(Box::new(p)),
        Ok(None) => Outcome::NotFound,
        Err(e) => Outcome::Failed(e),
    }
}

/// The one place this module touches the fetcher, so a change to its API (the
/// cache with a freshness period: `get_fresh(url, FRESH_FOR)`) is a change here.
/// Answers are cached for [`FRESH_FOR`]: a GTIN asked this week is not asked again.
fn fetch_body(fetcher: &Fetcher, url: &str) -> Result<Vec<u8>, FeedError> {
    fetcher.get_fresh(url, FRESH_FOR).map(|f| f.bytes)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::thread;

    use super::*;
    use crate::feeds::FetchOptions;

    const FEED: &str = "off";

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/openfoodfacts/",
                $name
            ))
        };
    }

    fn product(gtin: &str, bytes: &[u8]) -> Product {
        parse_product(FEED, gtin, bytes)
            .expect("parses")
            .expect("found")
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn find<'a>(products: &'a [Product], gtin: &str) -> &'a Product {
        products
            .iter()
            .find(|p| p.id == gtin)
            .unwrap_or_else(|| panic!("{gtin} on the page"))
    }

    /// Neither known present nor known absent.
    fn unknown(p: &Product, t: &str) -> bool {
        !p.contains.contains(t) && !p.free_from.contains(t)
    }

    #[test]
    fn url_trims_the_base_and_keeps_leading_zeros() {
        assert_eq!(
            product_url(DEFAULT_URL, "3017620422003"),
            "https://world.openfoodfacts.org/api/v2/product/3017620422003.json"
        );
        assert_eq!(
            product_url("http://127.0.0.1:9/off/", "00012345600012"),
            "http://127.0.0.1:9/off/api/v2/product/00012345600012.json"
        );
    }

    #[test]
    fn robotoff_agave_syrup_unknown_palm_oil_and_no_allergens() {
        let p = product(
            "3088543506255",
            fixture!("robotoff-product-3088543506255.json"),
        );
        assert_eq!(
            (p.feed.as_str(), p.id.as_str(), p.gtin.as_deref()),
            (FEED, "3088543506255", Some("3088543506255"))
        );
        assert_eq!(p.name, "sirop d agave");
        assert_eq!(p.brand.as_deref(), Some("Sunny via"));
        assert!(unknown(&p, "palm-oil"));
        assert!(unknown(&p, "non-vegan") && unknown(&p, "non-vegetarian"));
        assert!(!p.labels.contains("vegan"));
        // Ingredients completed and no allergen: known none.
        assert_eq!(p.allergens, Some(BTreeSet::new()));
        assert_eq!(p.traces, Some(BTreeSet::new()));
        assert_eq!(
            p.labels,
            set(&["faible-indice-glycemique", "sucre-d-origine-naturelle"])
        );
        assert!(p.categories.contains(&"en:agave-syrups".to_string()));
        assert_eq!(
            (p.price, p.availability, p.url.as_deref()),
            (None, None, None)
        );
    }

    #[test]
    fn robotoff_pulco_first_brand_and_labels() {
        let p = product(
            "3225350000501",
            fixture!("robotoff-product-3225350000501.json"),
        );
        assert_eq!(p.name, "Pulco Citron");
        assert_eq!(p.brand.as_deref(), Some("Pulco"));
        assert!(unknown(&p, "palm-oil"));
        assert!(p.labels.contains("sans-sucre-ajoute"));
        assert_eq!(p.categories, vec!["en:syrups".to_string()]);
    }

    #[test]
    fn robotoff_harrys_bread_palm_oil_free_maybe_vegan_gluten() {
        let p = product(
            "3228857000852",
            fixture!("robotoff-product-3228857000852.json"),
        );
        assert_eq!(p.brand.as_deref(), Some("Harrys"));
        assert!(p.free_from.contains("palm-oil"));
        assert!(!p.contains.contains("palm-oil"));
        // maybe-vegan is not vegan: the cautious reading.
        assert!(p.contains.contains("non-vegan") && p.contains.contains("non-vegetarian"));
        assert!(!p.labels.contains("vegan") && !p.labels.contains("vegetarian"));
        assert_eq!(p.allergens, Some(set(&["gluten"])));
        assert_eq!(
            p.traces,
            Some(set(&["eggs", "milk", "nuts", "sesame-seeds", "soybeans"]))
        );
        assert!(p.labels.contains("no-palm-oil") && p.labels.contains("no-additives"));
    }

    #[test]
    fn robotoff_st_hubert_vegan_organic_nuts_soybeans() {
        let p = product(
            "3366321052331",
            fixture!("robotoff-product-3366321052331.json"),
        );
        assert_eq!(p.brand.as_deref(), Some("St Hubert"));
        assert!(p.name.starts_with("St Hubert bio doux"), "{}", p.name);
        assert!(p.free_from.contains("palm-oil"));
        assert!(p.labels.contains("vegan") && p.labels.contains("vegetarian"));
        assert!(p.free_from.contains("non-vegan") && p.contains.is_empty());
        assert_eq!(p.allergens, Some(set(&["nuts", "soybeans"])));
        assert!(p.labels.contains("organic") && p.labels.contains("no-palm-oil"));
    }

    #[test]
    fn robotoff_soignon_goat_cheese_vegetarian_not_vegan_milk() {
        let p = product(
            "3523230028431",
            fixture!("robotoff-product-3523230028431.json"),
        );
        assert_eq!(p.name, "Bûche Sainte-Maure");
        assert_eq!(p.brand.as_deref(), Some("Soignon"));
        assert!(p.free_from.contains("palm-oil"));
        assert!(p.contains.contains("non-vegan"));
        assert!(p.free_from.contains("non-vegetarian"));
        assert!(p.labels.contains("vegetarian") && !p.labels.contains("vegan"));
        assert_eq!(p.allergens, Some(set(&["milk"])));
    }

    #[test]
    fn poulain_cocoa_palm_oil_free_gluten_free_label() {
        let p = product(
            "7622210288257",
            fixture!("nodejs-product-7622210288257-poulain.json"),
        );
        assert_eq!(p.name, "Grand Arôme");
        assert_eq!(p.brand.as_deref(), Some("Poulain"));
        assert!(p.free_from.contains("palm-oil"));
        assert!(p.contains.contains("non-vegan"));
        assert_eq!(p.labels, set(&["gluten-free", "green-dot"]));
    }

    #[test]
    fn fanta_v0_answer_without_analysis_is_unknown() {
        let p = product(
            "5449000011527",
            fixture!("ios-product-by-barcode-5449000011527-fanta.json"),
        );
        assert_eq!(p.name, "Fanta Orange");
        assert_eq!(p.brand.as_deref(), Some("Fanta"));
        assert!(p.contains.is_empty() && p.free_from.is_empty());
        assert!(!p.labels.contains("vegan"));
        assert!(p.labels.contains("eco-emballages"));
        assert_eq!(p.allergens, Some(BTreeSet::new()));
    }

    #[test]
    fn monoprix_page_may_contain_palm_oil_is_contains() {
        let page = parse_search_page(
            FEED,
            fixture!("nodejs-search-brand-monoprix-page1-TRIMMED-12-of-20.json"),
        )
        .expect("parses");
        assert_eq!(page.len(), 12);
        let sauce = find(&page, "3350033356658");
        assert_eq!(sauce.name, "Sauce burger");
        assert!(sauce.contains.contains("palm-oil"));
        assert!(!sauce.free_from.contains("palm-oil"));
        assert_eq!(sauce.allergens, Some(set(&["celery", "eggs", "mustard"])));

        let gnocchi = find(&page, "3350030202071");
        assert!(gnocchi.free_from.contains("palm-oil") && gnocchi.labels.contains("vegan"));
        assert_eq!(gnocchi.brand.as_deref(), Some("Monoprix"));
        let guacamole = find(&page, "3350030167509");
        assert!(unknown(guacamole, "palm-oil"));
        // No analysis at all: unknown.
        let tomatoes = find(&page, "3350031650550");
        assert!(tomatoes.contains.is_empty() && tomatoes.free_from.is_empty());
        // "Monoprix Bio,Monoprix": the first brand.
        let cheese = find(&page, "3350033035911");
        assert_eq!(cheese.brand.as_deref(), Some("Monoprix Bio"));
        assert_eq!(cheese.allergens, Some(set(&["milk"])));
        let salmon = find(&page, "3350033304215");
        assert_eq!(salmon.traces, Some(set(&["mustard"])));
    }

    #[test]
    fn an_empty_allergen_list_is_unknown_until_the_ingredients_are_entered() {
        let page = parse_search_page(
            FEED,
            fixture!("nodejs-search-brand-monoprix-page1-TRIMMED-12-of-20.json"),
        )
        .expect("parses");
        // "Thé vert citron": `allergens_tags: []` but ingredients to be completed.
        let tea = find(&page, "3350033638907");
        assert_eq!((tea.allergens.as_ref(), tea.traces.as_ref()), (None, None));
        // Lemonade: ingredients completed, no allergens: known none.
        let lemonade = find(&page, "3350031660634");
        assert_eq!(lemonade.allergens, Some(BTreeSet::new()));
    }

    #[test]
    fn code_prefix_page_rik_and_rok_chocolate_barquettes() {
        let page = parse_search_page(
            FEED,
            fixture!("nodejs-search-code-prefix-3596710-page1-TRIMMED-10-of-20.json"),
        )
        .expect("parses");
        assert_eq!(page.len(), 10);
        let p = find(&page, "3596710387557");
        assert_eq!(p.name, "Barquettes chocolat");
        assert_eq!(p.brand.as_deref(), Some("Rik & Rok"));
        assert!(p.contains.contains("palm-oil"));
        assert_eq!(
            p.allergens,
            Some(set(&["eggs", "gluten", "milk", "nuts", "soybeans"]))
        );
        assert_eq!(p.traces, Some(set(&["nuts"])));
        // Known traces, allergens not entered yet: each set on its own.
        let soup = find(&page, "3596710427901");
        assert_eq!(soup.allergens, None);
        assert!(soup.traces.as_ref().is_some_and(|t| t.contains("molluscs")));
        // No brands at all.
        assert_eq!(find(&page, "3596710480968").brand, None);
    }

    #[test]
    fn ios_partial_barcode_page_keeps_nameless_products() {
        let page = parse_search_page(
            FEED,
            fixture!("ios-search-partial-barcode-page-12-products.json"),
        )
        .expect("parses");
        assert_eq!(page.len(), 12);
        // `product_name: ""` and `generic_name: ""`: still a product, with its facts.
        let blank = find(&page, "1234520300114");
        assert_eq!(blank.name, "");
        assert_eq!(blank.brand.as_deref(), Some("EXKI"));
        assert_eq!(blank.allergens, Some(set(&["peanuts", "sesame-seeds"])));
        assert_eq!(blank.traces, Some(BTreeSet::new()));
        // No name fields at all.
        assert_eq!(find(&page, "1234567891248").name, "");
        // Known allergens, but no `traces_tags` field: traces unknown.
        let amalfi = find(&page, "1234550600604");
        assert_eq!(
            amalfi.allergens,
            Some(set(&["celery", "eggs", "gluten", "milk"]))
        );
        assert_eq!(amalfi.traces, None);
        assert!(amalfi.labels.contains("organic"));
        // No `labels_tags`: no labels, not an error.
        assert!(find(&page, "1234123412341").labels.is_empty());
    }

    #[test]
    fn ios_pages_with_string_counters_parse() {
        let page = parse_search_page(
            FEED,
            fixture!("ios-search-by-name-fanta-page1-TRIMMED-5-of-20.json"),
        )
        .expect("page_size \"20\" is not read");
        assert_eq!(page.len(), 5);
        assert_eq!(find(&page, "5449000006004").brand.as_deref(), Some("Fanta"));
        let one = parse_search_page(
            FEED,
            fixture!("ios-search-by-name-one-product-no-nutrition.json"),
        )
        .expect("parses");
        assert_eq!(one.len(), 1);
        assert_eq!(
            (one[0].name.as_str(), one[0].brand.as_deref()),
            ("Fanta Orange", None)
        );
        // Ingredients to be completed, empty lists: unknown, not "none".
        assert_eq!(one[0].allergens, None);
    }

    #[test]
    fn search_page_skips_entries_without_a_code() {
        let page = parse_search_page(
            FEED,
            br#"{"products":[{"product_name":"x"},{"code":"","product_name":"y"},
                {"code":12345670,"product_name":"z"},"junk"]}"#,
        )
        .expect("parses");
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].gtin.as_deref(), Some("12345670"));
        assert!(parse_search_page(FEED, br#"{"count":0}"#).is_err());
    }

    #[test]
    fn not_found_answers_are_none() {
        for body in [
            &br#"{"code":"3017620422003","status":0,"status_verbose":"product not found"}"#[..],
            br#"{"status_verbose":"product not found"}"#,
            br#"{"code":"1","status":"failure","errors":[]}"#,
        ] {
            assert_eq!(
                parse_product(FEED, "3017620422003", body).expect("parses"),
                None
            );
        }
        assert!(matches!(
            parse_product(FEED, "1", br#"{"status":1}"#),
            Err(FeedError::Shape(_))
        ));
        assert!(matches!(
            parse_product(FEED, "1", b"<html>busy</html>"),
            Err(FeedError::Html { .. })
        ));
        assert!(matches!(
            parse_product(FEED, "1", b"[1]"),
            Err(FeedError::Shape(_))
        ));
    }

    #[test]
    fn v3_success_answers_parse() {
        let p = parse_product(
            FEED,
            "0000",
            br#"{"status":"success","product":{"product_name":"A","labels_tags":["en:vegan"]}}"#,
        )
        .expect("parses")
        .expect("found");
        assert_eq!(p.name, "A");
        assert!(p.labels.contains("vegan"));
    }

    /// Every tag combination Open Food Facts' own analysis test expects maps the way
    /// the module note says, and none of them makes a product vegan unless `en:vegan`.
    #[test]
    fn analysis_tags_of_the_server_test_table_map_as_documented() {
        let table = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/openfoodfacts/off-ingredients-analysis-cases.tsv"
        ));
        let mut rows = 0;
        for line in table.lines().skip(1) {
            let expected = line.split('\t').nth(3).unwrap_or_default();
            if expected.starts_with("(none") {
                continue;
            }
            rows += 1;
            let analysis: Vec<&str> = expected.split(',').collect();
            let body = serde_json::json!({"status": 1, "product": {"ingredients_analysis_tags": analysis}});
            let p = product("1", body.to_string().as_bytes());
            let has = |t: &str| analysis.contains(&t);
            assert_eq!(
                p.contains.contains("palm-oil"),
                has("en:palm-oil") || has("en:may-contain-palm-oil"),
                "{line}"
            );
            assert_eq!(
                p.free_from.contains("palm-oil"),
                has("en:palm-oil-free"),
                "{line}"
            );
            assert_eq!(p.labels.contains("vegan"), has("en:vegan"), "{line}");
            assert_eq!(
                p.labels.contains("vegetarian"),
                has("en:vegetarian"),
                "{line}"
            );
            assert_eq!(
                p.contains.contains("non-vegan"),
                has("en:non-vegan") || has("en:maybe-vegan"),
                "{line}"
            );
            assert_eq!(
                p.free_from.contains("non-vegetarian"),
                has("en:vegetarian"),
                "{line}"
            );
            if has("en:vegan-status-unknown") {
                assert!(unknown(&p, "non-vegan"), "{line}");
            }
        }
        assert_eq!(rows, 38);
    }

    #[test]
    fn facts_merge_into_a_shop_product() {
        let off = product(
            "3366321052331",
            fixture!("robotoff-product-3366321052331.json"),
        );
        let mut shop = Product {
            feed: "grocer".into(),
            id: "GR-1".into(),
            gtin: Some("03366321052331".into()),
            name: "Spread".into(),
            ..Product::default()
        };
        shop.merge_facts_from(&off);
        assert!(shop.free_from.contains("palm-oil") && shop.labels.contains("organic"));
        assert_eq!(shop.allergens, Some(set(&["nuts", "soybeans"])));
        assert_eq!(shop.brand.as_deref(), Some("St Hubert"));
    }

    /// A loopback Open Food Facts: answers from a fixed table until told to stop,
    /// recording each request's path and User-Agent.
    struct FakeOff {
        base: String,
        seen: Arc<Mutex<Vec<(String, String)>>>,
        server: Arc<tiny_http::Server>,
        thread: thread::JoinHandle<()>,
    }

    impl FakeOff {
        fn start(routes: Vec<(String, u16, String)>) -> FakeOff {
            let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind loopback"));
            let addr = server.server_addr().to_ip().expect("tcp listener");
            let seen = Arc::new(Mutex::new(Vec::new()));
            let (srv, log) = (Arc::clone(&server), Arc::clone(&seen));
            let thread = thread::spawn(move || {
                // `recv` returns an error once `unblock` is called: the test is over.
                while let Ok(request) = srv.recv() {
                    let agent = request
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv("User-Agent"))
                        .map(|h| h.value.to_string())
                        .unwrap_or_default();
                    let path = request.url().to_string();
                    log.lock().expect("log").push((path.clone(), agent));
                    let (status, body) = routes
                        .iter()
                        .find(|r| r.0 == path)
                        .map_or((404, "{}".to_string()), |r| (r.1, r.2.clone()));
                    let _ = request.respond(
                        tiny_http::Response::from_string(body)
                            .with_status_code(tiny_http::StatusCode(status)),
                    );
                }
            });
            FakeOff {
                base: format!("http://{addr}"),
                seen,
                server,
                thread,
            }
        }

        fn stop(self) -> Vec<(String, String)> {
            self.server.unblock();
            self.thread.join().expect("server thread ends");
            let log = self.seen.lock().expect("log");
            log.clone()
        }
    }

    #[test]
    fn fetch_facts_asks_each_gtin_once_and_politely() {
        let found = |name: &str, analysis: &str| {
            format!(
                r#"{{"status":1,"status_verbose":"product found","product":{{
                    "product_name":"{name}","brands":"B1,B2",
                    "ingredients_analysis_tags":["{analysis}"],
                    "allergens_tags":["en:milk"],"states_tags":["en:ingredients-completed"]}}}}"#
            )
        };
        let route = |gtin: &str, status: u16, body: String| {
            (format!("/api/v2/product/{gtin}.json"), status, body)
        };
        let off = FakeOff::start(vec![
            route("3017620422003", 200, found("Spread", "en:palm-oil")),
            route("5449000011527", 200, found("Soda", "en:palm-oil-free")),
            route(
                "7622210288257",
                404,
                r#"{"code":"7622210288257","status":0,"status_verbose":"product not found"}"#
                    .to_string(),
            ),
            route("4000000000006", 200, r#"{"status":0}"#.to_string()),
            route("4000000000013", 200, "<html>maintenance</html>".to_string()),
        ]);
        let fetcher = Fetcher::new(FetchOptions {
            timeout: Duration::from_secs(5),
            ..FetchOptions::default()
        })
        .expect("client builds");
        let gtins: Vec<String> = [
            "3017620422003",
            "5449000011527",
            "3017620422003",
            "7622210288257",
            // The same GTIN as the second, in 14 digits: not asked again.
            "05449000011527",
            "4000000000006",
            "4000000000013",
            "abc",
        ]
        .map(String::from)
        .to_vec();
        let (products, warnings) = fetch_facts(
            &fetcher,
            "openfoodfacts",
            &format!("{}/", off.base),
            &gtins,
            2,
        );
        let seen = off.stop();

        let ids: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["3017620422003", "5449000011527"]);
        assert!(products[0].contains.contains("palm-oil"));
        assert!(products[1].free_from.contains("palm-oil"));
        assert_eq!(products[0].brand.as_deref(), Some("B1"));
        assert_eq!(products[0].allergens, Some(set(&["milk"])));
        assert!(products.iter().all(|p| p.feed == "openfoodfacts"));

        assert_eq!(
            warnings,
            [
                "openfoodfacts: \"abc\" is not a GTIN (8 to 14 digits), not asked".to_string(),
                "openfoodfacts: 4000000000013: answered with an HTML page, not JSON".to_string(),
            ]
        );

        let mut paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(
            paths,
            [
                "/api/v2/product/3017620422003.json",
                "/api/v2/product/4000000000006.json",
                "/api/v2/product/4000000000013.json",
                "/api/v2/product/5449000011527.json",
                "/api/v2/product/7622210288257.json",
            ]
        );
        for (path, agent) in &seen {
            assert!(
                agent.starts_with("basket/") && agent.contains("basket"),
                "{path}: {agent}"
            );
        }
    }

    #[test]
    fn all_gtins_not_found_hints_at_a_wrong_url() {
        let off = FakeOff::start(Vec::new());
        let fetcher = Fetcher::new(FetchOptions {
            timeout: Duration::from_secs(5),
            ..FetchOptions::default()
        })
        .expect("client builds");
        let gtins = ["3017620422003", "5449000011527", "7622210288257"].map(String::from);
        let base = format!("{}/api/v2", off.base);
        let (products, warnings) = fetch_facts(&fetcher, "off", &base, &gtins, 4);
        assert_eq!(off.stop().len(), 3);
        assert!(products.is_empty());
        assert_eq!(
            warnings,
            [format!(
                "off: none of the 3 GTINs asked is known at {base}; is the feed's url the API \
                 base (like https://world.openfoodfacts.org)?"
            )]
        );
        // Two unknown GTINs are just products Open Food Facts lacks: no warning.
        let off = FakeOff::start(Vec::new());
        let (_, warnings) = fetch_facts(&fetcher, "off", &off.base, &gtins[..2], 4);
        off.stop();
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn fetch_facts_with_nothing_to_ask_asks_nothing() {
        let fetcher = Fetcher::new(FetchOptions::default()).expect("client builds");
        let (products, warnings) = fetch_facts(&fetcher, "off", DEFAULT_URL, &[], 0);
        assert!(products.is_empty() && warnings.is_empty());
    }
}
