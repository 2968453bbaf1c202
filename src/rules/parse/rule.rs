//! One `[[rule]]`: its name, switches and cooldown, its `when` and `match`,
//! and exactly one action.

use toml::de::DeTable;

use super::action::ActionKey;
use super::selector::in_basket_unless_written;
use super::{Parser, RuleCtx, Value};
use crate::model::Origin;
use crate::rules::diagnostic::Diagnostic;
use crate::rules::{Action, Condition, Rule, Scope, Selector};

const RULE_KEYS: &[&str] = &[
    "name",
    "enabled",
    "when",
    "match",
    "add",
    "remove",
    "swap",
    "notify",
    "cooldown",
    "first_run",
];

impl Parser<'_> {
    pub(super) fn rule(&mut self, v: &Value, ctx: &RuleCtx) -> Option<Rule> {
        let t = self.table(v, "[[rule]]")?;
        self.check_keys(t, RULE_KEYS, "a rule");
        let line = Diagnostic::new(self.src, v.span(), String::new(), None).line;
        let name = match t.get("name") {
            Some(n) => self.rule_name(n),
            None => {
                self.error_hint(
                    v.span(),
                    "a rule has no name",
                    "add name = \"...\": it is shown in proposals and history",
                );
                None
            }
        };
        let enabled = match t.get("enabled") {
            Some(e) => self.boolean(e, "enabled"),
            None => Some(true),
        };
        let cooldown = match t.get("cooldown") {
            Some(c) => self.duration(c),
            None => Some(chrono::Duration::days(7)),
        };
        let first_run_fires = match t.get("first_run") {
            Some(f) => self.first_run(f),
            None => Some(true),
        };
        let when = t.get("when").map(|w| self.condition(w, ctx));
        let selector = t.get("match").map(|m| self.selector(m, ctx, "match"));
        let shown_name = name.as_deref().unwrap_or("?");
        let action = self.rule_action(
            t,
            v,
            shown_name,
            ctx,
            selector.as_ref().and_then(|s| s.as_ref()),
        );
        if when.is_none() && selector.is_none() {
            self.check_about_something(v, action.as_ref(), shown_name);
        }

        // A part that failed was reported where it is wrong; the rule is dropped.
        let (Some(selector), Some(mut when)) = (written(selector), written(when)) else {
            return None;
        };
        let action = action?;
        if let Some(w) = when.as_mut().filter(|w| w.uses_every()) {
            self.every_of(t, w, &action, selector.as_ref(), shown_name)?;
        }
        let selector = match (&action, selector) {
            (Action::Swap { .. } | Action::Remove { .. }, Some(s)) => {
                Some(in_basket_unless_written(s))
            }
            (_, s) => s,
        };
        self.check_action_scope(v, &action, selector.as_ref(), shown_name);

        Some(Rule {
            name: name?,
            enabled: enabled?,
            when,
            selector,
            action,
            cooldown: cooldown?,
            first_run_fires: first_run_fires?,
            line,
        })
    }

    /// `first_run = "fire"` (true) or `"skip"` (false).
    fn first_run(&mut self, f: &Value) -> Option<bool> {
        match self.string(f, "first_run").as_deref() {
            Some("fire") => Some(true),
            Some("skip") => Some(false),
            Some(other) => {
                self.error_hint(
                    f.span(),
                    format!("unknown first_run '{other}'"),
                    "first_run is \"fire\" (the default: a condition already true fires) or \"skip\"",
                );
                None
            }
            None => None,
        }
    }

    /// The rule's one action: none, or more than one, is a mistake.
    fn rule_action(
        &mut self,
        t: &DeTable,
        v: &Value,
        name: &str,
        ctx: &RuleCtx,
        selector: Option<&Selector>,
    ) -> Option<Action> {
        let actions: Vec<(ActionKey, &Value)> = ActionKey::ALL
            .into_iter()
            .filter_map(|a| t.get(a.key()).map(|v| (a, v)))
            .collect();
        match actions.as_slice() {
            [] => {
                self.error_hint(
                    v.span(),
                    format!("rule '{name}' has no action"),
                    "add one of add, remove, swap or notify",
                );
                None
            }
            [(key, av)] => self.action(*key, av, ctx, selector),
            [_, (second, av), ..] => {
                let names: Vec<&str> = actions.iter().map(|(k, _)| k.key()).collect();
                self.error_hint(
                    av.span(),
                    format!(
                        "rule '{name}' has {} actions ({}); a rule has exactly one",
                        names.len(),
                        names.join(", ")
                    ),
                    format!(
                        "split it into one rule per action, or remove '{}'",
                        second.key()
                    ),
                );
                None
            }
        }
    }

    /// A rule with neither `when` nor `match` must at least name a product in
    /// its action; otherwise it would be about everything.
    fn check_about_something(&mut self, v: &Value, action: Option<&Action>, name: &str) {
        if action.is_some_and(|a| a.product_selector().is_none()) {
            self.error_hint(
                v.span(),
                format!("rule '{name}' has neither `when` nor `match`"),
                "say what it is about: match = { ... } and/or when.weather / when.basket",
            );
        }
    }

    /// Where the candidates of each action come from, so a rule cannot silently
    /// look in the wrong place.
    fn check_action_scope(
        &mut self,
        v: &Value,
        action: &Action,
        selector: Option<&Selector>,
        name: &str,
    ) {
        match action {
            Action::Add { product, .. } => {
                if selector.is_some_and(|s| s.scope == Scope::Basket) && product.is_none() {
                    self.error_hint(
                        v.span(),
                        format!("rule '{name}' adds, but its match looks in the basket and there is no add.product"),
                        "say what to add with add = { product = { ... } }, or use when.basket = { has = ... }",
                    );
                }
            }
            Action::Swap { .. } => {
                if selector.is_none() {
                    self.error_hint(
                        v.span(),
                        format!(
                            "rule '{name}' swaps but has no match for the basket items to replace"
                        ),
                        "add match = { in = \"basket\", contains = [\"palm-oil\"] } or similar",
                    );
                }
            }
            Action::Remove { product } => {
                if selector.is_none() && product.is_none() {
                    self.error_hint(
                        v.span(),
                        format!("rule '{name}' removes but does not say which basket items"),
                        "add match = { in = \"basket\", ... } or remove = { product = { ... } }",
                    );
                }
            }
            Action::Notify { .. } => {}
        }
    }

    /// `when.every` counts the purchases of what an `add` rule adds: its
    /// `match` (in the catalog) and its `add.product` together, as the engine
    /// combines them. Other actions add nothing to restock.
    fn every_of(
        &mut self,
        t: &DeTable,
        when: &mut Condition,
        action: &Action,
        selector: Option<&Selector>,
        name: &str,
    ) -> Option<()> {
        let Action::Add { product, .. } = action else {
            let span = t.get("when").map_or(0..0, |w| w.span());
            self.error_hint(
                span,
                format!("rule '{name}' has when.every, but only an `add` rule restocks"),
                "move every to a rule with add = { ... }, or remove it",
            );
            return None;
        };
        let catalog = selector.filter(|m| m.scope == Scope::Catalog);
        let of = match (catalog, product) {
            (Some(m), Some(p)) => m.intersect(p),
            (Some(m), None) => m.clone(),
            (None, Some(p)) => p.clone(),
            (None, None) => Selector::default(),
        };
        when.set_every_of(&of);
        Some(())
    }

    fn duration(&mut self, v: &Value) -> Option<chrono::Duration> {
        let s = self.string(v, "cooldown")?;
        match parse_duration(&s) {
            Some(d) => Some(d),
            None => {
                self.error_hint(
                    v.span(),
                    format!("cooldown \"{s}\" is not a duration"),
                    "write a number and a unit: \"30m\", \"12h\", \"7d\", \"2w\", or \"0\" for none",
                );
                None
            }
        }
    }
}

/// `"7d"`, `"12h"`, `"30m"`, `"2w"`, `"1d12h"`, `"0"`.
pub fn parse_duration(s: &str) -> Option<chrono::Duration> {
    let s = s.trim();
    if s == "0" {
        return Some(chrono::Duration::zero());
    }
    let mut total = chrono::Duration::zero();
    let mut digits = String::new();
    let mut any = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        let part = match c {
            's' => chrono::Duration::try_seconds(n)?,
            'm' => chrono::Duration::try_minutes(n)?,
            'h' => chrono::Duration::try_hours(n)?,
            'd' => chrono::Duration::try_days(n)?,
            'w' => chrono::Duration::try_weeks(n)?,
            _ => return None,
        };
        total = total.checked_add(&part)?;
        any = true;
    }
    (any && digits.is_empty()).then_some(total)
}

/// A part of a rule that may be absent (`None`) or invalid (`Some(None)`):
/// `None` when invalid, else whether it was written.
fn written<T>(part: Option<Option<T>>) -> Option<Option<T>> {
    match part {
        Some(None) => None,
        part => Some(part.flatten()),
    }
}

impl Parser<'_> {
    /// A rule's name: not empty, and not "manual", which is how hand changes
    /// are recorded: a rule of that name would be mistaken for the shopper in
    /// the basket and the history.
    fn rule_name(&mut self, v: &Value) -> Option<String> {
        let name = self.nonempty_string(v, "name")?;
        if name.trim() == Origin::MANUAL {
            self.error_hint(
                v.span(),
                "the rule name \"manual\" is reserved for changes made by hand",
                "choose another name for this rule",
            );
            return None;
        }
        Some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::{ActionKey, RULE_KEYS};

    /// An action key missing from RULE_KEYS would be "unknown" before it is read.
    #[test]
    fn every_action_key_is_a_rule_key() {
        for key in ActionKey::ALL {
            assert!(RULE_KEYS.contains(&key.key()), "{}", key.key());
        }
    }
}
