//! `remove`: basket items the rule matches, found up front (a basket-scope
//! selector) or as the catalog lists them now (a catalog-scope one).

use crate::model::{ActionKind, BasketItem};
use crate::rules::{Rule, Scope, Selector};

use super::super::explain::{join_reasons, removal_reason};
use super::super::folded::Folded;
use super::super::index::Anchor;
use super::super::matching::{check, same_product, Match};
use super::super::Context;
use super::{proposal, Ending, Finished, Sighting};

pub(in crate::engine) struct RemoveWork<'r> {
    catalog: Option<&'r Selector>,
    targets: Vec<BasketItem>,
}

impl<'r> RemoveWork<'r> {
    pub(super) fn prepare(
        rule: &'r Rule,
        ctx: &Context,
        product: Option<&'r Selector>,
    ) -> RemoveWork<'r> {
        let selectors: Vec<&Selector> = rule.selector.iter().chain(product).collect();
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
                    basket_selectors
                        .iter()
                        .all(|s| check(s, &Folded::new(&i.product), ctx, false) == Match::Yes)
                })
                .cloned()
                .collect()
        };
        RemoveWork { catalog, targets }
    }

    pub(super) fn anchor(&self) -> Anchor<'_> {
        match self.catalog {
            Some(s) => Anchor::Selector(s),
            None => Anchor::Never,
        }
    }

    #[inline]
    pub(super) fn observe(&mut self, ctx: &Context, seen: &Sighting) {
        let Some(selector) = self.catalog else { return };
        if !seen.in_basket || check(selector, seen.folded, ctx, true) != Match::Yes {
            return;
        }
        let product = seen.folded.product;
        let item = ctx
            .basket
            .iter()
            .find(|i| same_product(&i.product, product));
        if let Some(item) = item {
            if !self
                .targets
                .iter()
                .any(|t| t.product.key() == item.product.key())
            {
                self.targets.push(item.clone());
            }
        }
    }

    pub(super) fn finish(self, end: &Ending) -> Finished {
        let mut made = Vec::new();
        for item in self.targets {
            let reason = join_reasons(end.when_reason, removal_reason(end.rule, &item.product));
            let qty = item.quantity;
            made.push(proposal(
                end.ctx,
                end.rule,
                ActionKind::Remove,
                item.product,
                qty,
                None,
                reason,
            ));
        }
        let why_none = made
            .is_empty()
            .then(|| "no basket item matched".to_string());
        Finished::Proposals(made, why_none)
    }
}
