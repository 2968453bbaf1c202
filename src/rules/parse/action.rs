//! A rule's one action: `add`, `remove`, `swap` or `notify`.

use toml::de::DeValue;

use super::selector::in_basket_unless_written;
use super::{closest, Parser, RuleCtx, Value};
use crate::rules::{Action, Channel, Prefer, Quantity, Scope, Selector};
use crate::text;

const ADD_KEYS: &[&str] = &["product", "quantity", "limit", "prefer"];
const REMOVE_KEYS: &[&str] = &["product"];
const SWAP_KEYS: &[&str] = &[
    "without",
    "without_allergens",
    "keep",
    "prefer",
    "max_price",
];
const NOTIFY_ACTION_KEYS: &[&str] = &["channels", "limit"];

/// The keys of a rule that name its action. A closed set, so a new action is
/// a compile error until it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ActionKey {
    Add,
    Remove,
    Swap,
    Notify,
}

impl ActionKey {
    /// In the order messages list them.
    pub(super) const ALL: [ActionKey; 4] = [
        ActionKey::Add,
        ActionKey::Remove,
        ActionKey::Swap,
        ActionKey::Notify,
    ];

    /// The key as the rules file spells it.
    pub(super) fn key(self) -> &'static str {
        match self {
            ActionKey::Add => "add",
            ActionKey::Remove => "remove",
            ActionKey::Swap => "swap",
            ActionKey::Notify => "notify",
        }
    }
}

impl Parser<'_> {
    /// The action under `key`: each key has its own table (or `notify = true`).
    pub(super) fn action(
        &mut self,
        key: ActionKey,
        v: &Value,
        ctx: &RuleCtx,
        selector: Option<&Selector>,
    ) -> Option<Action> {
        match key {
            ActionKey::Add => self.add(v, ctx),
            ActionKey::Remove => self.remove(v, ctx),
            ActionKey::Swap => self.swap(v, selector),
            ActionKey::Notify => self.notify_action(v, ctx),
        }
    }

    /// `add = { product = { ... }, quantity, limit, prefer }`.
    fn add(&mut self, v: &Value, ctx: &RuleCtx) -> Option<Action> {
        let t = self.table(v, "add")?;
        // A `without` list reads naturally on an add, but only a swap
        // has one (docs/rules.md): say where it belongs rather than list keys.
        for (key, _) in t.iter() {
            let k: &str = key.get_ref();
            if k == "without" || k == "without_allergens" {
                self.error_hint(
                    key.span(),
                    format!("'{k}' belongs to swap, not add"),
                    "add has no list of things to avoid; use a swap rule to replace basket items that contain them",
                );
            }
        }
        self.check_keys(
            t,
            &[ADD_KEYS, &["without", "without_allergens"]].concat(),
            "add",
        );
        let product = match t.get("product") {
            Some(p) => Some(self.selector(p, ctx, "add.product")?),
            None => None,
        };
        let quantity = match t.get("quantity") {
            Some(q) => self.quantity(q)?,
            None => Quantity::Exactly(1),
        };
        let limit = match t.get("limit") {
            Some(l) => self.positive_int(l, "limit")? as usize,
            None => 1,
        };
        let prefer = match t.get("prefer") {
            Some(p) => {
                let prefer = self.prefer(p)?;
                if prefer == Prefer::ClosestPrice {
                    self.error_hint(
                        p.span(),
                        "prefer = \"closest_price\" needs an item to compare prices with",
                        "it applies to swap; for add use \"cheapest\" or \"first\"",
                    );
                    return None;
                }
                prefer
            }
            None => Prefer::Cheapest,
        };
        if product.as_ref().is_some_and(|p| p.scope == Scope::Basket) {
            self.error_hint(
                v.span(),
                "add.product looks in the basket, but adding takes products from the catalog",
                "remove in = \"basket\" from add.product",
            );
            return None;
        }
        Some(Action::Add {
            product,
            quantity,
            limit,
            prefer,
        })
    }

    /// `remove = { product = { ... } }`, or `remove = {}` for what `match` finds.
    fn remove(&mut self, v: &Value, ctx: &RuleCtx) -> Option<Action> {
        let t = self.table(v, "remove")?;
        self.check_keys(t, REMOVE_KEYS, "remove");
        let product = match t.get("product") {
            Some(p) => Some(in_basket_unless_written(self.selector(
                p,
                ctx,
                "remove.product",
            )?)),
            None => None,
        };
        Some(Action::Remove { product })
    }

    /// `swap = { without, without_allergens, keep, prefer, max_price }`: replace
    /// the basket items `selector` finds.
    fn swap(&mut self, v: &Value, selector: Option<&Selector>) -> Option<Action> {
        let t = self.table(v, "swap")?;
        self.check_keys(t, SWAP_KEYS, "swap");
        let list = |p: &mut Self, key: &str| -> Option<Vec<String>> {
            match t.get(key) {
                Some(x) => p
                    .string_list(x, key)
                    .map(|l| l.iter().map(|s| text::fold_tag(s)).collect()),
                None => Some(Vec::new()),
            }
        };
        let without = list(self, "without")?;
        let without_allergens = list(self, "without_allergens")?;
        let keep = match t.get("keep") {
            Some(k) => {
                let keep = self.string_list(k, "keep")?;
                if let Some(bad) = keep.iter().find(|k| k.as_str() != "category") {
                    self.error_hint(
                        k.span(),
                        format!("swap cannot keep '{bad}'"),
                        "keep = [\"category\"] is what a swap can keep",
                    );
                    return None;
                }
                keep
            }
            None => vec!["category".to_string()],
        };
        let prefer = match t.get("prefer") {
            Some(p) => self.prefer(p)?,
            None => Prefer::ClosestPrice,
        };
        let max_price = match t.get("max_price") {
            Some(m) => Some(self.decimal(m, "max_price")?),
            None => None,
        };
        if without.is_empty() && without_allergens.is_empty() {
            self.error_hint(
                v.span(),
                "swap says nothing to avoid",
                "add without = [\"palm-oil\"] and/or without_allergens = [\"peanuts\"]",
            );
            return None;
        }
        if selector.is_some_and(|s| s.scope == Scope::Catalog && s.scope_written) {
            self.error_hint(
                v.span(),
                "swap replaces basket items, but its match looks in the catalog",
                "use match = { in = \"basket\", ... }",
            );
            return None;
        }
        Some(Action::Swap {
            without,
            without_allergens,
            keep_category: !keep.is_empty(),
            prefer,
            max_price,
        })
    }

    /// `notify = true`, or `notify = { channels, limit }`.
    fn notify_action(&mut self, v: &Value, ctx: &RuleCtx) -> Option<Action> {
        if let DeValue::Boolean(b) = v.get_ref() {
            if !*b {
                self.error_hint(
                    v.span(),
                    "notify = false does nothing",
                    "remove the rule, or set enabled = false",
                );
                return None;
            }
            return Some(Action::Notify {
                channels: Vec::new(),
                limit: 10,
            });
        }
        let t = self.table(v, "notify")?;
        self.check_keys(t, NOTIFY_ACTION_KEYS, "notify");
        let channels = match t.get("channels") {
            Some(c) => self.channels(c, ctx)?,
            None => Vec::new(),
        };
        let limit = match t.get("limit") {
            Some(l) => self.positive_int(l, "limit")? as usize,
            None => 10,
        };
        Some(Action::Notify { channels, limit })
    }

    /// `channels = ["email", "telegram"]`: each known and configured, each
    /// mistake pointed at where it is written. Kept as the names the outbox stores.
    fn channels(&mut self, c: &Value, ctx: &RuleCtx) -> Option<Vec<String>> {
        let list = self.string_list(c, "channels")?;
        // The span of each entry, so a mistake points at its own name.
        let spans: Vec<_> = match c.get_ref() {
            DeValue::Array(items) => items.iter().map(|i| i.span()).collect(),
            _ => vec![c.span()],
        };
        for (name, span) in list.iter().zip(spans) {
            let Some(channel) = Channel::parse(name) else {
                let names = Channel::ALL.map(Channel::as_str);
                let hint = match closest(name, &names) {
                    Some(b) => format!("did you mean '{b}'?"),
                    None => format!("channels are {}", names.join(", ")),
                };
                self.error_hint(span, format!("unknown channel '{name}'"), hint);
                return None;
            };
            if !ctx.notify.has(channel) {
                self.error_hint(
                    span,
                    format!("channel '{channel}' is not configured"),
                    format!("add a [notify.{channel}] table, or drop '{channel}' from channels"),
                );
                return None;
            }
        }
        Some(list)
    }

    /// `3`, or `"up to 3"` (restock: the difference from what the basket holds).
    fn quantity(&mut self, v: &Value) -> Option<Quantity> {
        if let DeValue::String(text) = v.get_ref() {
            let words: Vec<&str> = text.split_whitespace().collect();
            if let ["up", "to", n] = words.as_slice() {
                if let Some(n) = n.parse::<u32>().ok().filter(|n| *n >= 1) {
                    return Some(Quantity::UpTo(n));
                }
            }
            self.error_hint(
                v.span(),
                format!("quantity \"{text}\" is not a number"),
                "write a whole number (quantity = 2), or \"up to N\" to restock to N",
            );
            return None;
        }
        self.positive_int(v, "quantity").map(Quantity::Exactly)
    }

    fn prefer(&mut self, v: &Value) -> Option<Prefer> {
        let s = self.string(v, "prefer")?;
        match Prefer::parse(&s) {
            Some(p) => Some(p),
            None => {
                let names = ["cheapest", "closest_price", "first", "cheapest_per_unit"];
                let hint = match closest(&s, &names) {
                    Some(b) => format!("did you mean '{b}'?"),
                    None => "prefer is \"cheapest\", \"cheapest_per_unit\", \"closest_price\" or \"first\"".into(),
                };
                self.error_hint(v.span(), format!("unknown preference '{s}'"), hint);
                None
            }
        }
    }
}
