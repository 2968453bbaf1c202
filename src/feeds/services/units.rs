//! Open-Meteo's units, read from the answer's `daily_units` and converted to the
//! ones rules are written in (°C, mm, km/h, cm). An answer asked with
//! `temperature_unit=fahrenheit` (a proxy, a shared URL with its own query)
//! says so there; read blindly, 48.2 °F would be "max 48.2 °C" (issue 13, bug 6).
//! A unit not known here refuses the forecast rather than guess.

use serde_json::{Map, Value};

use crate::feeds::FeedError;

/// What a daily variable measures, so its unit can be converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quantity {
    /// To °C.
    Temperature,
    /// To mm.
    Precipitation,
    /// To km/h.
    Speed,
    /// To cm.
    Snowfall,
    /// Percent or an index: read as given.
    Plain,
}

/// A conversion to the rules' unit: `value * scale + offset`, then rounded to
/// `decimals` places so that 75 °F reads 23.9 °C, not 23.888….
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Convert {
    scale: f64,
    offset: f64,
    decimals: i32,
}

impl Convert {
    const SAME: Convert = Convert {
        scale: 1.0,
        offset: 0.0,
        decimals: -1,
    };

    pub(super) fn apply(self, value: f64) -> f64 {
        let v = value * self.scale + self.offset;
        if self.decimals < 0 {
            return v;
        }
        let f = 10f64.powi(self.decimals);
        (v * f).round() / f
    }
}

/// The conversion for `variable` (a key of `daily`), from what `daily_units`
/// says of it; Open-Meteo's defaults when it says nothing.
pub(super) fn conversion(
    units: Option<&Map<String, Value>>,
    variable: &str,
    quantity: Quantity,
) -> Result<Convert, FeedError> {
    let Some(unit) = units.and_then(|u| u.get(variable)).and_then(Value::as_str) else {
        return Ok(Convert::SAME);
    };
    let folded = unit.trim().to_ascii_lowercase();
    let folded = folded.trim_start_matches('°');
    let linear = |scale: f64, decimals: i32| Convert {
        scale,
        offset: 0.0,
        decimals,
    };
    let known = match (quantity, folded) {
        (Quantity::Plain, _) => Some(Convert::SAME),
        (Quantity::Temperature, "c" | "celsius") => Some(Convert::SAME),
        (Quantity::Temperature, "f" | "fahrenheit") => Some(Convert {
            scale: 5.0 / 9.0,
            offset: -32.0 * 5.0 / 9.0,
            decimals: 1,
        }),
        (Quantity::Precipitation, "mm") => Some(Convert::SAME),
        (Quantity::Precipitation, "inch" | "in" | "inches") => Some(linear(25.4, 1)),
        (Quantity::Speed, "km/h" | "kmh" | "kph") => Some(Convert::SAME),
        (Quantity::Speed, "mp/h" | "mph") => Some(linear(1.609_344, 1)),
        (Quantity::Speed, "kn" | "kt" | "knots") => Some(linear(1.852, 1)),
        (Quantity::Speed, "m/s" | "ms") => Some(linear(3.6, 1)),
        (Quantity::Snowfall, "cm") => Some(Convert::SAME),
        (Quantity::Snowfall, "mm") => Some(linear(0.1, 2)),
        (Quantity::Snowfall, "inch" | "in" | "inches") => Some(linear(2.54, 1)),
        _ => None,
    };
    known.ok_or_else(|| FeedError::Unit {
        variable: variable.to_string(),
        unit: unit.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect()
    }

    #[test]
    fn imperial_units_become_the_rules_units() {
        let u = units(&[
            ("t", "°F"),
            ("p", "inch"),
            ("w", "mp/h"),
            ("k", "kn"),
            ("s", "m/s"),
        ]);
        let c = |v, q| conversion(Some(&u), v, q).expect("known");
        assert_eq!(c("t", Quantity::Temperature).apply(75.0), 23.9);
        assert_eq!(c("t", Quantity::Temperature).apply(48.2), 9.0);
        assert_eq!(c("p", Quantity::Precipitation).apply(1.0), 25.4);
        assert_eq!(c("w", Quantity::Speed).apply(10.0), 16.1);
        assert_eq!(c("k", Quantity::Speed).apply(10.0), 18.5);
        assert_eq!(c("s", Quantity::Speed).apply(10.0), 36.0);
        assert_eq!(c("none", Quantity::Speed).apply(10.0), 10.0);
    }

    #[test]
    fn an_unknown_unit_is_refused_by_name() {
        let u = units(&[("temperature_2m_max", "K")]);
        let err = conversion(Some(&u), "temperature_2m_max", Quantity::Temperature)
            .expect_err("kelvin is not read");
        assert_eq!(
            err.to_string(),
            "daily_units gives temperature_2m_max in \"K\", a unit basket cannot read; \
             ask Open-Meteo for °C, °F, mm, inch, km/h, mph, kn or m/s"
        );
    }
}
