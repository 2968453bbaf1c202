//! The generated catalog of `gen-feed`, shared with the benchmarks and
//! `profile-eval` (included with `#[path]`, so each target compiles what it uses).
#![allow(dead_code)]

use std::io::{self, Write};

/// The feed formats written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Merchant,
    Csv,
    Jsonl,
}

// ---------------------------------------------------------------------------
// The catalog's vocabulary.

/// 8 departments x 5 aisles x 5 shelves = 200 category paths.
/// An aisle and its five shelves.
type Aisle = (&'static str, [&'static str; 5]);

const DEPARTMENTS: [(&str, [Aisle; 5]); 8] = [
    (
        "Food",
        [
            (
                "Snacks",
                ["Chocolate", "Crisps", "Nuts", "Biscuits", "Sweets"],
            ),
            ("Bakery", ["Bread", "Cakes", "Pastries", "Wraps", "Muffins"]),
            ("Dairy", ["Milk", "Cheese", "Yoghurt", "Butter", "Cream"]),
            ("Pantry", ["Pasta", "Rice", "Soup", "Sauces", "Cereal"]),
            (
                "Frozen",
                ["Pizza", "Ice Cream", "Vegetables", "Fish", "Desserts"],
            ),
        ],
    ),
    (
        "Drinks",
        [
            (
                "Hot Drinks",
                [
                    "Tea",
                    "Coffee",
                    "Hot Chocolate",
                    "Herbal Tea",
                    "Instant Coffee",
                ],
            ),
            (
                "Soft Drinks",
                ["Cola", "Lemonade", "Squash", "Juice", "Sparkling Water"],
            ),
            (
                "Water",
                [
                    "Still Water",
                    "Flavoured Water",
                    "Mineral Water",
                    "Coconut Water",
                    "Tonic",
                ],
            ),
            (
                "Beer & Cider",
                ["Lager", "Ale", "Stout", "Cider", "Alcohol Free Beer"],
            ),
            (
                "Wine",
                [
                    "Red Wine",
                    "White Wine",
                    "Rose Wine",
                    "Sparkling Wine",
                    "Fortified Wine",
                ],
            ),
        ],
    ),
    (
        "Household",
        [
            (
                "Laundry",
                [
                    "Detergent",
                    "Fabric Softener",
                    "Stain Remover",
                    "Laundry Pods",
                    "Bleach",
                ],
            ),
            (
                "Cleaning",
                [
                    "Surface Spray",
                    "Sponges",
                    "Floor Cleaner",
                    "Glass Cleaner",
                    "Wipes",
                ],
            ),
            (
                "Kitchen Roll",
                [
                    "Paper Towels",
                    "Napkins",
                    "Foil",
                    "Cling Film",
                    "Baking Paper",
                ],
            ),
            (
                "Toilet Roll",
                [
                    "Toilet Tissue",
                    "Moist Tissue",
                    "Facial Tissue",
                    "Travel Tissue",
                    "Recycled Tissue",
                ],
            ),
            (
                "Dishwashing",
                [
                    "Washing Up Liquid",
                    "Dishwasher Tablets",
                    "Rinse Aid",
                    "Scourers",
                    "Dish Brushes",
                ],
            ),
        ],
    ),
    (
        "Health & Beauty",
        [
            (
                "Skin Care",
                [
                    "Sun Cream",
                    "Moisturiser",
                    "Face Wash",
                    "Lip Balm",
                    "Hand Cream",
                ],
            ),
            (
                "Hair Care",
                [
                    "Shampoo",
                    "Conditioner",
                    "Hair Gel",
                    "Hair Spray",
                    "Hair Dye",
                ],
            ),
            (
                "Oral Care",
                [
                    "Toothpaste",
                    "Toothbrushes",
                    "Mouthwash",
                    "Dental Floss",
                    "Whitening Strips",
                ],
            ),
            (
                "Medicine",
                [
                    "Pain Relief",
                    "Cold & Flu",
                    "Allergy",
                    "Plasters",
                    "Vitamins",
                ],
            ),
            (
                "Bath & Shower",
                [
                    "Shower Gel",
                    "Bubble Bath",
                    "Soap",
                    "Deodorant",
                    "Body Lotion",
                ],
            ),
        ],
    ),
    (
        "Baby",
        [
            (
                "Nappies",
                [
                    "Newborn Nappies",
                    "Pull Ups",
                    "Swim Nappies",
                    "Night Nappies",
                    "Nappy Bags",
                ],
            ),
            (
                "Baby Food",
                ["Purees", "Baby Snacks", "Formula", "Baby Cereal", "Pouches"],
            ),
            (
                "Baby Care",
                [
                    "Baby Wipes",
                    "Baby Shampoo",
                    "Nappy Cream",
                    "Baby Lotion",
                    "Cotton Wool",
                ],
            ),
            (
                "Feeding",
                ["Bottles", "Teats", "Bibs", "Sippy Cups", "Sterilisers"],
            ),
            (
                "Baby Toys",
                ["Rattles", "Teethers", "Soft Toys", "Play Mats", "Bath Toys"],
            ),
        ],
    ),
    (
        "Pet Supplies",
        [
            (
                "Dog",
                [
                    "Dog Food",
                    "Dog Treats",
                    "Dog Toys",
                    "Dog Beds",
                    "Dog Leads",
                ],
            ),
            (
                "Cat",
                [
                    "Cat Food",
                    "Cat Treats",
                    "Cat Litter",
                    "Cat Toys",
                    "Scratching Posts",
                ],
            ),
            (
                "Small Pets",
                ["Rabbit Food", "Hamster Food", "Bedding", "Hutches", "Chews"],
            ),
            (
                "Fish",
                [
                    "Fish Food",
                    "Aquarium Filters",
                    "Water Treatment",
                    "Gravel",
                    "Fish Tanks",
                ],
            ),
            (
                "Birds",
                [
                    "Bird Seed",
                    "Fat Balls",
                    "Bird Feeders",
                    "Bird Baths",
                    "Nest Boxes",
                ],
            ),
        ],
    ),
    (
        "Home",
        [
            (
                "Kitchenware",
                ["Pans", "Knives", "Mugs", "Plates", "Storage Tins"],
            ),
            (
                "Lighting",
                ["Light Bulbs", "Lamps", "Fairy Lights", "Torches", "Candles"],
            ),
            (
                "Bedding",
                [
                    "Duvets",
                    "Pillows",
                    "Sheets",
                    "Blankets",
                    "Mattress Toppers",
                ],
            ),
            (
                "Storage",
                ["Boxes", "Baskets", "Hangers", "Shelves", "Vacuum Bags"],
            ),
            (
                "Electricals",
                [
                    "Batteries",
                    "Chargers",
                    "Extension Leads",
                    "Plugs",
                    "Cables",
                ],
            ),
        ],
    ),
    (
        "Garden",
        [
            (
                "Plants",
                ["Seeds", "Bulbs", "Herbs", "Shrubs", "House Plants"],
            ),
            ("Tools", ["Spades", "Secateurs", "Rakes", "Hoses", "Gloves"]),
            (
                "Outdoor Living",
                [
                    "Barbecues",
                    "Charcoal",
                    "Garden Chairs",
                    "Parasols",
                    "Lanterns",
                ],
            ),
            (
                "Lawn Care",
                ["Lawn Feed", "Grass Seed", "Weed Killer", "Mowers", "Edging"],
            ),
            (
                "Pest Control",
                [
                    "Slug Pellets",
                    "Insect Spray",
                    "Mouse Traps",
                    "Bird Netting",
                    "Repellents",
                ],
            ),
        ],
    ),
];

const BRANDS: [&str; 60] = [
    "Acme",
    "Divine",
    "Green & Black's",
    "Harvest Gold",
    "Nordic Pantry",
    "Brightside",
    "Little Oak",
    "Sunny Vale",
    "Crème de la Crème",
    "Meadowfield",
    "Blue Harbour",
    "Old Mill",
    "Kite & Key",
    "Highland Spring",
    "Urban Roots",
    "Red Barn",
    "Silver Birch",
    "Tidewater",
    "Copper Kettle",
    "Wild Thyme",
    "Orchard Lane",
    "Golden Crust",
    "Peak Fresh",
    "Hearth & Home",
    "Clearwater",
    "Puro",
    "Fjord",
    "Bramble",
    "Saffron Road",
    "Café Noir",
    "Stonebridge",
    "Willow Creek",
    "Moonrise",
    "Evergreen",
    "Pebble Bay",
    "Northern Lights",
    "Little Paws",
    "Whisker Co",
    "Garden Gate",
    "Bloom",
    "Sparkle",
    "Freshfold",
    "Softly",
    "Tiny Steps",
    "Cosy Nest",
    "Voltline",
    "Brightbulb",
    "TrueCut",
    "Hillside Dairy",
    "Sea Salt Co",
    "Baker Street",
    "Olive Grove",
    "Maple & Ash",
    "Polar",
    "Zest",
    "Honeycomb",
    "Riverside",
    "Thistle",
    "Ember",
    "Ñandú",
];

const ADJECTIVES: [&str; 24] = [
    "Classic",
    "Organic",
    "Extra",
    "Dark",
    "Light",
    "Premium",
    "Everyday",
    "Family",
    "Mini",
    "Large",
    "Original",
    "Smooth",
    "Crunchy",
    "Sensitive",
    "Fresh",
    "Natural",
    "Value",
    "Deluxe",
    "Zesty",
    "Gentle",
    "Strong",
    "Sweet",
    "Salted",
    "Mild",
];

const SIZES: [&str; 12] = [
    "100g", "200g", "250g", "400g", "500g", "1kg", "330ml", "500ml", "1l", "2l", "6 pack",
    "12 pack",
];

// ---------------------------------------------------------------------------
// One item.

/// SplitMix64: a tiny, well-mixed generator; item `i` is seeded by `(seed, i)`.
struct Rng(u64);

impl Rng {
    fn for_item(seed: u64, i: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Debug)]
pub struct Item {
    id: String,
    gtin: String,
    name: String,
    brand: &'static str,
    /// Department, aisle, shelf.
    path: [&'static str; 3],
    /// In pence.
    regular: u64,
    /// In pence, when on sale.
    sale: Option<u64>,
    availability: &'static str,
}

pub fn item(seed: u64, i: u64) -> Item {
    let mut r = Rng::for_item(seed, i);
    let (dept, aisles) = &DEPARTMENTS[r.below(8) as usize];
    let (aisle, shelves) = &aisles[r.below(5) as usize];
    let shelf = shelves[r.below(5) as usize];
    let brand = BRANDS[r.below(BRANDS.len() as u64) as usize];
    let adjective = ADJECTIVES[r.below(ADJECTIVES.len() as u64) as usize];
    let size = SIZES[r.below(SIZES.len() as u64) as usize];
    // Mostly cheap, some dear: 30p to about £60, skewed low.
    let u = r.below(1000) as f64 / 1000.0;
    let regular = 30 + (u * u * u * 6000.0) as u64;
    let sale = (r.below(100) < 20).then(|| {
        let off = 10 + r.below(41); // 10% to 50% off
        (regular * (100 - off) / 100).max(1)
    });
    let availability = match r.below(100) {
        0..=84 => "in_stock",
        85..=92 => "out_of_stock",
        93..=96 => "preorder",
        _ => "backorder",
    };
    Item {
        id: format!("SKU{i:08}"),
        gtin: gtin13(seed, i),
        name: format!("{brand} {adjective} {shelf} {size}"),
        brand,
        path: [dept, aisle, shelf],
        regular,
        sale,
        availability,
    }
}

/// A GTIN-13 in the 50 (UK) prefix range, unique per item, with its check digit.
pub fn gtin13(seed: u64, i: u64) -> String {
    let body = format!("50{:010}", (i + seed * 7_919) % 10_000_000_000);
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(k, b)| u32::from(b - b'0') * if k % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn money(pence: u64) -> String {
    format!("{}.{:02}", pence / 100, pence % 100)
}

fn path_text(path: &[&str; 3]) -> String {
    path.join(" > ")
}

// ---------------------------------------------------------------------------
// Feeds.

pub fn write_feed(out: &mut impl Write, format: Format, items: u64, seed: u64) -> io::Result<()> {
    match format {
        Format::Merchant => {
            writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
            writeln!(
                out,
                r#"<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">"#
            )?;
            writeln!(out, "<channel>\n<title>Generated shop</title>\n<link>https://shop.example/</link>\n<description>gen-feed {items} items, seed {seed}</description>")?;
            for i in 0..items {
                let it = item(seed, i);
                write!(
                    out,
                    "<item>\n<g:id>{id}</g:id>\n<g:title>{title}</g:title>\n\
                     <g:description>{desc}</g:description>\n\
                     <g:link>https://shop.example/p/{id}</g:link>\n\
                     <g:image_link>https://shop.example/img/{id}.jpg</g:image_link>\n\
                     <g:brand>{brand}</g:brand>\n<g:gtin>{gtin}</g:gtin>\n\
                     <g:product_type>{path}</g:product_type>\n\
                     <g:condition>new</g:condition>\n\
                     <g:availability>{avail}</g:availability>\n\
                     <g:price>{price} GBP</g:price>\n",
                    id = it.id,
                    title = xml(&it.name),
                    desc = xml(&format!(
                        "{} from {}, in {}.",
                        it.name, it.brand, it.path[2]
                    )),
                    brand = xml(it.brand),
                    gtin = it.gtin,
                    path = xml(&path_text(&it.path)),
                    avail = it.availability,
                    price = money(it.regular),
                )?;
                if let Some(sale) = it.sale {
                    writeln!(out, "<g:sale_price>{} GBP</g:sale_price>", money(sale))?;
                }
                writeln!(out, "</item>")?;
            }
            writeln!(out, "</channel>\n</rss>")
        }
        Format::Csv => {
            writeln!(
                out,
                "id,gtin,name,brand,categories,price,regular_price,currency,availability,url"
            )?;
            for i in 0..items {
                let it = item(seed, i);
                let (price, regular) = match it.sale {
                    Some(sale) => (money(sale), money(it.regular)),
                    None => (money(it.regular), String::new()),
                };
                writeln!(
                    out,
                    "{},{},{},{},{},{price},{regular},GBP,{},https://shop.example/p/{}",
                    it.id,
                    it.gtin,
                    csv(&it.name),
                    csv(it.brand),
                    csv(&path_text(&it.path)),
                    it.availability,
                    it.id
                )?;
            }
            Ok(())
        }
        Format::Jsonl => {
            for i in 0..items {
                let it = item(seed, i);
                let (price, regular) = match it.sale {
                    Some(sale) => (
                        money(sale),
                        format!(",\"regular_price\":\"{}\"", money(it.regular)),
                    ),
                    None => (money(it.regular), String::new()),
                };
                writeln!(
                    out,
                    "{{\"id\":\"{}\",\"gtin\":\"{}\",\"name\":{},\"brand\":{},\"categories\":{},\"price\":\"{price}\"{regular},\"currency\":\"GBP\",\"availability\":\"{}\",\"url\":\"https://shop.example/p/{}\"}}",
                    it.id,
                    it.gtin,
                    json(&it.name),
                    json(it.brand),
                    json(&path_text(&it.path)),
                    it.availability,
                    it.id
                )?;
            }
            Ok(())
        }
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn json(s: &str) -> String {
    // The vocabulary has no control characters; quotes and backslashes are escaped.
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

// ---------------------------------------------------------------------------
// Rules.

/// `n` rules over the feed: adds and notifies on brands, categories, names,
/// prices, discounts, sales, ids and barcodes, plus a few swaps (which watch the
/// basket, so they cost nothing per product while it is empty).
pub fn write_rules(
    out: &mut impl Write,
    n: usize,
    feed: &str,
    items: u64,
    seed: u64,
) -> io::Result<()> {
    let kind = if feed.ends_with(".xml") {
        "merchant"
    } else if feed.ends_with(".csv") {
        "csv"
    } else {
        "json"
    };
    writeln!(
        out,
        "# {n} generated rules over {feed} (gen-feed --rules {n} --items {items} --seed {seed})\n"
    )?;
    writeln!(out, "[settings]\ncurrency = \"GBP\"\n")?;
    writeln!(
        out,
        "[feeds.shop]\nkind = \"{kind}\"\nurl = {}\ncurrency = \"GBP\"\n",
        toml_str(feed)
    )?;
    let mut r = Rng::for_item(seed ^ 0x5EED, 0);
    let shelf = |r: &mut Rng| {
        let (_, aisles) = &DEPARTMENTS[r.below(8) as usize];
        let (_, shelves) = &aisles[r.below(5) as usize];
        shelves[r.below(5) as usize]
    };
    for k in 0..n {
        let name = format!("rule {k:03}");
        // An item that exists, for id and barcode rules.
        let pick = r.below(items.max(1));
        let (selector, action) = match k % 10 {
            0 => (
                format!("brand = {}", toml_str(BRANDS[r.below(60) as usize])),
                "add = { limit = 2 }".to_string(),
            ),
            1 => (
                format!(
                    "category = {}, price = {{ below = \"{}\" }}",
                    toml_str(shelf(&mut r)),
                    money(100 + r.below(400))
                ),
                "add = { limit = 1, prefer = \"cheapest\" }".to_string(),
            ),
            2 => (
                format!(
                    "name = {}",
                    toml_str(&format!(
                        "{} {}",
                        ADJECTIVES[r.below(24) as usize].to_lowercase(),
                        shelf(&mut r).to_lowercase()
                    ))
                ),
                "add = {}".to_string(),
            ),
            3 => (
                format!(
                    "category = {}, discount_pct = {{ at_least = {} }}",
                    toml_str(shelf(&mut r)),
                    20 + r.below(25)
                ),
                "notify = { limit = 10 }".to_string(),
            ),
            4 => (
                format!("category = {}, on_sale = true", toml_str(shelf(&mut r))),
                "notify = { limit = 5 }".to_string(),
            ),
            5 => (
                format!("id = {}", toml_str(&format!("SKU{pick:08}"))),
                "add = {}".to_string(),
            ),
            6 => (
                format!("gtin = {}", toml_str(&gtin13(seed, pick))),
                "notify = { limit = 1 }".to_string(),
            ),
            7 => (
                format!(
                    "brand = {}, category = {}, price = {{ at_most = \"{}\" }}",
                    toml_str(BRANDS[r.below(60) as usize]),
                    toml_str(shelf(&mut r)),
                    money(200 + r.below(2000))
                ),
                "add = { limit = 3, prefer = \"cheapest\" }".to_string(),
            ),
            // The first 20 items are the benchmarks' basket: watch their shelves.
            8 if k % 30 == 8 => (
                format!(
                    "in = \"basket\", category = {}",
                    toml_str(item(seed, (k as u64 / 30) % 20).path[2])
                ),
                "swap = { without = [\"palm-oil\"], keep = [\"category\"], prefer = \"closest_price\" }".to_string(),
            ),
            _ => (
                format!(
                    "price = {{ below = \"{}\" }}, on_sale = true, name = {}",
                    money(50 + r.below(300)),
                    toml_str(&shelf(&mut r).to_lowercase())
                ),
                "add = { limit = 2 }".to_string(),
            ),
        };
        writeln!(
            out,
            "[[rule]]\nname = \"{name}\"\nmatch = {{ {selector} }}\n{action}\n"
        )?;
    }
    Ok(())
}

fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

// ---------------------------------------------------------------------------
// Evaluating a generated feed, as `basket check` does but without the CLI.

/// Everything an evaluation over a generated feed needs, built once.
pub struct Setup {
    pub rules: basket::api::rules::RuleSet,
    pub source: basket::api::feeds::FeedSource,
    /// The first items of the feed, so swap rules have basket items to watch.
    pub basket: Vec<basket::api::model::BasketItem>,
    pub now: chrono::DateTime<chrono::Utc>,
}

impl Setup {
    /// 'rules' rules over the feed at `feed` (written with `format`, `items` and
    /// `seed`), and a basket of the feed's first `basket` items.
    pub fn new(
        feed: &std::path::Path,
        format: Format,
        items: u64,
        seed: u64,
        rules: usize,
        basket: u64,
    ) -> Setup {
        let mut text = Vec::new();
        let feed_text = feed.to_string_lossy().into_owned();
        write_rules(&mut text, rules, &feed_text, items, seed).expect("writing to memory");
        let text = String::from_utf8(text).expect("rules are UTF-8");
        let ruleset = basket::api::rules::parse_str(std::path::Path::new("rules.toml"), &text)
            .unwrap_or_else(|e| panic!("generated rules are valid: {e}"));
        let mut source = ruleset
            .catalog_feeds()
            .into_iter()
            .next()
            .expect("one feed");
        if format == Format::Jsonl {
            source.kind = basket::api::feeds::FeedKind::Json;
        }
        let now = chrono::DateTime::parse_from_rfc3339("2026-10-03T09:00:00Z")
            .expect("valid time")
            .with_timezone(&chrono::Utc);
        let mut head = Vec::new();
        write_feed(&mut head, format, basket, seed).expect("writing to memory");
        let mut held = Vec::new();
        if basket > 0 {
            basket::api::feeds::parse_stream(&source, head.as_slice(), now, &mut |p| held.push(p))
                .expect("the generated feed parses");
        }
        let basket = held
            .into_iter()
            .map(|product| basket::api::model::BasketItem {
                product,
                quantity: 1,
                added_by: basket::api::model::Origin::Manual,
                added_at: now,
            })
            .collect();
        Setup {
            rules: ruleset,
            source,
            basket,
            now,
        }
    }

    /// Parses the feed only, counting products.
    pub fn parse_only(&self, reader: impl io::BufRead) -> usize {
        let mut n = 0usize;
        basket::api::feeds::parse_stream(&self.source, reader, self.now, &mut |p| {
            std::hint::black_box(&p);
            n += 1;
        })
        .expect("the generated feed parses");
        n
    }

    /// Parses the feed and folds every product into an evaluation of the rules.
    pub fn parse_and_evaluate(
        &self,
        reader: impl io::BufRead + Send,
    ) -> basket::api::engine::Outcome {
        self.evaluate(false, reader)
    }

    /// [`Setup::parse_and_evaluate`] as `basket check` runs it: the parsing on
    /// a thread of its own ([`basket::api::feeds::pipelined`]).
    pub fn parse_and_evaluate_pipelined(
        &self,
        reader: impl io::BufRead + Send,
    ) -> basket::api::engine::Outcome {
        self.evaluate(true, reader)
    }

    fn evaluate(
        &self,
        pipelined: bool,
        reader: impl io::BufRead + Send,
    ) -> basket::api::engine::Outcome {
        let failed = basket::api::model::FailedInputs::default();
        let memory = basket::api::engine::Memory::default();
        let ctx = basket::api::engine::Context {
            now: self.now,
            rules: &self.rules,
            basket: &self.basket,
            weather: basket::api::engine::Weather::NotNeeded,
            failed: &failed,
            memory: &memory,
        };
        let mut eval = basket::api::engine::Evaluation::new(&ctx);
        let parse = |sink: &mut dyn FnMut(basket::api::model::Product)| {
            basket::api::feeds::parse_stream(&self.source, reader, self.now, sink)
        };
        if pipelined {
            basket::api::feeds::pipelined(parse, &mut |p| {
                eval.observe(p);
            })
        } else {
            parse(&mut |p| {
                eval.observe(&p);
            })
        }
        .expect("the generated feed parses");
        eval.finish()
    }
}

/// The file's extension for a format.
pub fn extension(format: Format) -> &'static str {
    match format {
        Format::Merchant => "xml",
        Format::Csv => "csv",
        Format::Jsonl => "jsonl",
    }
}
