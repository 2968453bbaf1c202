//! A rule's `when`: conditions on the basket and on the weather forecast, each
//! judged once per run, with the reason it holds (or not) in words.

use chrono::{Duration, NaiveDate};

use crate::model::{median_gap, DailyForecast, RHYTHM_MIN_PURCHASES};
use crate::rules::{Cadence, Condition, DaySpec, Every, Metric, WeatherCondition};

use super::explain::{describe, fmt_num};
use super::folded::Folded;
use super::matching::{check, check_ignoring_price, Match};
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
        Condition::Every(e) => eval_every(e, ctx),
    }
}

/// `every`: due when the latest purchase of a product the rule adds is at
/// least the interval old, or there is none. `auto` learns the interval from
/// those purchases (their median gap); until there are enough to learn from,
/// it is due, as a rule without `every` would be. Price conditions are not
/// asked of what was bought: a coffee bought at full price is still coffee.
fn eval_every(e: &Every, ctx: &Context) -> (bool, String) {
    let times: Vec<_> = ctx
        .memory
        .purchases
        .iter()
        .filter(|p| check_ignoring_price(&e.of, &Folded::new(&p.product)))
        .map(|p| p.bought_at)
        .collect();
    let Some(last) = times.iter().max().copied() else {
        return (true, "not bought yet".into());
    };
    let ago = ctx.now - last;
    let ago_text = format!("last {} ago", days_text(ago));
    let (interval, learnt) = match e.cadence {
        Cadence::Fixed(d) => (d, format!("every {}", super::human_duration(d))),
        Cadence::Auto => match median_gap(&times) {
            Some(d) => (d, format!("bought every {}", days_text(d))),
            None => {
                let n = times
                    .iter()
                    .collect::<std::collections::BTreeSet<_>>()
                    .len();
                return (
                    true,
                    format!(
                        "bought {n} time{} ({ago_text}); {RHYTHM_MIN_PURCHASES} needed to learn a rhythm",
                        super::explain::plural(n)
                    ),
                );
            }
        },
    };
    if ago >= interval {
        (true, format!("{learnt}; {ago_text}"))
    } else {
        (
            false,
            format!("{learnt}; {ago_text}, due in {}", days_text(interval - ago)),
        )
    }
}

/// A span in whole days when it is a day or more ("12 days"), else in hours.
fn days_text(d: Duration) -> String {
    let hours = (d.num_minutes() + 30) / 60;
    if hours >= 24 {
        let days = (hours + 12) / 24;
        format!("{days} day{}", super::explain::plural(days as usize))
    } else {
        format!(
            "{hours} hour{}",
            super::explain::plural(hours.max(0) as usize)
        )
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
