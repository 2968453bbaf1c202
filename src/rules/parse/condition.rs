//! `when`: the weather forecast, what the basket has or lacks, and `all`,
//! `any` and `not` over them.

use chrono::Weekday;
use toml::de::DeValue;

use super::rule::parse_duration;
use super::selector::in_basket;
use super::{closest, Parser, RuleCtx, Value};
use crate::rules::{Cadence, Condition, DaySpec, Every, Metric, Selector, WeatherCondition};

const CONDITION_KEYS: &[&str] = &["weather", "basket", "all", "any", "not", "every"];
const BASKET_COND_KEYS: &[&str] = &["has", "lacks"];
const WEEKDAYS: &[(&str, Weekday)] = &[
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

impl Parser<'_> {
    pub(super) fn condition(&mut self, v: &Value, ctx: &RuleCtx) -> Option<Condition> {
        let t = self.table(v, "when")?;
        self.check_keys(t, CONDITION_KEYS, "when");
        let mut parts = Vec::new();
        let mut failed = false;
        for (key, cv) in t.iter() {
            let c = match key.get_ref().as_ref() {
                "weather" => self.weather_condition(cv).map(Condition::Weather),
                "basket" => self.basket_condition(cv, ctx),
                "all" | "any" => {
                    let list = self.condition_list(cv, key.get_ref(), ctx);
                    list.map(|l| {
                        if key.get_ref() == "all" {
                            Condition::All(l)
                        } else {
                            Condition::Any(l)
                        }
                    })
                }
                "not" => self.condition(cv, ctx).map(|c| Condition::Not(Box::new(c))),
                // The products it counts are the rule's own, set once the
                // whole rule is read (parse/rule.rs).
                "every" => self.cadence(cv).map(|cadence| {
                    Condition::Every(Every {
                        cadence,
                        of: Selector::default(),
                    })
                }),
                _ => continue,
            };
            match c {
                Some(c) => parts.push(c),
                None => failed = true,
            }
        }
        if failed {
            return None;
        }
        match parts.len() {
            0 => {
                self.error_hint(
                    v.span(),
                    "an empty condition",
                    "use weather, basket, all, any or not",
                );
                None
            }
            1 => parts.pop(),
            _ => Some(Condition::All(parts)),
        }
    }

    fn condition_list(&mut self, v: &Value, what: &str, ctx: &RuleCtx) -> Option<Vec<Condition>> {
        match v.get_ref() {
            DeValue::Array(items) if !items.is_empty() => {
                let mut out = Vec::new();
                let mut failed = false;
                for item in items.iter() {
                    match self.condition(item, ctx) {
                        Some(c) => out.push(c),
                        None => failed = true,
                    }
                }
                (!failed).then_some(out)
            }
            _ => {
                self.error_hint(
                    v.span(),
                    format!("'{what}' must be a non-empty list of conditions"),
                    format!("{what} = [{{ weather = {{ ... }} }}, {{ basket = {{ ... }} }}]"),
                );
                None
            }
        }
    }

    fn basket_condition(&mut self, v: &Value, ctx: &RuleCtx) -> Option<Condition> {
        let t = self.table(v, "when.basket")?;
        self.check_keys(t, BASKET_COND_KEYS, "when.basket");
        match (t.get("has"), t.get("lacks")) {
            (Some(h), None) => self
                .selector(h, ctx, "basket.has")
                .map(|s| Condition::BasketHas(in_basket(s))),
            (None, Some(l)) => self
                .selector(l, ctx, "basket.lacks")
                .map(|s| Condition::BasketLacks(in_basket(s))),
            _ => {
                self.error_hint(
                    v.span(),
                    "when.basket needs exactly one of has or lacks",
                    "basket = { has = { name = \"pasta\" } }",
                );
                None
            }
        }
    }

    fn weather_condition(&mut self, v: &Value) -> Option<WeatherCondition> {
        let t = self.table(v, "when.weather")?;
        let mut allowed: Vec<&str> = vec!["day", "within_days"];
        allowed.extend(Metric::ALL.iter().map(|(n, _)| *n));
        self.check_keys(t, &allowed, "when.weather");
        let day = match (t.get("day"), t.get("within_days")) {
            (Some(d), None) => self.day(d),
            (None, Some(w)) => self.positive_int(w, "within_days").map(DaySpec::WithinDays),
            (None, None) => {
                self.error_hint(
                    v.span(),
                    "when.weather needs a day",
                    "add day = \"tomorrow\" (or \"today\", a weekday, or within_days = 3)",
                );
                None
            }
            (Some(_), Some(w)) => {
                self.error_hint(
                    w.span(),
                    "when.weather has both day and within_days",
                    "keep one of them",
                );
                None
            }
        };
        let mut metrics = Vec::new();
        let mut written = false;
        let mut failed = false;
        for (name, metric) in Metric::ALL {
            if let Some(mv) = t.get(name) {
                written = true;
                match self.comparison(mv, name, |p, v, what| p.number(v, what)) {
                    Some(cmp) => metrics.push((metric, cmp)),
                    // Already reported where it is wrong; "compares nothing" on top
                    // would send the shopper looking for a metric that is there.
                    None => failed = true,
                }
            }
        }
        if failed {
            return None;
        }
        if !written {
            self.error_hint(
                v.span(),
                "when.weather compares nothing",
                "add a metric such as temp_max_c = { above = 22 }",
            );
            return None;
        }
        Some(WeatherCondition { day: day?, metrics })
    }

    /// `every = "14d"` (a positive duration) or `every = "auto"`.
    fn cadence(&mut self, v: &Value) -> Option<Cadence> {
        let s = self.string(v, "every")?;
        if s.trim().eq_ignore_ascii_case("auto") {
            return Some(Cadence::Auto);
        }
        match parse_duration(&s) {
            Some(d) if d > chrono::Duration::zero() => Some(Cadence::Fixed(d)),
            // "-3d" is no duration to the parser, but what it means is clear.
            parsed if parsed.is_some() || s.trim().starts_with('-') => {
                self.error_hint(
                    v.span(),
                    format!("every \"{s}\" is no interval: it must be longer than zero"),
                    "write how often you buy it, such as \"14d\" or \"2w\", or \"auto\" to learn it",
                );
                None
            }
            _ => {
                self.error_hint(
                    v.span(),
                    format!("every \"{s}\" is not a duration"),
                    "write a number and a unit (\"12h\", \"14d\", \"2w\"), or \"auto\" to learn it from your purchases",
                );
                None
            }
        }
    }

    fn day(&mut self, v: &Value) -> Option<DaySpec> {
        let s = self.string(v, "day")?;
        let folded = s.trim().to_ascii_lowercase();
        match folded.as_str() {
            "today" => return Some(DaySpec::Today),
            "tomorrow" => return Some(DaySpec::Tomorrow),
            _ => {}
        }
        if let Some((_, w)) = WEEKDAYS.iter().find(|(n, _)| *n == folded) {
            return Some(DaySpec::Weekday(*w));
        }
        let mut names = vec!["today", "tomorrow"];
        names.extend(WEEKDAYS.iter().map(|(n, _)| *n));
        let hint = match closest(&folded, &names) {
            Some(b) => format!("did you mean '{b}'?"),
            None => {
                "use \"today\", \"tomorrow\", a weekday such as \"saturday\", or within_days = N"
                    .into()
            }
        };
        self.error_hint(v.span(), format!("unknown day '{s}'"), hint);
        None
    }
}
