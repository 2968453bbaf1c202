//! `basket check`: fetch, evaluate, show, decide. Also the body of `basket demo`,
//! which only differs in where the feeds come from and where the basket lives.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;

use anyhow::Context as _;

use crate::app::{CmdResult, Context, Failure};
use crate::cli::{CheckArgs, CheckFormat};
use crate::engine::{self, Memory, Weather};
use crate::feeds::{self, open_meteo, FeedError, FetchOptions, Fetcher};
use crate::model::{BasketItem, Forecast, Product, Proposal, ProposalStatus};
use crate::report::CheckReport;
use crate::rules::RuleSet;
use crate::store::Store;
use crate::ui::{self, ApproveAll, Approver, Choice, TerminalApprover};

/// What the feeds said this run.
pub struct Gathered {
    /// The catalog feeds that answered, in file order. Their products are
    /// streamed into the engine, never all held in memory.
    pub bodies: Vec<feeds::FetchedBody>,
    /// `None`: not needed; `Some(Err)`: needed but failed.
    pub forecast: Option<Result<Forecast, String>>,
    /// Feed name -> why it failed.
    pub failed_feeds: BTreeMap<String, String>,
    pub warnings: Vec<String>,
    /// Facts from facts-only sources (Open Food Facts), merged by GTIN into the
    /// products and the basket items before evaluation.
    pub facts: Vec<Product>,
    /// Facts the catalog feeds give themselves, by 14-digit GTIN: where two
    /// feeds describe the same GTIN, facts merge (spec/feeds.md).
    pub catalog_facts: HashMap<String, Product>,
    /// A first pass over the feeds was made (so their skipped-record warnings
    /// are already in `warnings`, and the feeds that failed to parse are out).
    pub prescanned: bool,
}

/// What a first pass over the feeds found, when one is needed: the products
/// whose facts or price history are worth asking about.
#[derive(Default)]
pub struct Prescan {
    pub facts_candidates: Vec<Product>,
    pub watched: Vec<Product>,
}

/// How one check runs: who decides, what it prints, whether it notifies.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub mode: Mode,
    pub format: CheckFormat,
    pub explain: bool,
    pub notify: bool,
}

/// How the proposals get decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Show only; store nothing.
    DryRun,
    /// Store as pending for `basket review` (cron).
    NoInput,
    /// Approve all within budget.
    Yes,
    /// Ask at the terminal.
    Ask,
}

impl Mode {
    pub fn choose(
        ctx: &Context,
        no_input: bool,
        yes: bool,
        dry_run: bool,
        format: CheckFormat,
    ) -> Mode {
        if dry_run {
            Mode::DryRun
        } else if yes {
            Mode::Yes
        } else if no_input || !ctx.interactive || format != CheckFormat::Table {
            // Machine-readable output never waits on a prompt.
            Mode::NoInput
        } else {
            Mode::Ask
        }
    }
}

pub fn run(ctx: &Context, args: &CheckArgs) -> CmdResult {
    let ruleset = ctx.load_rules()?;
    // One check at a time: a cron run and an interactive one must not both
    // apply the same proposals. A dry run changes nothing and needs no lock.
    let mut store = Store::open(&ctx.data_dir)?;
    let _lock = if args.dry_run {
        None
    } else {
        Some(crate::lock::acquire(&ctx.data_dir, args.wait)?)
    };
    if args.notify && ruleset.notify.channels().is_empty() {
        ctx.warn("--notify: no [notify.email] or [notify.webhook] in the rules file; nothing will be sent");
    }
    let mut gathered = gather_live(ctx, &ruleset, args.offline, true)?;
    let catalog_count = ruleset.catalog_feeds().len();
    if catalog_count > 0 && gathered.failed_feeds.len() == catalog_count {
        for w in &gathered.warnings {
            ctx.warn(w);
        }
        return Err(Failure::failed(format!(
            "every feed failed ({} of {}); nothing was evaluated and the basket is unchanged",
            gathered.failed_feeds.len(),
            catalog_count
        ))
        .with_hint("check the feed URLs in the rules file and your connection, then run again"));
    }
    let basket = store.basket()?;
    let scan = prescan(&ruleset, &basket, &mut gathered, ctx.now);
    add_facts(ctx, &ruleset, &basket, &scan, &mut gathered, args.offline)?;
    if !args.dry_run {
        import_price_history(
            ctx,
            &ruleset,
            &mut store,
            &basket,
            &scan,
            &mut gathered,
            args.offline,
        )?;
    }
    drop(scan);
    let mode = Mode::choose(ctx, args.no_input, args.yes, args.dry_run, args.format);
    let open = evaluate_and_decide(
        ctx,
        &ruleset,
        &mut store,
        gathered,
        &Run {
            mode,
            format: args.format,
            explain: args.explain,
            notify: args.notify,
        },
    )?;
    if mode == Mode::NoInput && args.format == CheckFormat::Table && open > 0 {
        ctx.warn("not asking (no terminal, or --no-input): the proposals are pending; run `basket review` to decide");
    }
    Ok(())
}

/// Fetches every feed (and the forecast if a rule needs it) concurrently, through
/// the HTTP cache; `offline` serves from the cache alone.
pub fn gather_live(
    ctx: &Context,
    ruleset: &RuleSet,
    offline: bool,
    with_weather: bool,
) -> Result<Gathered, Failure> {
    let fetcher = Fetcher::new(FetchOptions {
        cache_dir: Some(ctx.cache_dir.clone()),
        offline,
        now: ctx.now,
        // Spinners only for a person watching; cron and --quiet get none.
        progress: ctx.interactive && !ctx.quiet,
        ..FetchOptions::default()
    })
    .map_err(|e| Failure::failed(format!("cannot set up HTTP: {e}")))?;
    let needs_weather = with_weather && ruleset.needs_weather();
    let catalog = ruleset.catalog_feeds();
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
        let feeds = feeds::fetch_bodies(&fetcher, &catalog);
        let weather = weather
            .join()
            .unwrap_or_else(|_| Some(Err("the weather fetch crashed".into())));
        (feeds, weather)
    });
    let (forecast, weather_warning) = match weather {
        Some(Ok((forecast, warning))) => (Some(Ok(forecast)), warning),
        Some(Err(why)) => (Some(Err(why)), None),
        None => (None, None),
    };
    let mut gathered = collect(ctx, feed_results, &catalog, forecast);
    if let Some(w) = weather_warning {
        gathered.warnings.push(format!("weather: {w}"));
    }
    Ok(gathered)
}

/// The fetcher for per-product sources (Open Food Facts, Open Prices): the same
/// cache and offline mode as the feeds, no spinners.
fn quiet_fetcher(ctx: &Context, offline: bool) -> Result<Fetcher, Failure> {
    Fetcher::new(FetchOptions {
        cache_dir: Some(ctx.cache_dir.clone()),
        offline,
        now: ctx.now,
        ..FetchOptions::default()
    })
    .map_err(|e| Failure::failed(format!("cannot set up HTTP: {e}")))
}

/// Asks each facts source (Open Food Facts) about the GTINs whose facts could
/// change a proposal: the basket items, and the swap candidates whose facts the
/// catalog leaves unknown.
pub fn add_facts(
    ctx: &Context,
    ruleset: &RuleSet,
    basket: &[BasketItem],
    scan: &Prescan,
    gathered: &mut Gathered,
    offline: bool,
) -> CmdResult {
    let sources: Vec<&feeds::FeedSource> = ruleset
        .feeds
        .iter()
        .filter(|f| f.kind == feeds::FeedKind::OpenFoodFacts)
        .collect();
    if sources.is_empty() {
        return Ok(());
    }
    let gtins = engine::gtins_needing_facts(ruleset, basket, &scan.facts_candidates);
    if gtins.is_empty() {
        return Ok(());
    }
    let fetcher = quiet_fetcher(ctx, offline)?;
    for source in sources {
        let (facts, warnings) = feeds::openfoodfacts::fetch_facts(
            &fetcher,
            &source.name,
            &source.url,
            &gtins,
            feeds::openfoodfacts::DEFAULT_CONCURRENCY,
        );
        ctx.info(&format!(
            "facts '{}': {} of {} products known",
            source.name,
            facts.len(),
            gtins.len()
        ));
        gathered.warnings.extend(
            warnings
                .into_iter()
                .map(|w| format!("feed '{}': {w}", source.name)),
        );
        gathered.facts.extend(facts);
    }
    Ok(())
}

/// Fills the price history from history-only sources (Open Prices) for the
/// GTINs of basket items and watched products, so `lowest_in_days` and
/// `price_drop_pct` can work from the first day.
pub fn import_price_history(
    ctx: &Context,
    ruleset: &RuleSet,
    store: &mut Store,
    basket: &[BasketItem],
    scan: &Prescan,
    gathered: &mut Gathered,
    offline: bool,
) -> CmdResult {
    let sources: Vec<&feeds::FeedSource> = ruleset
        .feeds
        .iter()
        .filter(|f| f.kind.fills_history_only())
        .collect();
    if sources.is_empty() {
        return Ok(());
    }
    let gtins = engine::watched_gtins(ruleset, basket, &scan.watched);
    if gtins.is_empty() {
        return Ok(());
    }
    let fetcher = quiet_fetcher(ctx, offline)?;
    for source in sources {
        let (observations, warnings) = feeds::open_prices::fetch_prices(
            &fetcher,
            &source.name,
            &source.url,
            &gtins,
            feeds::open_prices::DEFAULT_CONCURRENCY,
        );
        let added = store.import_observations(&observations)?;
        ctx.info(&format!(
            "prices '{}': {added} new point{} for {} products",
            source.name,
            if added == 1 { "" } else { "s" },
            gtins.len()
        ));
        gathered.warnings.extend(
            warnings
                .into_iter()
                .map(|w| format!("feed '{}': {w}", source.name)),
        );
    }
    Ok(())
}

/// Turns per-feed fetch results into the bodies to parse, plus warnings.
pub fn collect(
    ctx: &Context,
    results: Vec<Result<feeds::FetchedBody, FeedError>>,
    sources: &[feeds::FeedSource],
    forecast: Option<Result<Forecast, String>>,
) -> Gathered {
    let mut g = Gathered {
        bodies: Vec::new(),
        forecast,
        failed_feeds: BTreeMap::new(),
        warnings: Vec::new(),
        facts: Vec::new(),
        catalog_facts: HashMap::new(),
        prescanned: false,
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
    if let Some(Err(why)) = &g.forecast {
        g.warnings.push(format!(
            "weather: {why}; rules that need the forecast were skipped"
        ));
    }
    g
}

impl Gathered {
    fn fail(&mut self, feed: &str, e: &FeedError) {
        self.warnings.push(format!(
            "feed '{feed}': {e}; rules that need it were skipped"
        ));
        self.failed_feeds.insert(feed.to_string(), e.to_string());
    }
}

/// A first pass over the feeds, made only when something must be known before
/// evaluating: which products' facts to ask Open Food Facts, which GTINs' price
/// history to ask Open Prices, and the facts two catalog feeds share by GTIN.
/// It keeps only those products, never the whole catalog.
pub fn prescan(
    ruleset: &RuleSet,
    basket: &[BasketItem],
    gathered: &mut Gathered,
    now: chrono::DateTime<chrono::Utc>,
) -> Prescan {
    let wants_facts = ruleset
        .feeds
        .iter()
        .any(|f| f.kind == feeds::FeedKind::OpenFoodFacts);
    let wants_history = ruleset.feeds.iter().any(|f| f.kind.fills_history_only());
    let merge_catalogs = gathered.bodies.len() >= 2;
    let mut scan = Prescan::default();
    if !(wants_facts || wants_history || merge_catalogs) {
        return scan;
    }
    let watcher = engine::Watcher::new(ruleset);
    let bodies = std::mem::take(&mut gathered.bodies);
    for body in bodies {
        let mut catalog_facts = std::mem::take(&mut gathered.catalog_facts);
        let result = body.parse_pipelined(now, &mut |p| {
            if merge_catalogs && has_facts(p) {
                if let Some(g) = p.gtin14() {
                    catalog_facts
                        .entry(g)
                        .and_modify(|f: &mut Product| f.merge_facts_from(p))
                        .or_insert_with(|| p.clone());
                }
            }
            if wants_history && watcher.watches(p) {
                scan.watched.push(p.clone());
            }
            if wants_facts && engine::may_replace(ruleset, basket, p) {
                scan.facts_candidates.push(std::mem::take(p));
            }
        });
        gathered.catalog_facts = catalog_facts;
        match result {
            Ok(report) => {
                gathered.warnings.extend(report.warning());
                gathered.bodies.push(body);
            }
            Err(e) => gathered.fail(&body.source.name, &e),
        }
    }
    gathered.prescanned = true;
    scan
}

fn has_facts(p: &Product) -> bool {
    !p.contains.is_empty()
        || !p.free_from.is_empty()
        || p.allergens.is_some()
        || p.traces.is_some()
        || !p.labels.is_empty()
}

/// Evaluates, reports, asks or stores, and applies. Shared with `demo`.
/// Returns how many proposals are left undecided.
pub fn evaluate_and_decide(
    ctx: &Context,
    ruleset: &RuleSet,
    store: &mut Store,
    gathered: Gathered,
    how: &Run,
) -> Result<usize, Failure> {
    let Run {
        mode,
        format,
        explain,
        notify,
    } = *how;
    let mut basket = store.basket()?;
    engine::merge_facts_into(&gathered.facts, &mut [], &mut basket);
    let memory = Memory {
        pending: store.pending()?.into_iter().map(|p| p.id).collect(),
        declined: store.declines()?,
        notified: store.notified_map()?,
        // Only rules with history conditions read the history: don't load it
        // for nothing (it can hold a point per watched product).
        history: if uses_history(ruleset) {
            engine::History::new(
                store.observations_since(ctx.now - history_window(ruleset))?,
                &history_only_feeds(ruleset),
            )
        } else {
            engine::History::default()
        },
        feeds_seen: store.feeds_seen()?,
        latched: store.latches()?,
        rules_run: store.rules_run()?,
    };
    let weather = match &gathered.forecast {
        None => Weather::NotNeeded,
        Some(Ok(f)) => Weather::Known(f),
        Some(Err(why)) => Weather::Failed(why.clone()),
    };
    let catalog_count = gathered.bodies.len() + gathered.failed_feeds.len();
    let ectx = engine::Context {
        now: ctx.now,
        rules: ruleset,
        basket: &basket,
        weather,
        failed_feeds: &gathered.failed_feeds,
        memory: &memory,
    };
    // The fold: each feed's products stream through the engine one at a time.
    let facts: HashMap<String, &Product> = gathered
        .facts
        .iter()
        .filter_map(|f| f.gtin14().map(|g| (g, f)))
        .collect();
    let mut late_warnings = Vec::new();
    let mut eval = engine::Evaluation::new(&ectx);
    // Watched products go into the price history in batches as they stream
    // past (never in a dry run), so recording costs no memory either.
    let mut history = HistoryWriter::new(mode != Mode::DryRun);
    for body in &gathered.bodies {
        let result = body.parse_pipelined(ctx.now, &mut |p| {
            if !facts.is_empty() || !gathered.catalog_facts.is_empty() {
                if let Some(g) = p.gtin14() {
                    if let Some(f) = gathered.catalog_facts.get(&g) {
                        p.merge_facts_from(f);
                    }
                    if let Some(f) = facts.get(&g) {
                        p.merge_facts_from(f);
                    }
                }
            }
            if eval.observe(p) {
                history.push(store, std::mem::take(p), ctx.now);
            }
        });
        history.flush(store, ctx.now)?;
        match result {
            Ok(report) if !gathered.prescanned => late_warnings.extend(report.warning()),
            Ok(_) => {}
            Err(e) => {
                late_warnings.push(format!(
                    "feed '{}': {e}; rules that need it were skipped",
                    body.source.name
                ));
                eval.feed_failed(&body.source.name, &e.to_string());
            }
        }
    }
    let mut outcome = eval.finish();
    let mut failed = gathered.failed_feeds.clone();
    failed.extend(outcome.failed_while_reading.clone());
    if catalog_count > 0 && failed.len() == catalog_count {
        for w in gathered.warnings.iter().chain(&late_warnings) {
            ctx.warn(w);
        }
        return Err(Failure::failed(format!(
            "every feed failed ({} of {catalog_count}); nothing was evaluated and the basket is unchanged",
            failed.len()
        ))
        .with_hint("check the feed URLs in the rules file and your connection, then run again"));
    }
    let mut warnings = gathered.warnings;
    warnings.extend(late_warnings);
    warnings.extend(outcome.warnings.iter().cloned());
    let mut proposals = std::mem::take(&mut outcome.proposals);

    if mode != Mode::DryRun {
        remember(ctx, store, ruleset, &proposals, &outcome.explanations)?;
        record_history(ctx, store, ruleset, &failed, &outcome, history.written)?;
        // The digest tells about proposals left for later; at a terminal the
        // shopper decides them now, so only a no-input run mails them.
        let digest_proposals: &[Proposal] = if mode == Mode::NoInput {
            &proposals
        } else {
            &[]
        };
        queue_notifications(
            ctx,
            store,
            ruleset,
            &outcome.notifications,
            digest_proposals,
            notify,
        )?;
        if notify {
            warnings.extend(send_queued(ctx, store, ruleset)?);
        }
    }

    let explanations = explain.then(|| outcome.explanations.clone());
    let show = |proposals: &[Proposal]| {
        CheckReport::new(
            proposals,
            &outcome.notifications,
            outcome.notices.clone(),
            warnings.clone(),
            explanations.clone(),
        )
    };

    match mode {
        Mode::Ask => {
            print_report(ctx, &show(&proposals), CheckFormat::Table)?;
            let mut approver = TerminalApprover::new(ctx.color);
            let left = budget_left_for(store, ruleset)?;
            decide_all(ctx, store, &mut proposals, &mut approver, left)?;
        }
        Mode::Yes => {
            let mut approver = ApproveAll;
            let left = budget_left_for(store, ruleset)?;
            decide_all(ctx, store, &mut proposals, &mut approver, left)?;
            print_report(ctx, &show(&proposals), format)?;
        }
        Mode::NoInput | Mode::DryRun => {
            print_report(ctx, &show(&proposals), format)?;
        }
    }
    Ok(proposals
        .iter()
        .filter(|p| matches!(p.status, ProposalStatus::New | ProposalStatus::Pending))
        .count())
}

/// Batches the watched products of a streaming check into the price history.
struct HistoryWriter {
    enabled: bool,
    batch: Vec<Product>,
    written: usize,
    error: Option<crate::store::StoreError>,
}

impl HistoryWriter {
    const BATCH: usize = 2_000;

    fn new(enabled: bool) -> HistoryWriter {
        HistoryWriter {
            enabled,
            batch: Vec::new(),
            written: 0,
            error: None,
        }
    }

    fn push(&mut self, store: &mut Store, p: Product, now: chrono::DateTime<chrono::Utc>) {
        if !self.enabled || self.error.is_some() {
            return;
        }
        self.batch.push(p);
        if self.batch.len() >= Self::BATCH {
            // Kept for `flush`, which the caller checks: a write error must not
            // be lost inside the parser's callback.
            if let Err(e) = self.write(store, now) {
                self.error = Some(e);
            }
        }
    }

    fn write(
        &mut self,
        store: &mut Store,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), crate::store::StoreError> {
        let refs: Vec<&Product> = self.batch.iter().collect();
        let n = store.record_observations(&refs, &[], now);
        self.batch.clear();
        self.written += n?;
        Ok(())
    }

    fn flush(
        &mut self,
        store: &mut Store,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Failure> {
        if let Some(e) = self.error.take() {
            return Err(e.into());
        }
        if !self.batch.is_empty() {
            self.write(store, now)?;
        }
        Ok(())
    }
}

/// How far back the rules look into price history: the longest
/// `lowest_in_days` or `price_drop_pct` window, at least a day.
fn history_window(ruleset: &RuleSet) -> chrono::Duration {
    let days = ruleset
        .rules
        .iter()
        .flat_map(|r| r.selector.iter().chain(r.action.product_selector()))
        .flat_map(|s| [s.lowest_in_days, s.price_drop_pct.map(|d| d.days)])
        .flatten()
        .max()
        .unwrap_or(1)
        .max(1);
    chrono::Duration::days(i64::from(days))
}

fn uses_history(ruleset: &RuleSet) -> bool {
    ruleset
        .rules
        .iter()
        .filter(|r| r.enabled)
        .flat_map(|r| r.selector.iter().chain(r.action.product_selector()))
        .any(|s| s.uses_history())
}

/// Feeds that only fill history (their points are matched to products by GTIN).
fn history_only_feeds(ruleset: &RuleSet) -> HashSet<String> {
    ruleset
        .feeds
        .iter()
        .filter(|f| f.kind.fills_history_only())
        .map(|f| f.name.clone())
        .collect()
}

/// Writes this run into the price history (only for feeds that answered: a
/// failed feed is unknown, never "out of stock"), applies re-arming, and prunes
/// history past the retention.
fn record_history(
    ctx: &Context,
    store: &mut Store,
    ruleset: &RuleSet,
    failed: &BTreeMap<String, String>,
    outcome: &engine::Outcome,
    written: usize,
) -> CmdResult {
    let catalog = ruleset.catalog_feeds();
    let answered: Vec<&str> = catalog
        .iter()
        .filter(|f| !failed.contains_key(&f.name))
        .map(|f| f.name.as_str())
        .collect();
    // The observations were written while the feeds streamed; this notes the
    // feeds that answered.
    store.record_observations(&[], &answered, ctx.now)?;
    ctx.info(&format!(
        "history: {written} price change{} recorded",
        if written == 1 { "" } else { "s" }
    ));
    store.update_latches(
        &outcome.latch_set,
        &outcome.latch_clear,
        &outcome.rules_ran,
        ctx.now,
    )?;
    let keep = chrono::Duration::days(i64::from(ruleset.settings.history_days));
    store.prune_observations(ctx.now - keep)?;
    Ok(())
}

/// Remembers what was notified and, with `--notify`, queues one message per
/// channel, in one transaction, so a message is never lost between the two.
fn queue_notifications(
    ctx: &Context,
    store: &mut Store,
    ruleset: &RuleSet,
    notifications: &[crate::model::Notification],
    proposals: &[Proposal],
    notify: bool,
) -> CmdResult {
    let notified: Vec<(&str, &Product)> = notifications
        .iter()
        .filter(|n| n.new)
        .flat_map(|n| n.products.iter().map(move |p| (n.rule.as_str(), p)))
        .collect();
    let mut messages = Vec::new();
    if notify {
        for channel in ruleset.notify.channels() {
            let digest =
                crate::notify::Digest::for_channel(&channel, notifications, proposals, ctx.now);
            if !digest.is_empty() {
                let json = serde_json::to_string(&digest.message())
                    .context("cannot serialise the notification")?;
                messages.push((channel, json));
            }
        }
    }
    let messages: Vec<(&str, String)> = messages
        .iter()
        .map(|(c, j)| (c.as_str(), j.clone()))
        .collect();
    store.record_notifications(&notified, &messages, ctx.now)?;
    Ok(())
}

/// Sends every queued message, this run's and those earlier runs failed to send.
/// A failure is a warning and the message stays queued; the run still succeeds.
pub fn send_queued(
    ctx: &Context,
    store: &mut Store,
    ruleset: &RuleSet,
) -> Result<Vec<String>, Failure> {
    let mut warnings = Vec::new();
    for entry in store.unsent()? {
        let message: crate::notify::Message = match serde_json::from_str(&entry.message_json) {
            Ok(m) => m,
            Err(e) => {
                store.mark_failed(entry.id, &format!("unreadable queued message: {e}"))?;
                continue;
            }
        };
        match crate::notify::send(&ruleset.notify, &entry.channel, &message) {
            Ok(answer) => {
                ctx.info(&format!("notify {}: sent ({answer})", entry.channel));
                store.mark_sent(entry.id, &answer, ctx.now)?;
            }
            Err(e) => {
                store.mark_failed(entry.id, &e.to_string())?;
                warnings.push(format!(
                    "notify {}: not sent ({e}); it stays queued and will be retried on the next run",
                    entry.channel
                ));
            }
        }
    }
    Ok(warnings)
}

/// Stores what was found as pending, and forgets pending proposals that a rule
/// which ran this time no longer makes (the price went back up, the item left).
fn remember(
    ctx: &Context,
    store: &mut Store,
    ruleset: &RuleSet,
    proposals: &[Proposal],
    explanations: &[engine::Explanation],
) -> CmdResult {
    store.save_pending(proposals, ctx.now)?;
    let made: HashSet<&str> = proposals.iter().map(|p| p.id.as_str()).collect();
    let ran: HashSet<&str> = explanations
        .iter()
        .filter(|e| e.evaluated)
        .map(|e| e.rule.as_str())
        .collect();
    let known: HashSet<&str> = ruleset.rules.iter().map(|r| r.name.as_str()).collect();
    let stale: Vec<String> = store
        .pending()?
        .into_iter()
        .filter(|p| !made.contains(p.id.as_str()))
        .filter(|p| ran.contains(p.rule.as_str()) || !known.contains(p.rule.as_str()))
        .map(|p| p.id)
        .collect();
    store.forget_pending(&stale)?;
    Ok(())
}

/// Asks about each undecided proposal and applies each answer in its own
/// transaction, so an interruption keeps exactly the decisions taken so far.
pub fn decide_all(
    ctx: &Context,
    store: &mut Store,
    proposals: &mut [Proposal],
    approver: &mut dyn Approver,
    budget_left: Option<rust_decimal::Decimal>,
) -> CmdResult {
    let open: Vec<usize> = (0..proposals.len())
        .filter(|&i| {
            matches!(
                proposals[i].status,
                ProposalStatus::New | ProposalStatus::Pending
            )
        })
        .collect();
    let total = open.len();
    let (mut approved, mut declined, mut skipped) = (0, 0, 0);
    // Within one run, approvals add up against the budget.
    let mut spent = rust_decimal::Decimal::ZERO;
    for (n, &i) in open.iter().enumerate() {
        let p = &mut proposals[i];
        if let (Some(left), Some(delta)) = (budget_left.as_ref(), p.cost_delta()) {
            if delta > rust_decimal::Decimal::ZERO && spent + delta > *left {
                p.over_budget = true;
            }
        }
        let choice = approver
            .ask(p, n + 1, total)
            .context("cannot read the answer from the terminal")?;
        match choice {
            Choice::Approve => {
                store.apply_decision(p, true, ctx.now)?;
                p.status = ProposalStatus::Approved;
                spent += p
                    .cost_delta()
                    .unwrap_or_default()
                    .max(rust_decimal::Decimal::ZERO);
                approved += 1;
            }
            Choice::Decline => {
                store.apply_decision(p, false, ctx.now)?;
                p.status = ProposalStatus::Declined;
                declined += 1;
            }
            Choice::Skip => skipped += 1,
            Choice::Stop => {
                skipped += total - n;
                break;
            }
        }
    }
    if total > 0 && !ctx.quiet {
        eprintln!(
            "{approved} approved, {declined} declined, {skipped} left pending{}",
            if skipped > 0 { " (basket review)" } else { "" }
        );
    }
    Ok(())
}

/// What the budget still allows, in the settings currency, if a budget is set.
pub fn budget_left_for(
    store: &Store,
    ruleset: &RuleSet,
) -> Result<Option<rust_decimal::Decimal>, Failure> {
    let Some(budget) = ruleset.settings.budget else {
        return Ok(None);
    };
    let totals = store.totals()?;
    let spent = totals
        .get(&ruleset.settings.currency)
        .copied()
        .unwrap_or_default();
    Ok(Some(budget - spent))
}

pub fn print_report(ctx: &Context, report: &CheckReport, format: CheckFormat) -> CmdResult {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut out, report).context("cannot write the report")?;
            writeln!(out).context("cannot write the report")?;
        }
        CheckFormat::Summary => {
            let text = report.summary();
            if !text.is_empty() {
                writeln!(out, "{text}").context("cannot write the summary")?;
            }
            for w in &report.warnings {
                ctx.warn(w);
            }
        }
        CheckFormat::Table => {
            if report.proposals.is_empty() {
                writeln!(out, "No proposals.").context("cannot write the report")?;
            } else {
                writeln!(out, "{}", ui::proposals_table(&report.proposals))
                    .context("cannot write the report")?;
            }
            for n in &report.notifications {
                let channels = if n.channels.is_empty() {
                    "no channel configured".to_string()
                } else {
                    n.channels.join(", ")
                };
                writeln!(
                    out,
                    "notify {} ({channels}){}:",
                    n.rule,
                    if n.new { "" } else { " (already notified)" }
                )
                .context("cannot write the report")?;
                for p in &n.products {
                    let was = p
                        .regular_price
                        .as_ref()
                        .map(|r| format!(", was {r}"))
                        .unwrap_or_default();
                    writeln!(out, "  - {} ({}{was})", p.name, crate::report::price_of(p))
                        .context("cannot write the report")?;
                }
            }
            for n in &report.notices {
                writeln!(out, "note: {n}").context("cannot write the report")?;
            }
            if let Some(rules) = &report.rules {
                writeln!(out, "\nRules:").context("cannot write the report")?;
                for e in rules {
                    writeln!(out, "  {e}").context("cannot write the report")?;
                }
            }
            out.flush().context("cannot write the report")?;
            drop(out);
            for w in &report.warnings {
                ctx.warn(w);
            }
        }
    }
    Ok(())
}
