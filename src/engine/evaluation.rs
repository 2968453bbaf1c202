//! The fold itself: the rules set up once, each catalog product fed to the
//! rules that could want it, and at the end each rule's proposals, notices and
//! explanation gathered into an [`Outcome`].

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;

use crate::model::{ActionKind, BasketItem, FailedAt, FailedInputs, Product, ProductKey, Proposal};
use crate::rules::Selector;

use super::actions::{Ending, Finished, Sighting};
use super::explain::{plural, Explanation};
use super::facts::catalog_selectors;
use super::folded::{Folded, FoldedText};
use super::index::{self, Anchor, AnchorIndex, BasketIndex};
use super::matching::check_ignoring_price;
use super::prepare::{rule_anchors, RuleState, Status};
use super::{Context, Outcome};

/// feed -> id -> indices of the rules latched for that product.
type LatchedRules = HashMap<String, HashMap<String, Vec<usize>>>;

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
    /// The rules latched for each product; looked up by `&str`, so no key is
    /// built for the products that are not latched.
    latched: LatchedRules,
    /// Reused for each product's candidate rules.
    scratch: Vec<usize>,
    index_scratch: index::Scratch,
    /// Reused for each product's folded text.
    folded_text: FoldedText,
    /// Feeds that failed while being read, after the rules were set up.
    failed_while_reading: FailedInputs,
}

impl<'a> Evaluation<'a> {
    pub fn new(ctx: &'a Context<'a>) -> Self {
        let states: Vec<RuleState> = ctx
            .rules
            .rules
            .iter()
            .map(|rule| RuleState::new(rule, ctx))
            .collect();
        let watch_selectors = catalog_selectors(ctx.rules);
        let mut anchors = rule_anchors(&states);
        anchors.extend(watch_selectors.iter().map(|s| Anchor::Selector(s)));
        let index = AnchorIndex::build(&anchors);
        Evaluation {
            ctx,
            states,
            basket: BasketIndex::new(ctx.basket),
            seq: 0,
            watch_selectors,
            index,
            latched: latched_rules(ctx),
            scratch: Vec::new(),
            index_scratch: index::Scratch::default(),
            folded_text: FoldedText::default(),
            failed_while_reading: FailedInputs::default(),
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
        self.folded_text.refill(product);
        let folded = Folded::borrowing(product, &self.folded_text);
        let in_basket = self.basket.contains(&folded);
        let mut candidates = std::mem::take(&mut self.scratch);
        candidates.clear();
        self.index
            .candidates(&folded, &mut self.index_scratch, &mut candidates);
        let rule_count = self.states.len();
        let watched = in_basket || self.watches(&candidates, &folded);
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
            let Status::Active(work) = &mut state.status else {
                continue;
            };
            let seen = Sighting {
                folded: &folded,
                seq,
                in_basket,
                latched: latched_rules.contains(&i),
            };
            work.observe(state.rule, ctx, &seen, &mut state.latch, &mut state.passed);
        }
        self.scratch = candidates;
        watched
    }

    /// Whether one of the watch selectors among the index's `candidates`
    /// matches the product.
    #[inline]
    fn watches(&self, candidates: &[usize], folded: &Folded) -> bool {
        let rule_count = self.states.len();
        candidates.iter().any(|&i| {
            i >= rule_count && check_ignoring_price(self.watch_selectors[i - rule_count], folded)
        })
    }

    /// A feed that failed while being read (the rules were set up before its
    /// products streamed in): the rules that need it are skipped, as if it had
    /// failed to fetch, and what it listed is not recorded.
    pub fn feed_failed(&mut self, feed: &str, why: &str) {
        self.failed_while_reading
            .insert(feed, FailedAt::Reading, why);
    }

    pub fn finish(mut self) -> Outcome {
        let ctx = self.ctx;
        let late = std::mem::take(&mut self.failed_while_reading);
        if !late.is_empty() {
            for state in &mut self.states {
                state.skip_if_failed(&late, ctx);
            }
        }
        let mut out = Outcome {
            failed_while_reading: late,
            ..Outcome::default()
        };
        let basket_total = basket_total(ctx.basket, &ctx.rules.settings.currency);
        let mut proposed_adds: HashSet<ProductKey> = HashSet::new();
        for state in self.states {
            conclude(ctx, state, basket_total, &mut proposed_adds, &mut out);
        }
        out
    }
}

/// Indices of the rules latched for each product, from the memory.
fn latched_rules(ctx: &Context) -> LatchedRules {
    let mut latched = LatchedRules::new();
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
    latched
}

/// One rule's part of the outcome: its warnings, latches, proposals (or
/// notification) and explanation.
fn conclude(
    ctx: &Context,
    state: RuleState,
    basket_total: Decimal,
    proposed_adds: &mut HashSet<ProductKey>,
    out: &mut Outcome,
) {
    let rule = state.rule;
    if state.passed.other_currency > 0 {
        out.warnings.push(format!(
            "rule '{}': {} product{} priced in another currency than {} could not be compared and were ignored",
            rule.name,
            state.passed.other_currency,
            plural(state.passed.other_currency),
            ctx.rules.settings.currency
        ));
    }
    // Idle rules ran too: their condition was judged on complete data.
    let ran = matches!(state.status, Status::Active(_) | Status::Idle(_));
    if ran {
        out.rules_ran.push(rule.name.clone());
    }
    let active = matches!(state.status, Status::Active(_));
    state.latch.settle(rule, ctx, active, out);
    let work = match state.status {
        Status::Active(work) => work,
        Status::Idle(why) | Status::Skipped(why) => {
            out.explanations.push(Explanation {
                rule: rule.name.clone(),
                fired: false,
                evaluated: ran,
                proposals: 0,
                detail: why,
            });
            return;
        }
    };
    let end = Ending {
        ctx,
        rule,
        when_reason: state.when_reason.as_deref(),
        passed: &state.passed,
        latch: &state.latch,
    };
    let Finished::Proposals(mut made, why_none) = work.finish(&end, proposed_adds, out) else {
        return;
    };
    if let Some(budget) = ctx.rules.settings.budget {
        mark_over_budget(&mut made, budget, basket_total);
    }
    out.explanations.push(Explanation {
        rule: rule.name.clone(),
        fired: !made.is_empty(),
        evaluated: true,
        proposals: made.len(),
        detail: match why_none {
            Some(d) if made.is_empty() => d,
            _ => format!("{} proposal{}", made.len(), plural(made.len())),
        },
    });
    out.proposals.extend(made);
}

/// Budget: judged against the basket as it is, one proposal at a time.
fn mark_over_budget(made: &mut [Proposal], budget: Decimal, basket_total: Decimal) {
    for p in made {
        if matches!(p.action, ActionKind::Add | ActionKind::Swap) {
            let delta = p.cost_delta().unwrap_or(Decimal::ZERO);
            p.over_budget = delta > Decimal::ZERO && basket_total + delta > budget;
        }
    }
}

fn basket_total(basket: &[BasketItem], currency: &str) -> Decimal {
    basket
        .iter()
        .filter(|i| i.product.currency.as_deref() == Some(currency))
        .filter_map(|i| i.product.price.map(|p| p * Decimal::from(i.quantity)))
        .sum()
}
