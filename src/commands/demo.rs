//! `basket demo`: the whole check on built-in feeds, offline, in a throwaway
//! data directory, so a newcomer sees every kind of proposal in one go.

use std::path::Path;

use anyhow::Context as _;

use crate::check::{self, Forecasting, Gathered, Mode, Run};
use crate::cli::{CheckFormat, DemoArgs};
use crate::context::Context;
use crate::engine;
use crate::error::{CmdResult, Failure};
use crate::feeds::{self, demo, open_meteo};
use crate::model::{BasketItem, Origin, Product};
use crate::rules::{self, RuleSet};
use crate::store::Store;

pub fn run(ctx: &Context, args: &DemoArgs) -> CmdResult {
    let ruleset = rules::parse_str(Path::new("demo-rules.toml"), demo::RULES)?;
    let dir = tempfile::Builder::new()
        .prefix("basket-demo-")
        .tempdir()
        .context("cannot create a temporary directory for the demo basket")?;
    let mut store = Store::open(dir.path())?;

    // The built-in feeds are served from memory and parsed exactly as live ones.
    let catalog = ruleset.catalog_feeds();
    let results = catalog
        .iter()
        .map(|source| match demo::body(&source.url) {
            Some(bytes) => Ok(feeds::FetchedBody {
                source: source.clone(),
                body: feeds::Body::Bytes(bytes),
                warning: None,
            }),
            None => Err(feeds::FeedError::Shape(format!(
                "no built-in feed {}",
                source.url
            ))),
        })
        .collect();
    let forecast = open_meteo::parse_forecast(demo::forecast_json(ctx.now.date_naive()).as_bytes())
        .map_or_else(|e| Forecasting::Failed(e.to_string()), Forecasting::Known);
    let mut gathered = check::collect(ctx, results, &catalog, forecast);
    // The grocer's local inventory: what the demo's store has on its shelves.
    let local: Vec<feeds::FetchedBody> = ruleset
        .local_feeds()
        .into_iter()
        .filter_map(|source| {
            demo::body(&source.url).map(|bytes| feeds::FetchedBody {
                source,
                body: feeds::Body::Bytes(bytes),
                warning: None,
            })
        })
        .collect();
    gathered.local = check::LocalInventory::read(ctx, &local, &mut gathered.warnings);

    // A basket worth improving: a palm-oil spread, a peanut butter, a sold-out
    // advent calendar.
    let mut products = Vec::new();
    for body in &gathered.bodies {
        body.parse(ctx.now, &mut |p| products.push(p))
            .map_err(|e| Failure::failed(format!("the built-in demo feed is broken: {e}")))?;
    }
    for id in ["G-3001", "G-4001", "G-6001"] {
        let product = find(&products, id)?;
        store.add_item(product, 1, &Origin::Manual, ctx.now)?;
    }
    // The facts (palm oil, allergens) come from Open Food Facts answers, asked
    // for the same GTINs as `check` asks, and merged the same way when the rules
    // are evaluated.
    add_demo_facts(&ruleset, &store, &products, &mut gathered)?;
    let mode = Mode::choose(ctx, args.no_input, args.yes, false, args.format);
    if args.format == CheckFormat::Table && !ctx.quiet {
        println!(
            "basket demo: built-in feeds, a throwaway basket in {}",
            dir.path().display()
        );
        println!("Basket before: {}\n", basket_line(&store.basket()?));
    }
    let open = check::run(
        ctx,
        &ruleset,
        &mut store,
        gathered,
        &Run {
            mode,
            format: args.format,
            explain: args.explain,
            notify: false,
        },
    )?;
    if args.format == CheckFormat::Table && !ctx.quiet {
        println!("\nBasket after: {}", basket_line(&store.basket()?));
        checkout(ctx, &ruleset, &mut store)?;
        if open > 0 && mode != Mode::Ask {
            println!("(Not a terminal, so nothing was asked: run `basket demo` in a terminal to approve or decline.)");
        }
        println!(
            "This was a demo: nothing outside {} was touched, and it is now deleted.",
            dir.path().display()
        );
        println!("Your own rules: `basket init`, then `basket check`.");
    }
    Ok(())
}

/// The demo ends at the till: the review `basket checkout` shows, and the
/// basket recorded as bought (in the throwaway store, so without asking).
fn checkout(ctx: &Context, ruleset: &RuleSet, store: &mut Store) -> CmdResult {
    let settings = &ruleset.settings;
    let budget = settings.budget.map(|b| (b, settings.currency.as_str()));
    let review = crate::checkout::Review::of_store(store, None, budget)?;
    if review.is_empty() {
        return Ok(());
    }
    println!("\nAt the checkout (`basket checkout`):");
    let mut out = std::io::stdout().lock();
    crate::output::checkout::write_table(&mut out, &review, crate::output::table::table_width())
        .context("cannot write the checkout")?;
    drop(out);
    let rearm = engine::rearmed_by_purchase(ruleset, &store.latches()?, &review.keys());
    let bought = store.checkout(&review.checkout_lines(), &rearm, ctx.now)?;
    println!(
        "Checked out: {} lines recorded as bought (`basket purchases`, `basket stats`).",
        bought.len()
    );
    Ok(())
}

/// What `check`'s `add_facts` asks Open Food Facts, answered from the built-in
/// product answers: a GTIN without one is a product Open Food Facts does not know.
fn add_demo_facts(
    ruleset: &RuleSet,
    store: &Store,
    products: &[Product],
    gathered: &mut Gathered,
) -> CmdResult {
    let basket = store.basket()?;
    let gtins = engine::gtins_needing_facts(ruleset, &basket, products);
    for source in ruleset
        .feeds
        .iter()
        .filter(|f| f.kind == feeds::FeedKind::OpenFoodFacts)
    {
        for gtin in &gtins {
            let url = feeds::openfoodfacts::product_url(&source.url, gtin);
            let Some(bytes) = demo::body(&url) else {
                continue;
            };
            match feeds::openfoodfacts::parse_product(&source.name, gtin, bytes) {
                Ok(Some(product)) => gathered.facts.push(product),
                Ok(None) => {}
                Err(e) => gathered
                    .warnings
                    .push(format!("feed '{}': {gtin}: {e}", source.name)),
            }
        }
    }
    Ok(())
}

fn find<'a>(products: &'a [Product], id: &str) -> Result<&'a Product, Failure> {
    products
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| Failure::failed(format!("the built-in demo catalog lacks {id}")))
}

fn basket_line(items: &[BasketItem]) -> String {
    if items.is_empty() {
        return "empty".into();
    }
    items
        .iter()
        .map(|i| format!("{} × {}", i.quantity, i.product.name))
        .collect::<Vec<_>>()
        .join(", ")
}
