//! A rule's `when`: conditions on the basket and on the weather forecast, each
//! judged once per run, with the reason it holds (or not) in words.

use chrono::{Duration, NaiveDate};

use crate::model::DailyForecast;
use crate::rules::{Condition, DaySpec, Metric, WeatherCondition};

use super::explain::{describe, fmt_num};
use super::folded::Folded;
use super::matching::{check, Match};
use super::{Context, Weather};

/// Whether the condition holds, and why (or why not) in words.
pub(super) fn eval_condition(c: &Condition, ctx: &Context) -> (bool, String) {
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
