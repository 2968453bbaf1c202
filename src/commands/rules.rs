//! `basket rules check` and `basket rules list`.

use crate::context::Context;
use crate::error::CmdResult;
use crate::rules::{Action, Condition, Rule, Selector};

pub fn check(ctx: &Context) -> CmdResult {
    let set = ctx.load_rules()?;
    let n = set.rules.len();
    let m = set.feeds.len();
    println!(
        "ok: {n} rule{}, {m} feed{}",
        if n == 1 { "" } else { "s" },
        if m == 1 { "" } else { "s" }
    );
    Ok(())
}

pub fn list(ctx: &Context) -> CmdResult {
    let set = ctx.load_rules()?;
    let mut table = crate::output::table::Table::new(crate::output::table::table_width());
    table.set_header(vec!["rule", "action", "watches", "when", "enabled"]);
    for r in &set.rules {
        table.add_row(vec![
            r.name.clone(),
            r.action.kind().to_string(),
            watches(r),
            r.when
                .as_ref()
                .map(describe_condition)
                .unwrap_or_else(|| "-".into()),
            if r.enabled { "yes".into() } else { "no".into() },
        ]);
    }
    if set.rules.is_empty() {
        println!("No rules in {}.", set.path.display());
    } else {
        println!("{table}");
    }
    Ok(())
}

/// Every key of the rule's selectors, as the rules file spells them (the
/// selector's own Display, so a key cannot be left out here).
fn watches(r: &Rule) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &r.selector {
        parts.push(format!("match = {s}"));
    }
    if let Some(p) = r.action.product_selector() {
        parts.push(format!("product = {p}"));
    }
    if let Action::Swap {
        without,
        without_allergens,
        ..
    } = &r.action
    {
        let mut avoid: Vec<String> = without.clone();
        avoid.extend(without_allergens.iter().cloned());
        parts.push(format!("for alternatives without {}", avoid.join(", ")));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join("; ")
    }
}

/// A `has`/`lacks` selector's keys without `in`: those always look in the basket.
fn describe_criteria(s: &Selector) -> String {
    let keys: Vec<String> = s
        .describe_keys()
        .into_iter()
        .filter(|(k, _)| *k != "in")
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    format!("{{ {} }}", keys.join(", "))
}

fn describe_condition(c: &Condition) -> String {
    match c {
        Condition::Weather(w) => {
            let metrics: Vec<String> = w
                .metrics
                .iter()
                .map(|(m, cmp)| {
                    let bounds: Vec<String> = cmp
                        .parts()
                        .into_iter()
                        .map(|(word, t)| format!("{word} {t}{}", m.unit()))
                        .collect();
                    format!("{} {}", m.label(), bounds.join(" and "))
                })
                .collect();
            format!("weather {}: {}", w.day, metrics.join(", "))
        }
        Condition::BasketHas(s) => format!("basket has {}", describe_criteria(s)),
        Condition::BasketLacks(s) => format!("basket lacks {}", describe_criteria(s)),
        Condition::All(cs) => cs
            .iter()
            .map(describe_condition)
            .collect::<Vec<_>>()
            .join(" and "),
        Condition::Any(cs) => format!(
            "any of ({})",
            cs.iter()
                .map(describe_condition)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Condition::Not(c) => format!("not ({})", describe_condition(c)),
        Condition::Every(e) => match e.cadence {
            crate::rules::Cadence::Fixed(d) => {
                format!("every {}", crate::engine::human_duration(d))
            }
            crate::rules::Cadence::Auto => "every (learnt from purchases)".to_string(),
        },
    }
}
