//! The engine: compiled rules x (products, forecast, basket, memory) -> proposals.
//!
//! Pure: no I/O, no clock, no printing. It is a fold over the product stream
//! ([`Evaluation::observe`]), where each rule keeps only what it needs (its best
//! `limit` candidates, the best alternative per watched basket item), so the size
//! of a feed does not set the memory a check needs.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::model::{
    ActionKind, Availability, BasketItem, Forecast, Notification, Observation, Product, ProductKey,
    Proposal, ProposalStatus,
};
use crate::rules::{Action, Prefer, Quantity, Rule, RuleSet, Scope, Selector};
use crate::text;

mod conditions;
mod explain;
mod facts;
mod folded;
mod index;
mod matching;

use conditions::eval_condition;
use explain::{
    first_run_detail, join_reasons, latched_detail, no_candidates_detail, plural, removal_reason,
    selector_reason, swap_reason,
};
pub use explain::{human_duration, Explanation};
pub use facts::{
    gtins_needing_facts, may_replace, merge_facts_into, watched_gtins, Watcher, MAX_FACTS_LOOKUPS,
    MAX_HISTORY_LOOKUPS,
};
use folded::{Folded, FoldedText};
use index::{Anchor, AnchorIndex, BasketIndex};
use matching::{
    and_selectors, check, check_ignoring_price, keep_best, known_free_of_allergen,
    known_free_of_trait, rank, same_product, Match, EMPTY_SELECTOR,
};

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

/// Cheaper, or back in stock, since the rule last notified about it (docs/cli.md:
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

#[cfg(test)]
mod tests;
