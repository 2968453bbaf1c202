//! Gather: fetch every catalog feed and the forecast, concurrently and through
//! the HTTP cache, into what the later steps read.

use std::collections::HashMap;

use crate::context::Context;
use crate::engine::Weather;
use crate::error::Failure;
use crate::feeds::{self, open_meteo, FeedError, FetchOptions, Fetcher};
use crate::model::{FailedAt, FailedInputs, Forecast, Product};
use crate::rules::RuleSet;

/// What the feeds said this run.
pub struct Gathered {
    /// The catalog feeds that answered, in file order. Their products are
    /// streamed into the engine, never all held in memory.
    pub bodies: Vec<feeds::FetchedBody>,
    pub forecast: Forecasting,
    /// The feeds that failed, with why: catalog feeds here, facts and
    /// price-history sources in the enrich step.
    pub failed: FailedInputs,
    pub warnings: Vec<String>,
    /// Facts from facts-only sources (Open Food Facts), merged by GTIN into the
    /// products and the basket items before evaluation.
    pub facts: Vec<Product>,
    /// Facts the catalog feeds give themselves, by 14-digit GTIN: where two
    /// feeds describe the same GTIN, facts merge (docs/feeds.md).
    pub catalog_facts: HashMap<String, Product>,
    /// A first pass over the feeds was made (so their skipped-record warnings
    /// are already in `warnings`, and the feeds that failed to parse are out).
    pub prescanned: bool,
    /// The `merchant-local` feeds' rows, joined to the catalogs' products as
    /// they stream (src/check/stores.rs).
    pub local: super::stores::LocalInventory,
}

/// The forecast as this run has it.
pub enum Forecasting {
    /// No enabled rule reads the weather (or the command does not evaluate).
    NotNeeded,
    Known(Forecast),
    /// Needed but not had: why, for the warning and `--explain`.
    Failed(String),
}

impl Forecasting {
    /// What the engine is told of the weather.
    pub fn as_weather(&self) -> Weather<'_> {
        match self {
            Forecasting::NotNeeded => Weather::NotNeeded,
            Forecasting::Known(f) => Weather::Known(f),
            Forecasting::Failed(why) => Weather::Failed(why.clone()),
        }
    }
}

/// Fetches every feed (and the forecast if a rule needs it) concurrently, through
/// the HTTP cache; `offline` serves from the cache alone.
pub fn gather(
    ctx: &Context,
    ruleset: &RuleSet,
    offline: bool,
    with_weather: bool,
) -> Result<Gathered, Failure> {
    // Spinners only for a person watching; cron and --quiet get none.
    let fetcher = fetcher(ctx, Some(ruleset), offline, ctx.interactive && !ctx.quiet)?;
    let needs_weather = with_weather && ruleset.needs_weather();
    let catalog = ruleset.catalog_feeds();
    // Local inventory feeds are fetched with the catalogs, concurrently, but
    // read apart: they list no products of their own.
    let local = ruleset.local_feeds();
    let both: Vec<feeds::FeedSource> = catalog.iter().chain(&local).cloned().collect();
    let location = ruleset.settings.location.clone();
    let (feed_results, weather) = std::thread::scope(|s| {
        let weather = s.spawn(|| match (needs_weather, &location) {
            (true, Some(loc)) => Some(
                open_meteo::fetch_forecast(
                    &fetcher,
                    &ruleset.weather.url,
                    loc.latitude,
                    loc.longitude,
                )
                .map_err(|e| e.to_string()),
            ),
            _ => None,
        });
        let feeds = feeds::fetch_bodies(&fetcher, &both);
        let weather = weather
            .join()
            .unwrap_or_else(|_| Some(Err("the weather fetch crashed".into())));
        (feeds, weather)
    });
    let (forecast, weather_warning) = match weather {
        Some(Ok((forecast, warning))) => (Forecasting::Known(forecast), warning),
        Some(Err(why)) => (Forecasting::Failed(why), None),
        None => (Forecasting::NotNeeded, None),
    };
    let mut feed_results = feed_results;
    let local_results = feed_results.split_off(catalog.len());
    let mut gathered = collect(ctx, feed_results, &catalog, forecast);
    let mut local_bodies = Vec::new();
    for (source, result) in local.iter().zip(local_results) {
        match result {
            Ok(body) => local_bodies.push(body),
            Err(e) => gathered
                .warnings
                .push(super::stores::fetch_failed(&source.name, &e)),
        }
    }
    let fetched_all = local_bodies.len() == local.len();
    gathered.local =
        super::stores::LocalInventory::read(ctx, &local_bodies, &mut gathered.warnings);
    gathered.local.incomplete |= !fetched_all;
    let unknown = super::stores::unknown_store_warnings(ruleset, &gathered.local);
    gathered.warnings.extend(unknown);
    if let Some(w) = weather_warning {
        gathered.warnings.push(format!("weather: {w}"));
    }
    Ok(gathered)
}

/// The one way this run's fetchers are made: the same cache, clock and offline
/// mode for the feeds and the per-product sources (Open Food Facts, Open
/// Prices); `progress` shows spinners. They share the run's budget (which
/// starts with the first of them), failed hosts and rate limits. Without a
/// rules file (`feeds add` on a broken one) the defaults apply.
pub fn fetcher(
    ctx: &Context,
    ruleset: Option<&RuleSet>,
    offline: bool,
    progress: bool,
) -> Result<Fetcher, Failure> {
    let settings = ruleset.map(|r| &r.settings);
    let budget = settings.map_or(feeds::FETCH_TIMEOUT, |s| s.fetch_timeout);
    ctx.fetch_run.start(ctx.fetch_timeout.unwrap_or(budget));
    Fetcher::new(FetchOptions {
        cache_dir: Some(ctx.cache_dir.clone()),
        offline,
        now: ctx.now,
        progress,
        user_agent: feeds::user_agent(settings.and_then(|s| s.contact.as_deref())),
        run: ctx.fetch_run.clone(),
        ..FetchOptions::default()
    })
    .map_err(|e| Failure::failed(format!("cannot set up HTTP: {e}")))
}

/// Turns per-feed fetch results into the bodies to parse, plus warnings.
pub fn collect(
    ctx: &Context,
    results: Vec<Result<feeds::FetchedBody, FeedError>>,
    sources: &[feeds::FeedSource],
    forecast: Forecasting,
) -> Gathered {
    let mut g = Gathered {
        bodies: Vec::new(),
        forecast,
        failed: FailedInputs::default(),
        warnings: Vec::new(),
        facts: Vec::new(),
        catalog_facts: HashMap::new(),
        prescanned: false,
        local: super::stores::LocalInventory::default(),
    };
    for (source, result) in sources.iter().zip(results) {
        match result {
            Ok(body) => {
                ctx.info(&format!(
                    "feed '{}': fetched{}",
                    source.name,
                    if matches!(&body.body, feeds::Body::File(f) if f.from_cache) {
                        " (cached copy)"
                    } else {
                        ""
                    }
                ));
                if let Some(w) = &body.warning {
                    g.warnings.push(format!("feed '{}': {w}", source.name));
                }
                g.bodies.push(body);
            }
            Err(e) => g.fail(&source.name, &e),
        }
    }
    if let Forecasting::Failed(why) = &g.forecast {
        g.warnings.push(format!(
            "weather: {why}; rules that need the forecast were skipped"
        ));
    }
    g
}

impl Gathered {
    pub(super) fn fail(&mut self, feed: &str, e: &FeedError) {
        self.warnings.push(format!(
            "feed '{feed}': {e}; rules that need it were skipped"
        ));
        self.failed.insert(feed, FailedAt::Fetching, e.to_string());
    }
}
