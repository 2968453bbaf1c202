//! `basket rules check` and `basket rules list`.

use crate::context::Context;
use crate::error::CmdResult;
use crate::rules::{Action, Condition, Rule, Scope, Selector};

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

fn watches(r: &Rule) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &r.selector {
        parts.push(describe_selector(s));
    }
    if let Some(p) = r.action.product_selector() {
        parts.push(describe_selector(p));
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

pub fn describe_selector(s: &Selector) -> String {
    let scope = match s.scope {
        Scope::Catalog => "catalog",
        Scope::Basket => "basket",
    };
    let criteria = describe_criteria(s);
    if criteria.is_empty() {
        scope.to_string()
    } else {
        format!("{scope}, {criteria}")
    }
}

/// The selector's conditions, without where it looks.
fn describe_criteria(s: &Selector) -> String {
    let mut parts = Vec::new();
    if let Some(f) = &s.feed {
        parts.push(format!("feed {f}"));
    }
    if let Some(n) = &s.name {
        parts.push(format!("name \"{n}\""));
    }
    if let Some(b) = &s.brand {
        parts.push(format!("brand {b}"));
    }
    if let Some(c) = &s.category {
        parts.push(format!("category {c}"));
    }
    if let Some(i) = &s.id {
        parts.push(format!("id {i}"));
    }
    if let Some(g) = &s.gtin {
        parts.push(format!("gtin {g}"));
    }
    if let Some(p) = &s.price {
        for (w, t) in p.parts() {
            parts.push(format!("price {w} {t}"));
        }
    }
    if let Some(p) = &s.discount_pct {
        for (w, t) in p.parts() {
            parts.push(format!("discount {w} {t}%"));
        }
    }
    if s.on_sale == Some(true) {
        parts.push("on sale".into());
    }
    match s.available {
        Some(true) => parts.push("available".into()),
        Some(false) => parts.push("not available".into()),
        None => {}
    }
    if !s.contains.is_empty() {
        parts.push(format!("contains {}", s.contains.join("/")));
    }
    if !s.allergens.is_empty() {
        parts.push(format!("allergens {}", s.allergens.join("/")));
    }
    if !s.labels.is_empty() {
        parts.push(format!("labels {}", s.labels.join("+")));
    }
    parts.join(", ")
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
    }
}
