//! The weather feed: Open-Meteo's `/v1/forecast` daily block -> [`Forecast`].
//!
//! `daily.time[i]` is the local date of entry `i` of every other `daily` array. A
//! `null`, a missing array or an array shorter than `time` is an unknown value, and
//! rules comparing an unknown value do not hold, so nothing here guesses.

use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value};

use crate::model::{DailyForecast, Forecast};

use super::units::{conversion, Quantity};
use crate::feeds::formats::json::parse_document;
use crate::feeds::{FeedError, Fetcher};

pub const DEFAULT_URL: &str = "https://api.open-meteo.com/v1/forecast";

/// The daily variables basket asks for, in the order docs/feeds.md lists them.
const DAILY: &str = "temperature_2m_max,temperature_2m_min,precipitation_sum,\
precipitation_probability_max,wind_speed_10m_max,uv_index_max,snowfall_sum";

/// The request URL for a location; `timezone=auto` makes the dates local to it.
pub fn forecast_url(base: &str, latitude: f64, longitude: f64) -> String {
    // A base that already carries a query (an API key, a model choice) keeps it.
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}latitude={latitude}&longitude={longitude}&daily={DAILY}&timezone=auto")
}

/// Fetches and parses the forecast for a location. The warning, when there is one,
/// says the forecast came from the cache and how old it is (the caller prefixes
/// `weather: `).
pub fn fetch_forecast(
    fetcher: &Fetcher,
    base: &str,
    latitude: f64,
    longitude: f64,
) -> Result<(Forecast, Option<String>), FeedError> {
    let fetched = fetcher.get(&forecast_url(base, latitude, longitude))?;
    Ok((parse_forecast(&fetched.bytes)?, fetched.warning))
}

/// Parses an Open-Meteo answer. Extra variables, `hourly` and `current` blocks are
/// ignored; older variable names (`windspeed_10m_max`) are accepted.
pub fn parse_forecast(bytes: &[u8]) -> Result<Forecast, FeedError> {
    let Value::Object(answer) = parse_document(bytes)? else {
        return Err(FeedError::Shape(
            "expected a JSON object from Open-Meteo".to_string(),
        ));
    };
    if answer.get("error").and_then(Value::as_bool) == Some(true) {
        let reason = answer
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("no reason given");
        return Err(FeedError::Refused(reason.to_string()));
    }
    let utc_offset_seconds = answer
        .get("utc_offset_seconds")
        .and_then(Value::as_i64)
        .and_then(|s| i32::try_from(s).ok())
        .unwrap_or(0);
    let Some(Value::Object(daily)) = answer.get("daily") else {
        return Err(FeedError::NoDaily);
    };

    let units = answer.get("daily_units").and_then(Value::as_object);
    let times = daily.get("time").and_then(Value::as_array);
    let read = |names: &[&str], quantity| series(daily, units, names, quantity);
    let temp_max = read(&["temperature_2m_max"], Quantity::Temperature)?;
    let temp_min = read(&["temperature_2m_min"], Quantity::Temperature)?;
    let precipitation = read(&["precipitation_sum"], Quantity::Precipitation)?;
    let probability = read(&["precipitation_probability_max"], Quantity::Plain)?;
    let wind = read(
        &["wind_speed_10m_max", "windspeed_10m_max"],
        Quantity::Speed,
    )?;
    let uv = read(&["uv_index_max"], Quantity::Plain)?;
    let snow = read(&["snowfall_sum"], Quantity::Snowfall)?;

    // `time` sets the number of days; without it, the longest series does, undated.
    let len = match times {
        Some(t) => t.len(),
        None => [
            &temp_max,
            &temp_min,
            &precipitation,
            &probability,
            &wind,
            &uv,
            &snow,
        ]
        .iter()
        .map(|s| s.as_ref().map_or(0, Vec::len))
        .max()
        .unwrap_or(0),
    };
    let days = (0..len)
        .map(|i| DailyForecast {
            date: times
                .and_then(|t| t.get(i))
                .and_then(|t| date_of(t, utc_offset_seconds)),
            temp_max_c: at(&temp_max, i),
            temp_min_c: at(&temp_min, i),
            precipitation_mm: at(&precipitation, i),
            precipitation_probability: at(&probability, i),
            wind_max_kmh: at(&wind, i),
            uv_index: at(&uv, i),
            snowfall_cm: at(&snow, i),
        })
        .collect();
    Ok(Forecast {
        utc_offset_seconds,
        days,
    })
}

/// The first of `names` present as an array in `daily`, in the rules' unit
/// (`daily_units` says which the answer uses); `None` entries are unknown.
fn series(
    daily: &Map<String, Value>,
    units: Option<&Map<String, Value>>,
    names: &[&str],
    quantity: Quantity,
) -> Result<Option<Vec<Option<f64>>>, FeedError> {
    let Some((name, values)) = names.iter().find_map(|name| {
        daily
            .get(*name)
            .and_then(Value::as_array)
            .map(|v| (*name, v))
    }) else {
        return Ok(None);
    };
    let convert = conversion(units, name, quantity)?;
    Ok(Some(
        values
            .iter()
            .map(|v| v.as_f64().map(|x| convert.apply(x)))
            .collect(),
    ))
}

/// Entry `i`, or unknown when the array is missing, short, or holds `null`.
fn at(series: &Option<Vec<Option<f64>>>, i: usize) -> Option<f64> {
    series.as_ref()?.get(i).copied().flatten()
}

/// `"2026-10-03"` (`timezone=auto` answers), or epoch seconds of local midnight
/// when asked with `timeformat=unixtime`: shift by the offset to get the local day.
fn date_of(time: &Value, utc_offset_seconds: i32) -> Option<NaiveDate> {
    match time {
        Value::String(s) => {
            let day = s.get(..10).unwrap_or(s);
            NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
        }
        Value::Number(n) => {
            let local = n.as_i64()?.checked_add(i64::from(utc_offset_seconds))?;
            DateTime::from_timestamp(local, 0).map(|t| t.date_naive())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    #[test]
    fn url_asks_for_the_daily_variables_in_local_time() {
        assert_eq!(
            forecast_url(DEFAULT_URL, 52.52, 13.41),
            "https://api.open-meteo.com/v1/forecast?latitude=52.52&longitude=13.41\
             &daily=temperature_2m_max,temperature_2m_min,precipitation_sum,\
             precipitation_probability_max,wind_speed_10m_max,uv_index_max,snowfall_sum\
             &timezone=auto"
        );
        assert!(forecast_url("http://127.0.0.1:9/f?apikey=k", 1.0, -2.5)
            .starts_with("http://127.0.0.1:9/f?apikey=k&latitude=1&longitude=-2.5&daily="));
    }

    #[test]
    fn frenck_all_variables() {
        let f = parse_forecast(include_bytes!(
            "../../../tests/fixtures/open-meteo/frenck-forecast-daily-all-variables-TRIMMED.json"
        ))
        .expect("parses");
        assert_eq!(f.utc_offset_seconds, 7200);
        assert_eq!(
            f.days.iter().map(|d| d.date).collect::<Vec<_>>(),
            [date("2026-10-03"), date("2026-10-04"), date("2026-10-05")]
        );
        assert_eq!(
            f.days.iter().map(|d| d.temp_max_c).collect::<Vec<_>>(),
            [Some(20.6), Some(20.2), Some(22.2)]
        );
        assert_eq!(
            f.days
                .iter()
                .map(|d| d.precipitation_probability)
                .collect::<Vec<_>>(),
            [Some(0.0), Some(8.0), Some(0.0)]
        );
        assert_eq!(f.days[0].temp_min_c, Some(8.4));
    }

    #[test]
    fn frenck_trailing_nulls_are_unknown() {
        let f = parse_forecast(include_bytes!(
            "../../../tests/fixtures/open-meteo/frenck-forecast-daily-trailing-nulls.json"
        ))
        .expect("parses");
        assert_eq!(f.days.len(), 2);
        assert_eq!(f.days[0].temp_max_c, Some(18.3));
        assert_eq!(f.days[1].date, date("2026-10-18"));
        assert_eq!(f.days[1].temp_max_c, None);
        // Not asked for in that answer: unknown, not zero.
        assert_eq!(f.days[1].temp_min_c, None);
        assert_eq!(f.days[0].precipitation_mm, None);
    }

    #[test]
    fn magicmirror_munich_unixtime_dates_are_local() {
        let f = parse_forecast(include_bytes!(
            "../../../tests/fixtures/open-meteo/magicmirror-forecast-legacy-current_weather-munich.json"
        ))
        .expect("parses");
        assert_eq!(f.utc_offset_seconds, 3600);
        assert_eq!(f.days.len(), 7);
        // 1770418800 is 23:00 UTC on the 6th: midnight of the 7th in Munich.
        assert_eq!(f.days[0].date, date("2026-02-07"));
        assert_eq!(f.days[0].temp_min_c, Some(4.7));
        assert_eq!(f.days[0].temp_max_c, Some(9.5));
        assert_eq!(f.days[6].date, date("2026-02-13"));
    }

    #[test]
    fn magicmirror_new_york_seven_days() {
        let f = parse_forecast(include_bytes!(
            "../../../tests/fixtures/open-meteo/magicmirror-forecast-current-hourly-daily-newyork.json"
        ))
        .expect("parses");
        assert_eq!(f.utc_offset_seconds, -18000);
        assert_eq!(f.days.len(), 7);
        let day1 = &f.days[0];
        assert_eq!(day1.date, date("2026-02-06"));
        assert_eq!(day1.temp_min_c, Some(-9.2));
        assert_eq!(day1.temp_max_c, Some(-0.2));
        assert_eq!(day1.precipitation_mm, Some(0.0));
        assert_eq!(day1.precipitation_probability, None);
        assert_eq!(
            f.day(NaiveDate::from_ymd_opt(2026, 2, 11).expect("valid date"))
                .and_then(|d| d.precipitation_mm),
            Some(2.6)
        );
    }

    #[test]
    fn legacy_wind_name_and_short_arrays() {
        let f = parse_forecast(
            br#"{"utc_offset_seconds":0,"daily":{"time":["2026-01-01","2026-01-02"],
                "windspeed_10m_max":[12.5],"uv_index_max":[1,2,3]}}"#,
        )
        .expect("parses");
        assert_eq!(f.days[0].wind_max_kmh, Some(12.5));
        assert_eq!(f.days[1].wind_max_kmh, None);
        assert_eq!(f.days.len(), 2, "time sets the number of days");
    }

    #[test]
    fn an_error_answer_shows_its_reason() {
        let err = parse_forecast(
            br#"{"error":true,"reason":"Cannot initialize WeatherVariable from invalid String value tempeture_2m for key hourly"}"#,
        )
        .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "the service refused the request: Cannot initialize WeatherVariable from invalid String value tempeture_2m for key hourly"
        );
    }

    #[test]
    fn an_answer_without_daily_is_an_error() {
        let err = parse_forecast(include_bytes!(
            "../../../tests/fixtures/open-meteo/frenck-forecast-hourly-precipitation-type-probabilities.json"
        ))
        .expect_err("hourly only");
        assert_eq!(err.to_string(), "no daily forecast in the answer");
    }

    #[test]
    fn broken_answers_are_errors() {
        assert_eq!(
            parse_forecast(b"").expect_err("empty").to_string(),
            "empty response"
        );
        assert_eq!(
            parse_forecast(b"<html>502</html>")
                .expect_err("html")
                .to_string(),
            "answered with an HTML page, not JSON"
        );
        assert!(parse_forecast(b"{\"daily\": {")
            .expect_err("truncated")
            .to_string()
            .starts_with("not valid JSON at line 1"));
    }
}
