//! The engine: compiled rules x (products, forecast, basket, memory) -> proposals.
//!
//! Pure: no I/O, no clock, no printing. It is a fold over the product stream
//! ([`Evaluation::observe`]), where each rule keeps only what it needs (its best
//! `limit` candidates, the best alternative per watched basket item), so the size
//! of a feed does not set the memory a check needs.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::model::{
    money, ActionKind, Availability, BasketItem, DailyForecast, Forecast, Notification,
    Observation, Product, ProductKey, Proposal, ProposalStatus,
};
use crate::rules::{
    Action, Condition, DaySpec, Metric, Prefer, Quantity, Rule, RuleSet, Scope, Selector,
    WeatherCondition,
};
use crate::text;

mod folded;
mod index;

pub(crate) use folded::Folded;
use folded::{significant_digits, FoldedText};
use index::{Anchor, AnchorIndex, BasketIndex};

/// What earlier runs decided, so a proposal is not nagged about twice.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    /// Ids of proposals shown before and not decided.
    pub pending: HashSet<String>,
    /// Last decline per proposal id: when, and the price then.
    pub declined: HashMap<String, (DateTime<Utc>, Option<Decimal>)>,
    /// Last notification per (rule, product).
    pub notified: HashMap<(String, ProductKey), NotifiedBefore>,
    /// Price history of the products rules watch.
    pub history: History,
    /// Feeds that answered in an earlier run, and when they first did: a feed
    /// never seen before makes "newly listed" unknown.
    pub feeds_seen: HashMap<String, DateTime<Utc>>,
    /// (rule, product) pairs that fired and have not been re-armed since.
    pub latched: HashSet<(String, ProductKey)>,
    /// Rules that have run before (for `first_run = "skip"`).
    pub rules_run: HashSet<String>,
}

/// Stored observations, by product and, for history-only sources (Open
/// Prices), by barcode; each list oldest first.
#[derive(Debug, Clone, Default)]
pub struct History {
    by_key: HashMap<ProductKey, Vec<Observation>>,
    by_gtin: HashMap<String, Vec<Observation>>,
}

impl History {
    /// `gtin_feeds` are the history-only feeds, whose points are found by GTIN.
    pub fn new(observations: Vec<Observation>, gtin_feeds: &HashSet<String>) -> History {
        let mut h = History::default();
        for o in observations {
            if gtin_feeds.contains(&o.feed) {
                if let Some(g) = o.gtin.clone() {
                    h.by_gtin.entry(g).or_default().push(o);
                }
            } else {
                h.by_key.entry(o.key()).or_default().push(o);
            }
        }
        for list in h.by_key.values_mut().chain(h.by_gtin.values_mut()) {
            list.sort_by_key(|o| o.at);
        }
        h
    }

    /// This feed's own observations of the product.
    fn own(&self, p: &Product) -> &[Observation] {
        self.by_key.get(&p.key()).map_or(&[], Vec::as_slice)
    }

    /// Everything known of the product's price, its own feed's points and those
    /// found by barcode, oldest first.
    fn prices(&self, p: &Product) -> Vec<&Observation> {
        let mut all: Vec<&Observation> = self.own(p).iter().collect();
        if let Some(list) = p.gtin14().and_then(|g| self.by_gtin.get(&g)) {
            all.extend(list.iter());
            all.sort_by_key(|o| o.at);
        }
        all
    }
}

#[derive(Debug, Clone)]
pub struct NotifiedBefore {
    pub price: Option<Decimal>,
    pub availability: Option<Availability>,
    pub at: DateTime<Utc>,
}

/// The weather as far as this run knows it.
#[derive(Debug, Clone)]
pub enum Weather<'a> {
    /// No enabled rule needs it; not fetched.
    NotNeeded,
    Known(&'a Forecast),
    Failed(String),
}

/// Everything the engine reads, gathered by the command before evaluation.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub rules: &'a RuleSet,
    pub basket: &'a [BasketItem],
    pub weather: Weather<'a>,
    /// Feeds that did not answer this run, with why. Their products are unknown.
    pub failed_feeds: &'a BTreeMap<String, String>,
    pub memory: &'a Memory,
}

/// What a check found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub proposals: Vec<Proposal>,
    pub notifications: Vec<Notification>,
    /// Things worth knowing that are not proposals ("no alternative for ...").
    pub notices: Vec<String>,
    pub warnings: Vec<String>,
    /// One line per rule, for `--explain`.
    pub explanations: Vec<Explanation>,
    /// With [`evaluate`]: the products some rule watches (its selector matches,
    /// price and history conditions aside) and the basket's products as the
    /// feeds list them now. A streaming caller gets each from
    /// [`Evaluation::observe`] instead, and records it as it goes.
    pub watched: Vec<Product>,
    /// Re-arming: (rule, product) pairs that fired (or were first seen under
    /// `first_run = "skip"`) and pairs whose condition was false this run.
    pub latch_set: Vec<(String, ProductKey)>,
    pub latch_clear: Vec<(String, ProductKey)>,
    /// Rules that ran on complete data this time.
    pub rules_ran: Vec<String>,
    /// Feeds that failed while being read.
    pub failed_while_reading: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Explanation {
    pub rule: String,
    pub fired: bool,
    /// The rule ran on complete data (false when a feed or the forecast it
    /// needs failed), so what it did not propose no longer applies.
    #[serde(skip)]
    pub evaluated: bool,
    pub proposals: usize,
    pub detail: String,
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.fired {
            write!(f, "{}: yes, {}", self.rule, self.detail)
        } else {
            write!(f, "{}: no, {}", self.rule, self.detail)
        }
    }
}

/// Evaluates every rule over all `products` (in feed order).
pub fn evaluate<'p>(ctx: &Context, products: impl IntoIterator<Item = &'p Product>) -> Outcome {
    let mut eval = Evaluation::new(ctx);
    let mut watched = Vec::new();
    for p in products {
        if eval.observe(p) {
            watched.push(p.clone());
        }
    }
    let mut out = eval.finish();
    out.watched = watched;
    out
}

/// Most GTINs asked of a facts source in one run: Open Food Facts is a shared
/// public service, and a swap needs only a handful of candidates.
pub const MAX_FACTS_LOOKUPS: usize = 200;

/// GTINs whose facts could change what a rule proposes: the basket items (their
/// facts decide whether a `contains`/`allergens` rule watches them), and the
/// catalog products that could replace one in a swap but whose facts for that
/// swap are not all known yet. Each GTIN is given as the feed wrote it (one
/// spelling per product, however many feeds list it): Open Food Facts knows an
/// EAN-13 by its 13 digits, not by the 14-digit form used to compare GTINs.
pub fn gtins_needing_facts(
    rules: &RuleSet,
    basket: &[BasketItem],
    products: &[Product],
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |p: &Product, out: &mut Vec<String>| {
        if let (Some(g14), Some(given)) = (p.gtin14(), p.gtin.as_deref()) {
            if seen.insert(g14) {
                out.push(given.trim().to_string());
            }
        }
    };
    let swaps: Vec<&Rule> = rules
        .rules
        .iter()
        .filter(|r| r.enabled && matches!(r.action, Action::Swap { .. }))
        .collect();
    let uses_facts =
        |s: &Selector| !s.contains.is_empty() || !s.allergens.is_empty() || !s.labels.is_empty();
    let basket_facts = !swaps.is_empty()
        || rules
            .rules
            .iter()
            .any(|r| r.selector.as_ref().is_some_and(uses_facts));
    if basket_facts {
        for item in basket {
            push(&item.product, &mut out);
        }
    }
    let basket_keys: HashSet<ProductKey> = basket.iter().map(|i| i.product.key()).collect();
    for rule in swaps {
        let Action::Swap {
            without,
            without_allergens,
            keep_category,
            ..
        } = &rule.action
        else {
            continue;
        };
        let categories: HashSet<String> = basket
            .iter()
            .filter_map(|i| i.product.most_specific_category())
            .map(text::fold_tag)
            .collect();
        for p in products {
            if basket_keys.contains(&p.key())
                || !p.availability.is_none_or(Availability::is_available)
            {
                continue;
            }
            if *keep_category
                && !p
                    .categories
                    .iter()
                    .any(|c| categories.contains(&text::fold_tag(c)))
            {
                continue;
            }
            let known = without
                .iter()
                .all(|t| known_free_of_trait(p, t) || known_contains(p, t))
                && without_allergens
                    .iter()
                    .all(|a| known_free_of_allergen(p, a) || known_allergen(p, a));
            if !known {
                push(p, &mut out);
            }
        }
    }
    out.truncate(MAX_FACTS_LOOKUPS);
    out
}

/// Most GTINs asked of a price-history source in one run (Open Prices is a
/// shared public service).
pub const MAX_HISTORY_LOOKUPS: usize = 100;

/// GTINs (as the feeds wrote them) of the basket items and of the products some
/// enabled rule watches: those whose history a price-history source can fill.
pub fn watched_gtins(rules: &RuleSet, basket: &[BasketItem], products: &[Product]) -> Vec<String> {
    let selectors: Vec<&Selector> = rules
        .rules
        .iter()
        .filter(|r| r.enabled)
        .flat_map(|r| r.selector.iter().chain(r.action.product_selector()))
        .filter(|s| s.scope == Scope::Catalog)
        .collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let basket_products = basket.iter().map(|i| &i.product);
    let watched = products.iter().filter(|p| {
        let f = Folded::new(p);
        selectors.iter().any(|s| check_ignoring_price(s, &f))
    });
    for p in basket_products.chain(watched) {
        if let (Some(raw), Some(g14)) = (p.gtin.as_ref(), p.gtin14()) {
            if seen.insert(g14) {
                out.push(raw.clone());
            }
        }
        if out.len() >= MAX_HISTORY_LOOKUPS {
            break;
        }
    }
    out
}

/// Whether any enabled rule's catalog selector matches `p`, price and history
/// conditions aside: a product whose state is worth recording (and whose GTIN a
/// price-history source may know).
pub struct Watcher<'r> {
    selectors: Vec<&'r Selector>,
}

impl<'r> Watcher<'r> {
    pub fn new(rules: &'r RuleSet) -> Watcher<'r> {
        Watcher {
            selectors: rules
                .rules
                .iter()
                .filter(|r| r.enabled)
                .flat_map(|r| r.selector.iter().chain(r.action.product_selector()))
                .filter(|s| s.scope == Scope::Catalog)
                .collect(),
        }
    }

    pub fn watches(&self, p: &Product) -> bool {
        let f = Folded::new(p);
        self.selectors.iter().any(|s| check_ignoring_price(s, &f))
    }
}

/// Whether a product could be a swap's alternative for some basket item (an
/// enabled swap exists and it shares a basket item's category when the swap
/// keeps categories): the only catalog products whose facts are worth asking.
pub fn may_replace(rules: &RuleSet, basket: &[BasketItem], p: &Product) -> bool {
    rules
        .rules
        .iter()
        .filter(|r| r.enabled)
        .any(|r| match &r.action {
            Action::Swap { keep_category, .. } => {
                !*keep_category || basket.iter().any(|i| shares_category(&i.product, p))
            }
            _ => false,
        })
}

/// Merges facts-only records (Open Food Facts) into the products and basket
/// items with the same GTIN.
pub fn merge_facts_into(facts: &[Product], products: &mut [Product], basket: &mut [BasketItem]) {
    if facts.is_empty() {
        return;
    }
    let by_gtin: HashMap<String, &Product> = facts
        .iter()
        .filter_map(|f| f.gtin14().map(|g| (g, f)))
        .collect();
    for p in products
        .iter_mut()
        .chain(basket.iter_mut().map(|i| &mut i.product))
    {
        if let Some(f) = p.gtin14().and_then(|g| by_gtin.get(&g)) {
            p.merge_facts_from(f);
        }
    }
}

/// A rule while products stream past.
struct RuleState<'r> {
    rule: &'r Rule,
    status: Status,
    /// Reason the `when` holds, to lead each proposal's reason.
    when_reason: Option<String>,
    work: Work<'r>,
    /// Products priced in another currency that a price condition had to ignore.
    other_currency: usize,
    /// The cheapest product that matched everything but the price, for `--explain`.
    near_miss: Option<Product>,
    /// Candidates passed over because the shopper declined them recently.
    cooling_down: usize,
    /// Candidates passed over because the rule already fired for them and their
    /// condition has not been false since.
    latched_held: usize,
    /// The `when` was evaluated and is false: every latch of the rule re-arms.
    when_false: bool,
    latch: Latch,
}

/// One rule's re-arming bookkeeping for this run.
#[derive(Default)]
struct Latch {
    /// First run under `first_run = "skip"`: what matches is only noted.
    first_run_skip: bool,
    set: Vec<ProductKey>,
    clear: Vec<ProductKey>,
    /// Latched products seen in this run's stream.
    seen: HashSet<ProductKey>,
}

impl Latch {
    /// Notes one product this rule looked at. Returns false when the product
    /// must go no further (first run under "skip": it is only noted as seen).
    fn track(&mut self, latched: bool, product: &Product, matched: bool) -> bool {
        if latched {
            self.seen.insert(product.key());
            if !matched {
                // The condition is false for it now: it may fire again next time.
                self.clear.push(product.key());
            }
        }
        if matched && self.first_run_skip {
            self.set.push(product.key());
            return false;
        }
        true
    }
}

enum Status {
    Active,
    /// Its condition does not hold, or it is disabled: why, for `--explain`.
    Idle(String),
    /// Not evaluated: something it needs failed this run.
    Skipped(String),
}

enum Work<'r> {
    Add {
        selector: Box<Selector>,
        room: usize,
        best: Vec<(usize, Product)>,
        prefer: Prefer,
        quantity: u32,
        /// `"up to N"`: products already in the basket may be topped up.
        restock: bool,
    },
    Notify {
        selector: &'r Selector,
        limit: usize,
        found: Vec<Product>,
        channels: Vec<String>,
    },
    /// Basket items to remove, known up front (basket scope) or found in the catalog.
    Remove {
        catalog: Option<&'r Selector>,
        targets: Vec<BasketItem>,
    },
    Swap {
        watched: Vec<SwapSlot>,
    },
}

struct SwapSlot {
    item: BasketItem,
    /// The item's most specific category, folded once.
    category: Option<String>,
    best: Option<(usize, Product)>,
    /// An alternative was passed over because the shopper declined it recently:
    /// there is one, so "no alternative" would be untrue.
    declined: bool,
}

pub struct Evaluation<'a> {
    ctx: &'a Context<'a>,
    states: Vec<RuleState<'a>>,
    basket: BasketIndex<'a>,
    seq: usize,
    /// Catalog selectors of enabled rules: a product any of them matches (price
    /// and history aside) is watched, and its state recorded.
    watch_selectors: Vec<&'a Selector>,
    /// One index over the rules (item `i` is `states[i]`) and, after them, the
    /// watch selectors (item `states.len() + j` is `watch_selectors[j]`): one
    /// set of lookups per product serves both questions.
    index: AnchorIndex,
    /// feed -> id -> indices of the rules latched for that product; looked up
    /// by `&str`, so no key is built for the products that are not latched.
    latched: HashMap<String, HashMap<String, Vec<usize>>>,
    /// Reused for each product's candidate rules.
    scratch: Vec<usize>,
    index_scratch: index::Scratch,
    /// Reused for each product's folded text.
    folded_text: FoldedText,
    /// Feeds that failed while being read, after the rules were set up.
    failed_while_reading: BTreeMap<String, String>,
}

/// What each rule's per-product work needs of a product.
fn rule_anchors<'s>(states: &'s [RuleState]) -> Vec<Anchor<'s>> {
    states
        .iter()
        .map(|state| {
            if !matches!(state.status, Status::Active) {
                return Anchor::Never;
            }
            match &state.work {
                Work::Add { selector, .. } => Anchor::Selector(selector),
                Work::Notify { selector, .. } => Anchor::Selector(selector),
                Work::Remove {
                    catalog: Some(s), ..
                } => Anchor::Selector(s),
                Work::Remove { catalog: None, .. } => Anchor::Never,
                // An alternative must share the item's category, when the rule
                // says so: then only those categories' products matter.
                Work::Swap { watched } => match &state.rule.action {
                    Action::Swap {
                        keep_category: true,
                        ..
                    } => Anchor::Categories(
                        watched
                            .iter()
                            .filter_map(|slot| slot.category.as_deref())
                            .collect(),
                    ),
                    _ => Anchor::Every,
                },
            }
        })
        .collect()
}

impl<'a> Evaluation<'a> {
    pub fn new(ctx: &'a Context<'a>) -> Self {
        let states: Vec<RuleState> = ctx
            .rules
            .rules
            .iter()
            .map(|rule| RuleState::new(rule, ctx))
            .collect();
        let watch_selectors: Vec<&Selector> = ctx
            .rules
            .rules
            .iter()
            .filter(|r| r.enabled)
            .flat_map(|r| r.selector.iter().chain(r.action.product_selector()))
            .filter(|s| s.scope == Scope::Catalog)
            .collect();
        let mut anchors = rule_anchors(&states);
        anchors.extend(watch_selectors.iter().map(|s| Anchor::Selector(s)));
        let index = AnchorIndex::build(&anchors);
        let mut latched: HashMap<String, HashMap<String, Vec<usize>>> = HashMap::new();
        for (rule, key) in &ctx.memory.latched {
            if let Some(i) = ctx.rules.rules.iter().position(|r| &r.name == rule) {
                latched
                    .entry(key.feed.clone())
                    .or_default()
                    .entry(key.id.clone())
                    .or_default()
                    .push(i);
            }
        }
        Evaluation {
            ctx,
            states,
            basket: BasketIndex::new(ctx.basket),
            seq: 0,
            watch_selectors,
            index,
            latched,
            scratch: Vec::new(),
            index_scratch: index::Scratch::default(),
            folded_text: FoldedText::default(),
            failed_while_reading: BTreeMap::new(),
        }
    }

    /// Feeds one catalog product to the rules that could want it. Returns
    /// whether some rule watches it (or it is in the basket): the caller records
    /// its state in the price history. The engine keeps no copy of it for that,
    /// so a million watched products cost no memory here.
    pub fn observe(&mut self, product: &Product) -> bool {
        self.seq += 1;
        let seq = self.seq;
        let ctx = self.ctx;
        let currency = ctx.rules.settings.currency.as_str();
        self.folded_text.refill(product);
        let folded = Folded::borrowing(product, &self.folded_text);
        let in_basket = self.basket.contains(&folded);
        let mut candidates = std::mem::take(&mut self.scratch);
        candidates.clear();
        self.index
            .candidates(&folded, &mut self.index_scratch, &mut candidates);
        let rule_count = self.states.len();
        let watched = in_basket
            || candidates.iter().any(|&i| {
                i >= rule_count
                    && check_ignoring_price(self.watch_selectors[i - rule_count], &folded)
            });
        candidates.retain(|&i| i < rule_count);
        let latched_rules: &[usize] = self
            .latched
            .get(product.feed.as_str())
            .and_then(|ids| ids.get(product.id.as_str()))
            .map_or(&[], Vec::as_slice);
        // A latched rule must see the product even if it cannot match it now:
        // not matching is what re-arms it.
        candidates.extend_from_slice(latched_rules);
        candidates.sort_unstable();
        candidates.dedup();
        for &i in &candidates {
            let state = &mut self.states[i];
            if !matches!(state.status, Status::Active) {
                continue;
            }
            let rule = state.rule;
            let latched = latched_rules.contains(&i);
            match &mut state.work {
                Work::Add {
                    selector,
                    room,
                    best,
                    prefer,
                    restock,
                    ..
                } => {
                    if in_basket && !*restock {
                        continue;
                    }
                    let m = check(selector, &folded, ctx, true);
                    if !state.latch.track(latched, product, m == Match::Yes) {
                        continue;
                    }
                    match m {
                        Match::Yes => {}
                        Match::PriceOnly => {
                            note_near_miss(&mut state.near_miss, product);
                            continue;
                        }
                        Match::OtherCurrency => {
                            state.other_currency += 1;
                            continue;
                        }
                        Match::No => continue,
                    }
                    // The proposal's id matters only to a latched rule or a
                    // recent decline; most runs have neither, so most matches
                    // skip hashing it.
                    if latched || !ctx.memory.declined.is_empty() {
                        let id = Proposal::stable_id_of(
                            &rule.name,
                            ActionKind::Add,
                            (&product.feed, &product.id),
                            None,
                        );
                        if latched && !ctx.memory.pending.contains(&id) {
                            state.latched_held += 1;
                            continue;
                        }
                        if cooling_down(ctx, rule, &id, product.price) {
                            state.cooling_down += 1;
                            continue;
                        }
                    }
                    keep_best(best, *room, seq, product, |p| rank(*prefer, p, None));
                }
                Work::Notify {
                    selector,
                    limit,
                    found,
                    ..
                } => {
                    let m = check(selector, &folded, ctx, true);
                    if !state.latch.track(latched, product, m == Match::Yes) {
                        continue;
                    }
                    match m {
                        Match::Yes if found.len() < *limit => found.push(product.clone()),
                        Match::Yes => {}
                        Match::PriceOnly => note_near_miss(&mut state.near_miss, product),
                        Match::OtherCurrency => state.other_currency += 1,
                        Match::No => {}
                    }
                }
                Work::Remove { catalog, targets } => {
                    let Some(selector) = catalog else { continue };
                    if !in_basket || check(selector, &folded, ctx, true) != Match::Yes {
                        continue;
                    }
                    let item = ctx
                        .basket
                        .iter()
                        .find(|i| same_product(&i.product, product));
                    if let Some(item) = item {
                        if !targets
                            .iter()
                            .any(|t| t.product.key() == item.product.key())
                        {
                            targets.push(item.clone());
                        }
                    }
                }
                Work::Swap { watched } => {
                    let Action::Swap {
                        without,
                        without_allergens,
                        keep_category,
                        prefer,
                        max_price,
                    } = &rule.action
                    else {
                        continue;
                    };
                    if in_basket
                        || !product.availability.is_some_and(Availability::is_available)
                        || product.currency.as_deref() != Some(currency)
                        || product.price.is_none()
                        || !without.iter().all(|t| known_free_of_trait(product, t))
                        || !without_allergens
                            .iter()
                            .all(|a| known_free_of_allergen(product, a))
                        || max_price.is_some_and(|m| product.price.is_some_and(|p| p > m))
                    {
                        continue;
                    }
                    for slot in watched.iter_mut() {
                        if *keep_category
                            && !slot
                                .category
                                .as_ref()
                                .is_some_and(|c| folded.in_category(c))
                        {
                            continue;
                        }
                        let declined = !ctx.memory.declined.is_empty() && {
                            let id = Proposal::stable_id_of(
                                &rule.name,
                                ActionKind::Swap,
                                (&product.feed, &product.id),
                                Some((&slot.item.product.feed, &slot.item.product.id)),
                            );
                            cooling_down(ctx, rule, &id, product.price)
                        };
                        if declined {
                            state.cooling_down += 1;
                            slot.declined = true;
                            continue;
                        }
                        let reference = slot.item.product.price;
                        let key = rank(*prefer, product, reference);
                        let better = match &slot.best {
                            None => true,
                            Some((_, current)) => key < rank(*prefer, current, reference),
                        };
                        if better {
                            slot.best = Some((seq, product.clone()));
                        }
                    }
                }
            }
        }
        self.scratch = candidates;
        watched
    }

    /// A feed that failed while being read (the rules were set up before its
    /// products streamed in): the rules that need it are skipped, as if it had
    /// failed to fetch, and what it listed is not recorded.
    pub fn feed_failed(&mut self, feed: &str, why: &str) {
        self.failed_while_reading
            .insert(feed.to_string(), why.to_string());
    }

    pub fn finish(mut self) -> Outcome {
        let ctx = self.ctx;
        let late = std::mem::take(&mut self.failed_while_reading);
        if !late.is_empty() {
            for state in &mut self.states {
                if !matches!(state.status, Status::Active) {
                    continue;
                }
                let named = state
                    .rule
                    .named_feeds()
                    .into_iter()
                    .find_map(|f| late.get(f).map(|why| (f.to_string(), why.clone())));
                let absence = state
                    .rule
                    .acts_on_absence()
                    .then(|| late.iter().next())
                    .flatten();
                if let Some((feed, why)) = named {
                    state.status = Status::Skipped(format!("feed '{feed}' failed ({why})"));
                } else if let Some((feed, why)) = absence {
                    state.status = Status::Skipped(format!(
                        "feed '{feed}' failed ({why}), and this rule acts on what is missing"
                    ));
                }
            }
        }
        let mut out = Outcome {
            failed_while_reading: late,
            ..Outcome::default()
        };
        let basket_total = basket_total(ctx.basket, &ctx.rules.settings.currency);
        let mut proposed_adds: HashSet<ProductKey> = HashSet::new();
        for state in self.states {
            let rule = state.rule;
            if state.other_currency > 0 {
                out.warnings.push(format!(
                    "rule '{}': {} product{} priced in another currency than {} could not be compared and were ignored",
                    rule.name,
                    state.other_currency,
                    plural(state.other_currency),
                    ctx.rules.settings.currency
                ));
            }
            if matches!(state.status, Status::Active | Status::Idle(_)) {
                out.rules_ran.push(rule.name.clone());
            }
            let latched_here = || {
                ctx.memory
                    .latched
                    .iter()
                    .filter(move |(r, _)| *r == rule.name)
                    .map(|(_, k)| k)
            };
            if state.when_false {
                // Its condition is false for everything: every latch re-arms.
                out.latch_clear
                    .extend(latched_here().map(|k| (rule.name.clone(), k.clone())));
            }
            if matches!(state.status, Status::Active) {
                // Latched products of feeds that answered but no longer list them
                // are re-armed too; a feed that failed changes nothing.
                let gone = latched_here().filter(|k| {
                    !state.latch.seen.contains(*k) && !ctx.failed_feeds.contains_key(&k.feed)
                });
                out.latch_clear
                    .extend(gone.map(|k| (rule.name.clone(), k.clone())));
                out.latch_clear.extend(
                    state
                        .latch
                        .clear
                        .iter()
                        .map(|k| (rule.name.clone(), k.clone())),
                );
                out.latch_set.extend(
                    state
                        .latch
                        .set
                        .iter()
                        .map(|k| (rule.name.clone(), k.clone())),
                );
            }
            if let Status::Idle(why) | Status::Skipped(why) = &state.status {
                out.explanations.push(Explanation {
                    rule: rule.name.clone(),
                    fired: false,
                    evaluated: matches!(state.status, Status::Idle(_)),
                    proposals: 0,
                    detail: why.clone(),
                });
                continue;
            }
            let mut made: Vec<Proposal> = Vec::new();
            let mut detail_if_none = None;
            match state.work {
                Work::Add { best, quantity, .. } => {
                    for (_, product) in best {
                        if !proposed_adds.insert(product.key()) {
                            continue;
                        }
                        let reason = join_reasons(
                            state.when_reason.as_deref(),
                            selector_reason(
                                rule,
                                &product,
                                &ctx.rules.settings.currency,
                                state.when_reason.is_none(),
                            ),
                        );
                        out.latch_set.push((rule.name.clone(), product.key()));
                        made.push(proposal(
                            ctx,
                            rule,
                            ActionKind::Add,
                            product,
                            quantity,
                            None,
                            reason,
                        ));
                    }
                    if made.is_empty() {
                        detail_if_none = Some(if state.latched_held > 0 {
                            latched_detail(state.latched_held)
                        } else if state.latch.first_run_skip && !state.latch.set.is_empty() {
                            first_run_detail(state.latch.set.len())
                        } else {
                            no_candidates_detail(&state.near_miss, rule, state.cooling_down)
                        });
                    }
                }
                Work::Remove { targets, .. } => {
                    for item in targets {
                        let reason = join_reasons(
                            state.when_reason.as_deref(),
                            removal_reason(rule, &item.product),
                        );
                        let qty = item.quantity;
                        made.push(proposal(
                            ctx,
                            rule,
                            ActionKind::Remove,
                            item.product,
                            qty,
                            None,
                            reason,
                        ));
                    }
                    if made.is_empty() {
                        detail_if_none = Some("no basket item matched".to_string());
                    }
                }
                Work::Swap { watched } => {
                    let Action::Swap {
                        without,
                        without_allergens,
                        ..
                    } = &rule.action
                    else {
                        continue;
                    };
                    for slot in watched {
                        match slot.best {
                            Some((_, alt)) => {
                                let reason = join_reasons(
                                    state.when_reason.as_deref(),
                                    Some(swap_reason(
                                        &slot.item.product,
                                        &alt,
                                        without,
                                        without_allergens,
                                    )),
                                );
                                made.push(proposal(
                                    ctx,
                                    rule,
                                    ActionKind::Swap,
                                    alt,
                                    slot.item.quantity,
                                    Some(slot.item.product),
                                    reason,
                                ));
                            }
                            None if slot.declined => {}
                            None => {
                                let cat = slot
                                    .item
                                    .product
                                    .most_specific_category()
                                    .map(|c| format!(" in '{c}'"))
                                    .unwrap_or_default();
                                out.notices.push(format!(
                                    "{}: no alternative for '{}'{cat}",
                                    rule.name, slot.item.product.name
                                ));
                            }
                        }
                    }
                    if made.is_empty() {
                        detail_if_none = Some(if state.cooling_down > 0 {
                            "every alternative was declined recently (cooldown)".to_string()
                        } else {
                            "no basket item to swap has a known-safe alternative".to_string()
                        });
                    }
                }
                Work::Notify {
                    found, channels, ..
                } => {
                    if found.is_empty() {
                        out.explanations.push(Explanation {
                            rule: rule.name.clone(),
                            fired: false,
                            evaluated: true,
                            proposals: 0,
                            detail: if state.latch.first_run_skip && !state.latch.set.is_empty() {
                                first_run_detail(state.latch.set.len())
                            } else {
                                no_candidates_detail(&state.near_miss, rule, 0)
                            },
                        });
                    } else {
                        // News: not fired for since its condition was last false
                        // (re-armed), or cheaper / back in stock since the last
                        // notification.
                        let new = found.iter().any(|p| {
                            !ctx.memory.latched.contains(&(rule.name.clone(), p.key()))
                                || changed_since_notified(ctx, rule, p)
                        });
                        out.latch_set
                            .extend(found.iter().map(|p| (rule.name.clone(), p.key())));
                        out.explanations.push(Explanation {
                            rule: rule.name.clone(),
                            fired: true,
                            evaluated: true,
                            proposals: 0,
                            detail: format!(
                                "{} product{} to notify{}",
                                found.len(),
                                plural(found.len()),
                                if new { "" } else { " (nothing new)" }
                            ),
                        });
                        out.notifications.push(Notification {
                            rule: rule.name.clone(),
                            channels,
                            products: found,
                            new,
                        });
                    }
                    continue;
                }
            }
            // Budget: judged against the basket as it is, one proposal at a time.
            if let Some(budget) = ctx.rules.settings.budget {
                for p in &mut made {
                    if matches!(p.action, ActionKind::Add | ActionKind::Swap) {
                        let delta = p.cost_delta().unwrap_or(Decimal::ZERO);
                        p.over_budget = delta > Decimal::ZERO && basket_total + delta > budget;
                    }
                }
            }
            out.explanations.push(Explanation {
                rule: rule.name.clone(),
                fired: !made.is_empty(),
                evaluated: true,
                proposals: made.len(),
                detail: match detail_if_none {
                    Some(d) if made.is_empty() => d,
                    _ => format!("{} proposal{}", made.len(), plural(made.len())),
                },
            });
            out.proposals.extend(made);
        }
        out
    }
}

impl<'a> RuleState<'a> {
    fn new(rule: &'a Rule, ctx: &'a Context<'a>) -> Self {
        let mut state = RuleState {
            rule,
            status: Status::Active,
            when_reason: None,
            work: Work::Remove {
                catalog: None,
                targets: Vec::new(),
            },
            other_currency: 0,
            near_miss: None,
            cooling_down: 0,
            latched_held: 0,
            when_false: false,
            latch: Latch {
                first_run_skip: !rule.first_run_fires && !ctx.memory.rules_run.contains(&rule.name),
                ..Latch::default()
            },
        };
        match state.prepare(ctx) {
            Ok(()) => {}
            Err(Skip::Idle(why)) => state.status = Status::Idle(why),
            Err(Skip::Skipped(why)) => state.status = Status::Skipped(why),
        }
        state
    }

    /// Decides whether the rule runs at all this time, and sets up its work.
    fn prepare(&mut self, ctx: &'a Context<'a>) -> Result<(), Skip> {
        let rule = self.rule;
        if !rule.enabled {
            return Err(Skip::Idle("disabled".into()));
        }
        for feed in rule.named_feeds() {
            if let Some(why) = ctx.failed_feeds.get(feed) {
                return Err(Skip::Skipped(format!("feed '{feed}' failed ({why})")));
            }
        }
        // A feed that did not answer is unknown: never let it make a removal or a
        // "lacks" fire.
        if rule.acts_on_absence() {
            if let Some((feed, why)) = ctx.failed_feeds.iter().next() {
                return Err(Skip::Skipped(format!(
                    "feed '{feed}' failed ({why}), and this rule acts on what is missing"
                )));
            }
        }
        if let Some(when) = &rule.when {
            if when.uses_weather() {
                if let Weather::Failed(why) = &ctx.weather {
                    return Err(Skip::Skipped(format!(
                        "the weather forecast failed ({why})"
                    )));
                }
            }
            let (holds, reason) = eval_condition(when, ctx);
            if !holds {
                self.when_false = true;
                return Err(Skip::Idle(reason));
            }
            self.when_reason = Some(reason);
        }
        self.work = match &rule.action {
            Action::Add {
                product,
                quantity,
                limit,
                prefer,
            } => {
                let selector = match (&rule.selector, product) {
                    (Some(m), Some(p)) if m.scope == Scope::Catalog => and_selectors(m, p),
                    (Some(m), None) if m.scope == Scope::Catalog => m.clone(),
                    (_, Some(p)) => p.clone(),
                    (_, None) => Selector::default(),
                };
                if let Some(m) = &rule.selector {
                    if m.scope == Scope::Basket {
                        let has = ctx
                            .basket
                            .iter()
                            .any(|i| check(m, &Folded::new(&i.product), ctx, false) == Match::Yes);
                        if !has {
                            return Err(Skip::Idle("no basket item matches its match".into()));
                        }
                    }
                }
                let holding: Vec<&BasketItem> = ctx
                    .basket
                    .iter()
                    .filter(|i| check_ignoring_price(&selector, &Folded::new(&i.product)))
                    .collect();
                match *quantity {
                    // Fill, don't pile up: items already in the basket count
                    // towards `limit`.
                    Quantity::Exactly(quantity) => {
                        let held = holding.len();
                        if held >= *limit {
                            return Err(Skip::Idle(format!(
                                "the basket already holds {held} matching item{}",
                                plural(held)
                            )));
                        }
                        Work::Add {
                            selector: Box::new(selector),
                            room: limit - held,
                            best: Vec::new(),
                            prefer: *prefer,
                            quantity,
                            restock: false,
                        }
                    }
                    // Restock: top up to N, counting every unit already held.
                    Quantity::UpTo(n) => {
                        let held: u32 = holding.iter().map(|i| i.quantity).sum();
                        if held >= n {
                            return Err(Skip::Idle(format!(
                                "the basket already holds {held} (up to {n})"
                            )));
                        }
                        Work::Add {
                            selector: Box::new(selector),
                            room: 1,
                            best: Vec::new(),
                            prefer: *prefer,
                            quantity: n - held,
                            restock: true,
                        }
                    }
                }
            }
            Action::Notify { channels, limit } => Work::Notify {
                selector: rule.selector.as_ref().unwrap_or(&EMPTY_SELECTOR),
                limit: *limit,
                found: Vec::new(),
                channels: if channels.is_empty() {
                    ctx.rules.notify.channels()
                } else {
                    channels.clone()
                },
            },
            Action::Remove { product } => {
                let selectors: Vec<&Selector> =
                    rule.selector.iter().chain(product.iter()).collect();
                let catalog = selectors
                    .iter()
                    .find(|s| s.scope == Scope::Catalog)
                    .copied();
                let basket_selectors: Vec<&Selector> = selectors
                    .iter()
                    .filter(|s| s.scope == Scope::Basket)
                    .copied()
                    .collect();
                let targets = if catalog.is_some() {
                    Vec::new()
                } else {
                    ctx.basket
                        .iter()
                        .filter(|i| {
                            basket_selectors.iter().all(|s| {
                                check(s, &Folded::new(&i.product), ctx, false) == Match::Yes
                            })
                        })
                        .cloned()
                        .collect()
                };
                Work::Remove { catalog, targets }
            }
            Action::Swap { .. } => {
                let selector = rule.selector.as_ref().unwrap_or(&EMPTY_SELECTOR);
                let watched: Vec<SwapSlot> = ctx
                    .basket
                    .iter()
                    .filter(|i| check(selector, &Folded::new(&i.product), ctx, false) == Match::Yes)
                    .map(|i| SwapSlot {
                        item: i.clone(),
                        category: i.product.most_specific_category().map(text::fold_tag),
                        best: None,
                        declined: false,
                    })
                    .collect();
                if watched.is_empty() {
                    return Err(Skip::Idle("no basket item matches".into()));
                }
                Work::Swap { watched }
            }
        };
        Ok(())
    }
}

enum Skip {
    Idle(String),
    Skipped(String),
}

static EMPTY_SELECTOR: Selector = Selector {
    scope: Scope::Catalog,
    scope_written: false,
    feed: None,
    id: None,
    gtin: None,
    name_words: Vec::new(),
    name: None,
    brand: None,
    category: None,
    price: None,
    discount_pct: None,
    on_sale: None,
    available: None,
    contains: Vec::new(),
    allergens: Vec::new(),
    labels: Vec::new(),
    lowest_in_days: None,
    price_drop_pct: None,
    new: None,
    back_in_stock: None,
};

/// A rule's `match` and its action's `product` must both hold.
fn and_selectors(a: &Selector, b: &Selector) -> Selector {
    let mut s = a.clone();
    s.feed = s.feed.or_else(|| b.feed.clone());
    s.id = s.id.or_else(|| b.id.clone());
    s.gtin = s.gtin.or_else(|| b.gtin.clone());
    s.name_words.extend(b.name_words.iter().cloned());
    s.name = s.name.or_else(|| b.name.clone());
    s.brand = s.brand.or_else(|| b.brand.clone());
    s.category = s.category.or_else(|| b.category.clone());
    s.price = s.price.or(b.price);
    s.discount_pct = s.discount_pct.or(b.discount_pct);
    s.on_sale = s.on_sale.or(b.on_sale);
    s.available = s.available.or(b.available);
    s.contains.extend(b.contains.iter().cloned());
    s.allergens.extend(b.allergens.iter().cloned());
    s.labels.extend(b.labels.iter().cloned());
    s
}

#[derive(Debug, PartialEq, Eq)]
enum Match {
    Yes,
    No,
    /// Everything but the price condition holds.
    PriceOnly,
    /// A price condition could not be judged: the product is in another currency.
    OtherCurrency,
}

/// Does `p` satisfy `s`? `catalog_defaults` applies the catalog's implicit
/// `available = true`.
fn check(s: &Selector, f: &Folded, ctx: &Context, catalog_defaults: bool) -> Match {
    let p = f.product;
    let currency = ctx.rules.settings.currency.as_str();
    if !check_ignoring_price(s, f) {
        return Match::No;
    }
    let wants_available = s.available.or(catalog_defaults.then_some(true));
    if let Some(want) = wants_available {
        let is = p.availability.is_none_or(Availability::is_available);
        if is != want {
            return Match::No;
        }
    }
    if let Some(sale) = s.on_sale {
        if p.on_sale() != sale {
            return Match::No;
        }
    }
    if let Some(cmp) = &s.discount_pct {
        if !p.discount_pct().is_some_and(|d| cmp.holds(d)) {
            return Match::No;
        }
    }
    if let Some(cmp) = &s.price {
        let Some(price) = p.price else {
            return Match::No;
        };
        if p.currency.as_deref().is_some_and(|c| c != currency) {
            return Match::OtherCurrency;
        }
        if !cmp.holds(price) {
            return Match::PriceOnly;
        }
    }
    if s.uses_history() && !history_holds(s, p, ctx) {
        return Match::No;
    }
    Match::Yes
}

/// The history conditions of a selector. Unknown history never satisfies one:
/// no points, less than a day of them, or a feed never seen before.
fn history_holds(s: &Selector, p: &Product, ctx: &Context) -> bool {
    let history = &ctx.memory.history;
    let now = ctx.now;
    if let Some(days) = s.lowest_in_days {
        let points = history.prices(p);
        let enough = points
            .first()
            .is_some_and(|o| o.at <= now - Duration::days(1));
        let low = prices_since(&points, now - Duration::days(i64::from(days)), p)
            .into_iter()
            .min();
        match (enough, low, p.price) {
            (true, Some(low), Some(price)) if price <= low => {}
            _ => return false,
        }
    }
    if let Some(drop) = &s.price_drop_pct {
        let points = history.prices(p);
        let high = prices_since(&points, now - Duration::days(i64::from(drop.days)), p)
            .into_iter()
            .max();
        match (high, p.price) {
            (Some(high), Some(price)) if high > Decimal::ZERO => {
                let pct = (high - price) * Decimal::ONE_HUNDRED / high;
                if !drop.cmp.holds(pct) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    if let Some(want) = s.new {
        let Some(first_seen) = ctx.memory.feeds_seen.get(&p.feed) else {
            return false;
        };
        if *first_seen >= now {
            return false;
        }
        if history.own(p).is_empty() != want {
            return false;
        }
    }
    if let Some(want) = s.back_in_stock {
        let Some(last) = history.own(p).last() else {
            return false;
        };
        let was_out = last.availability.is_some_and(|a| !a.is_available());
        let is_in = p.availability.is_some_and(Availability::is_available);
        if (was_out && is_in) != want {
            return false;
        }
    }
    true
}

/// Prices in effect at some time since `since`: the points after it, and the
/// last one before it (a price holds until the next change). Same currency as
/// the product only.
fn prices_since(points: &[&Observation], since: DateTime<Utc>, p: &Product) -> Vec<Decimal> {
    let same = |o: &&Observation| o.currency.is_none() || o.currency == p.currency;
    let before = points.iter().rfind(|o| same(o) && o.at < since);
    before
        .into_iter()
        .chain(points.iter().filter(|o| same(o) && o.at >= since))
        .filter_map(|o| o.price)
        .collect()
}

/// The identity and fact parts of a selector: what "the basket already holds"
/// and removals judge on an item's recorded product.
fn check_ignoring_price(s: &Selector, f: &Folded) -> bool {
    let p = f.product;
    if s.feed.as_deref().is_some_and(|feed| feed != p.feed) {
        return false;
    }
    if s.id.as_deref().is_some_and(|id| id != p.id) {
        return false;
    }
    if let Some(g) = &s.gtin {
        if f.gtin_digits() != Some(significant_digits(g)) {
            return false;
        }
    }
    if !s.name_words.iter().all(|w| f.has_word(w)) {
        return false;
    }
    if s.brand.as_ref().is_some_and(|b| !f.brand_is(b)) {
        return false;
    }
    if s.category.as_ref().is_some_and(|c| !f.in_category(c)) {
        return false;
    }
    if !s.contains.is_empty() && !s.contains.iter().any(|t| known_contains(p, t)) {
        return false;
    }
    if !s.allergens.is_empty() && !s.allergens.iter().any(|a| known_allergen(p, a)) {
        return false;
    }
    if !s
        .labels
        .iter()
        .all(|l| p.labels.iter().any(|pl| text::fold_tag(pl) == *l))
    {
        return false;
    }
    true
}

fn known_contains(p: &Product, folded_trait: &str) -> bool {
    p.contains.iter().any(|t| text::fold_tag(t) == folded_trait)
}

fn known_free_of_trait(p: &Product, folded_trait: &str) -> bool {
    !known_contains(p, folded_trait)
        && p.free_from
            .iter()
            .any(|t| text::fold_tag(t) == folded_trait)
}

/// Known to contain, or to have traces of, the allergen.
fn known_allergen(p: &Product, a: &str) -> bool {
    let has = |set: &Option<std::collections::BTreeSet<String>>| {
        set.as_ref()
            .is_some_and(|s| s.iter().any(|x| text::fold_tag(x) == a))
    };
    has(&p.allergens) || has(&p.traces)
}

/// Both the allergens and the traces are known, and neither lists it: an allergy
/// rule never proposes a product whose allergens are unknown.
fn known_free_of_allergen(p: &Product, a: &str) -> bool {
    p.allergens.is_some() && p.traces.is_some() && !known_allergen(p, a)
}

fn shares_category(item: &Product, candidate: &Product) -> bool {
    match item.most_specific_category() {
        Some(c) => {
            let c = text::fold_tag(c);
            candidate.categories.iter().any(|x| text::fold_tag(x) == c)
        }
        None => false,
    }
}

fn same_product(a: &Product, b: &Product) -> bool {
    a.key() == b.key() || (a.gtin14().is_some() && a.gtin14() == b.gtin14())
}

/// Sort key: smaller is better; feed order breaks ties (the caller's `seq`).
fn rank(prefer: Prefer, p: &Product, reference: Option<Decimal>) -> Decimal {
    let price = p.price.unwrap_or(Decimal::MAX);
    match prefer {
        Prefer::Cheapest => price,
        Prefer::ClosestPrice => match reference {
            Some(r) => (price - r).abs(),
            None => price,
        },
        Prefer::First => Decimal::ZERO,
    }
}

/// Keeps the best `room` candidates, stable in feed order for equal ranks.
fn keep_best(
    best: &mut Vec<(usize, Product)>,
    room: usize,
    seq: usize,
    p: &Product,
    key: impl Fn(&Product) -> Decimal,
) {
    let k = key(p);
    if best.len() >= room {
        match best.last() {
            Some((_, worst)) if key(worst) > k => {}
            _ => return,
        }
    }
    let at = best.partition_point(|(s, q)| (key(q), *s) <= (k, seq));
    best.insert(at, (seq, p.clone()));
    best.truncate(room);
}

fn note_near_miss(slot: &mut Option<Product>, p: &Product) {
    let cheaper = match slot {
        None => true,
        Some(q) => p.price < q.price,
    };
    if cheaper {
        *slot = Some(p.clone());
    }
}

fn cooling_down(ctx: &Context, rule: &Rule, id: &str, price_now: Option<Decimal>) -> bool {
    let Some((when, price_then)) = ctx.memory.declined.get(id) else {
        return false;
    };
    if ctx.now - *when >= rule.cooldown {
        return false;
    }
    // A price that has fallen since the decline is news worth showing again.
    let fell = matches!((price_now, price_then), (Some(now), Some(then)) if now < *then);
    !fell
}

/// Cheaper, or back in stock, since the rule last notified about it (spec/cli.md:
/// a notified product is news again only when it changes). Time alone is no
/// news; the rule's cooldown is about declined proposals. A product never
/// notified (latched under `first_run = "skip"`) has not changed.
fn changed_since_notified(ctx: &Context, rule: &Rule, p: &Product) -> bool {
    match ctx.memory.notified.get(&(rule.name.clone(), p.key())) {
        None => false,
        Some(before) => {
            let cheaper = matches!((p.price, before.price), (Some(now), Some(then)) if now < then);
            let back = !before.availability.is_some_and(Availability::is_available)
                && p.availability.is_some_and(Availability::is_available);
            cheaper || back
        }
    }
}

fn proposal(
    ctx: &Context,
    rule: &Rule,
    action: ActionKind,
    product: Product,
    quantity: u32,
    replaces: Option<Product>,
    reason: String,
) -> Proposal {
    let id = Proposal::stable_id(
        &rule.name,
        action,
        &product.key(),
        replaces.as_ref().map(Product::key).as_ref(),
    );
    let status = if ctx.memory.pending.contains(&id) {
        ProposalStatus::Pending
    } else {
        ProposalStatus::New
    };
    Proposal {
        id,
        rule: rule.name.clone(),
        action,
        product,
        quantity,
        replaces,
        reason,
        status,
        over_budget: false,
    }
}

fn basket_total(basket: &[BasketItem], currency: &str) -> Decimal {
    basket
        .iter()
        .filter(|i| i.product.currency.as_deref() == Some(currency))
        .filter_map(|i| i.product.price.map(|p| p * Decimal::from(i.quantity)))
        .sum()
}

fn join_reasons(when: Option<&str>, what: Option<String>) -> String {
    match (when, what) {
        (Some(w), Some(x)) => format!("{w}; {x}"),
        (Some(w), None) => w.to_string(),
        (None, Some(x)) => x,
        (None, None) => "matches the rule".to_string(),
    }
}

/// Why this product: the most telling condition of the selector, in words.
/// `identify`: also say which brand or name matched, when nothing else explains
/// the proposal (a `when` reason already does).
fn selector_reason(rule: &Rule, p: &Product, currency: &str, identify: bool) -> Option<String> {
    let selectors: Vec<&Selector> = rule
        .selector
        .iter()
        .chain(rule.action.product_selector())
        .filter(|s| s.scope == Scope::Catalog)
        .collect();
    let mut parts = Vec::new();
    for s in &selectors {
        if let (Some(cmp), Some(price)) = (&s.price, p.price) {
            for (word, t) in cmp.parts() {
                parts.push(format!(
                    "price {} {currency} is {word} {} {currency}",
                    money(price),
                    money(t)
                ));
            }
        }
        if let (Some(cmp), Some(d)) = (&s.discount_pct, p.discount_pct()) {
            for (word, t) in cmp.parts() {
                parts.push(format!(
                    "{}% off is {word} {}%",
                    d.round_dp(1).normalize(),
                    t.normalize()
                ));
            }
        }
        if s.on_sale == Some(true) {
            if let (Some(price), Some(regular)) = (p.price, p.regular_price) {
                parts.push(format!(
                    "on sale at {} {currency}, was {}",
                    money(price),
                    money(regular)
                ));
            }
        }
    }
    if parts.is_empty() && identify {
        for s in &selectors {
            if let Some(b) = &p.brand {
                if s.brand.is_some() {
                    parts.push(format!("{b} is listed: '{}' at {}", p.name, p.price_text()));
                    break;
                }
            }
            if let Some(name) = &s.name {
                parts.push(format!(
                    "'{}' matches \"{name}\", at {}",
                    p.name,
                    p.price_text()
                ));
                break;
            }
        }
    }
    (!parts.is_empty()).then(|| parts.join(" and "))
}

fn removal_reason(rule: &Rule, p: &Product) -> Option<String> {
    let s = rule.selector.as_ref().or(rule.action.product_selector())?;
    if s.available == Some(false) {
        return Some(format!("'{}' is no longer available", p.name));
    }
    if !s.contains.is_empty() {
        return Some(format!("'{}' contains {}", p.name, human_list(&s.contains)));
    }
    if !s.allergens.is_empty() {
        return Some(format!("'{}' lists {}", p.name, human_list(&s.allergens)));
    }
    Some(format!("'{}' matches the rule", p.name))
}

fn swap_reason(
    item: &Product,
    alt: &Product,
    without: &[String],
    without_allergens: &[String],
) -> String {
    let mut has = Vec::new();
    for t in without {
        if known_contains(item, t) {
            has.push(format!("contains {}", t.replace('-', " ")));
        }
    }
    for a in without_allergens {
        if known_allergen(item, a) {
            has.push(format!("contains {a}"));
        }
    }
    let mut free = Vec::new();
    if !without.is_empty() {
        free.push(format!(
            "is {} free",
            without
                .iter()
                .map(|t| t.replace(' ', "-"))
                .collect::<Vec<_>>()
                .join("- and ")
        ));
    }
    if !without_allergens.is_empty() {
        free.push(format!("has no {}", human_list(without_allergens)));
    }
    let lead = if has.is_empty() {
        format!("'{}' matches", item.name)
    } else {
        has.join(" and ")
    };
    format!(
        "{lead}; '{}' {} ({})",
        alt.name,
        free.join(" and "),
        alt.price_text()
    )
}

fn human_list(items: &[String]) -> String {
    items.join(", ")
}

fn latched_detail(n: usize) -> String {
    format!(
        "already fired for {n} product{} whose condition has held since; it fires again after the condition is false once",
        plural(n)
    )
}

fn first_run_detail(n: usize) -> String {
    format!(
        "first run with first_run = \"skip\": {n} product{} already matching noted, not proposed",
        plural(n)
    )
}

fn no_candidates_detail(near_miss: &Option<Product>, rule: &Rule, cooling: usize) -> String {
    if let Some(p) = near_miss {
        let cmp = rule
            .selector
            .iter()
            .chain(rule.action.product_selector())
            .find_map(|s| s.price);
        if let (Some(cmp), Some(price)) = (cmp, p.price) {
            if let Some((word, t)) = cmp.first_failing(price) {
                return format!(
                    "cheapest match '{}' is {}, not {word} {}",
                    p.name,
                    p.price_text(),
                    money(t)
                );
            }
        }
    }
    if cooling > 0 {
        return format!(
            "{cooling} match{} declined recently (cooldown {})",
            if cooling == 1 { "" } else { "es" },
            human_duration(rule.cooldown)
        );
    }
    "no product matched".to_string()
}

pub fn human_duration(d: Duration) -> String {
    let mins = d.num_minutes();
    if mins % (60 * 24) == 0 && mins > 0 {
        format!("{}d", mins / (60 * 24))
    } else if mins % 60 == 0 && mins > 0 {
        format!("{}h", mins / 60)
    } else {
        format!("{mins}m")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

// ---- conditions ----

/// Whether the condition holds, and why (or why not) in words.
fn eval_condition(c: &Condition, ctx: &Context) -> (bool, String) {
    match c {
        Condition::Weather(w) => eval_weather(w, ctx),
        Condition::BasketHas(s) => match ctx
            .basket
            .iter()
            .find(|i| check(s, &Folded::new(&i.product), ctx, false) == Match::Yes)
        {
            Some(i) => (true, format!("the basket has '{}'", i.product.name)),
            None => (false, format!("the basket has no {}", describe(s))),
        },
        Condition::BasketLacks(s) => match ctx
            .basket
            .iter()
            .find(|i| check(s, &Folded::new(&i.product), ctx, false) == Match::Yes)
        {
            Some(i) => (
                false,
                format!("the basket already has '{}'", i.product.name),
            ),
            None => (true, format!("the basket has no {}", describe(s))),
        },
        Condition::All(cs) => {
            let mut reasons = Vec::new();
            for c in cs {
                let (ok, why) = eval_condition(c, ctx);
                if !ok {
                    return (false, why);
                }
                reasons.push(why);
            }
            (true, reasons.join(" and "))
        }
        Condition::Any(cs) => {
            let mut reasons = Vec::new();
            for c in cs {
                let (ok, why) = eval_condition(c, ctx);
                if ok {
                    return (true, why);
                }
                reasons.push(why);
            }
            (false, reasons.join(", and "))
        }
        Condition::Not(inner) => {
            let (ok, why) = eval_condition(inner, ctx);
            (!ok, why)
        }
    }
}

fn describe(s: &Selector) -> String {
    let mut parts = Vec::new();
    if let Some(n) = &s.name {
        parts.push(format!("'{n}'"));
    }
    if let Some(b) = &s.brand {
        parts.push(format!("brand '{b}'"));
    }
    if let Some(c) = &s.category {
        parts.push(format!("category '{c}'"));
    }
    if let Some(id) = &s.id {
        parts.push(format!("id '{id}'"));
    }
    if let Some(g) = &s.gtin {
        parts.push(format!("gtin {g}"));
    }
    if parts.is_empty() {
        "matching item".to_string()
    } else {
        parts.join(", ")
    }
}

/// How many days `within_days` looks at, at most.
const MAX_WITHIN_DAYS: i64 = 366;

fn eval_weather(w: &WeatherCondition, ctx: &Context) -> (bool, String) {
    let forecast = match &ctx.weather {
        Weather::Known(f) => *f,
        Weather::Failed(why) => return (false, format!("the weather forecast failed ({why})")),
        Weather::NotNeeded => return (false, "no weather forecast".into()),
    };
    let local_now = ctx.now + Duration::seconds(i64::from(forecast.utc_offset_seconds));
    let today = local_now.date_naive();
    let dates: Vec<NaiveDate> = match w.day {
        DaySpec::Today => vec![today],
        DaySpec::Tomorrow => today.succ_opt().into_iter().collect(),
        DaySpec::Weekday(wd) => {
            let ahead = (7 + wd.num_days_from_monday() as i64
                - chrono::Datelike::weekday(&today).num_days_from_monday() as i64)
                % 7;
            vec![today + Duration::days(ahead)]
        }
        // No forecast reaches a year ahead; without a bound, within_days = 100000000
        // walked (and allocated) the calendar until the date arithmetic panicked.
        DaySpec::WithinDays(n) => (0..i64::from(n).min(MAX_WITHIN_DAYS))
            .map_while(|i| today.checked_add_signed(Duration::days(i)))
            .collect(),
    };
    let mut last_why = String::new();
    for date in dates {
        let label = day_label(date, today);
        let Some(day) = forecast.day(date) else {
            last_why = format!("no forecast for {label} ({date})");
            continue;
        };
        let (ok, why) = eval_day(w, day, &label);
        if ok {
            return (true, why);
        }
        last_why = why;
    }
    if matches!(w.day, DaySpec::WithinDays(_)) && !last_why.is_empty() {
        return (false, format!("not in {}: {last_why}", w.day));
    }
    (false, last_why)
}

fn eval_day(w: &WeatherCondition, day: &DailyForecast, label: &str) -> (bool, String) {
    let mut reasons = Vec::new();
    for (metric, cmp) in &w.metrics {
        let value = metric_value(day, *metric);
        let Some(v) = value else {
            return (false, format!("{label}'s {} is unknown", metric.label()));
        };
        let shown = format!(
            "{label}'s {} {}{}",
            metric.label(),
            fmt_num(v),
            metric.unit()
        );
        if let Some((word, t)) = cmp.first_failing(v) {
            return (
                false,
                format!("{shown} is not {word} {}{}", fmt_num(t), metric.unit()),
            );
        }
        let parts: Vec<String> = cmp
            .parts()
            .into_iter()
            .map(|(word, t)| format!("{word} {}{}", fmt_num(t), metric.unit()))
            .collect();
        reasons.push(format!("{shown} is {}", parts.join(" and ")));
    }
    (true, reasons.join(" and "))
}

fn metric_value(d: &DailyForecast, m: Metric) -> Option<f64> {
    match m {
        Metric::TempMaxC => d.temp_max_c,
        Metric::TempMinC => d.temp_min_c,
        Metric::PrecipitationMm => d.precipitation_mm,
        Metric::PrecipitationProbability => d.precipitation_probability,
        Metric::WindMaxKmh => d.wind_max_kmh,
        Metric::UvIndex => d.uv_index,
        Metric::SnowfallCm => d.snowfall_cm,
    }
}

fn day_label(date: NaiveDate, today: NaiveDate) -> String {
    if date == today {
        "today".into()
    } else if Some(date) == today.succ_opt() {
        "tomorrow".into()
    } else {
        let wd = chrono::Datelike::weekday(&date);
        let name = crate::rules::weekday_name(wd);
        let mut c = name.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    }
}

/// `22` not `22.0`; `24.1` as is.
fn fmt_num(v: f64) -> String {
    let s = format!("{v}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

#[cfg(test)]
mod tests;
