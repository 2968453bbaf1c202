//! `[settings]` and `[weather]`: the file-wide configuration the rules read.

use super::{parse_duration, Parser, Value};
use crate::feeds::open_meteo;
use crate::rules::{Location, Settings, WeatherConfig, DEFAULT_HISTORY_DAYS};

const SETTINGS_KEYS: &[&str] = &[
    "currency",
    "location",
    "budget",
    "history_days",
    "fetch_timeout",
    "contact",
    "stores",
];
const LOCATION_KEYS: &[&str] = &["latitude", "longitude", "name"];
const WEATHER_KEYS: &[&str] = &["provider", "url"];

impl Parser<'_> {
    pub(super) fn settings(&mut self, v: &Value) -> Option<Settings> {
        let t = self.table(v, "[settings]")?;
        self.check_keys(t, SETTINGS_KEYS, "[settings]");
        let currency = match t.get("currency") {
            Some(c) => self.currency(c)?,
            None => "GBP".to_string(),
        };
        let location = match t.get("location") {
            Some(l) => Some(self.location(l)?),
            None => None,
        };
        let budget = match t.get("budget") {
            Some(b) => Some(self.decimal(b, "budget")?),
            None => None,
        };
        let history_days = match t.get("history_days") {
            Some(h) => self.positive_int(h, "history_days")?,
            None => DEFAULT_HISTORY_DAYS,
        };
        // Both checked before either fails, so one run names both problems.
        let fetch_timeout = match t.get("fetch_timeout") {
            Some(f) => self.fetch_timeout(f),
            None => Some(crate::feeds::FETCH_TIMEOUT),
        };
        let contact = match t.get("contact") {
            Some(c) => self.contact(c).map(Some),
            None => Some(None),
        };
        let stores = match t.get("stores") {
            Some(s) => self.stores(s),
            None => Some(Vec::new()),
        };
        let (fetch_timeout, contact, stores) = (fetch_timeout?, contact?, stores?);
        Some(Settings {
            currency,
            location,
            budget,
            history_days,
            fetch_timeout,
            contact,
            stores,
        })
    }

    /// `stores = ["1234"]`: store codes, as the shop's store finder gives them.
    fn stores(&mut self, v: &Value) -> Option<Vec<String>> {
        let list = self.string_list(v, "stores")?;
        let codes: Vec<String> = list.iter().map(|s| s.trim().to_string()).collect();
        if codes.iter().any(String::is_empty) {
            self.error_hint(
                v.span(),
                "stores has an empty store code",
                "write each store code as the shop's store finder gives it: stores = [\"1234\"]",
            );
            return None;
        }
        Some(codes)
    }

    /// `fetch_timeout = "2m"`: a duration of at least a second (a zero budget
    /// would fetch nothing at all).
    fn fetch_timeout(&mut self, v: &Value) -> Option<std::time::Duration> {
        let s = self.string(v, "fetch_timeout")?;
        match parse_duration(&s).and_then(|d| d.to_std().ok()) {
            Some(d) if d.as_secs() >= 1 => Some(d),
            _ => {
                self.error_hint(
                    v.span(),
                    format!("fetch_timeout \"{s}\" is not a duration of a second or more"),
                    "write a number and a unit: \"30s\", \"2m\", \"10m\"",
                );
                None
            }
        }
    }

    /// `contact = "me@example.com"`: one line of printable text, since it goes
    /// into a request header.
    fn contact(&mut self, v: &Value) -> Option<String> {
        let s = self.nonempty_string(v, "contact")?;
        if s.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            Some(s.trim().to_string())
        } else {
            self.error_hint(
                v.span(),
                "contact must be plain ASCII text on one line (it is sent in the User-Agent)",
                "write an e-mail address or a URL, such as \"me@example.com\"",
            );
            None
        }
    }

    pub(super) fn currency(&mut self, v: &Value) -> Option<String> {
        let s = self.string(v, "currency")?;
        if s.len() == 3 && s.chars().all(|c| c.is_ascii_alphabetic()) {
            Some(s.to_ascii_uppercase())
        } else {
            self.error_hint(
                v.span(),
                format!("currency \"{s}\" is not an ISO 4217 code"),
                "use a three-letter code such as \"GBP\", \"EUR\" or \"USD\"",
            );
            None
        }
    }

    fn location(&mut self, v: &Value) -> Option<Location> {
        let t = self.table(v, "location")?;
        self.check_keys(t, LOCATION_KEYS, "location");
        let coord = |p: &mut Self, key: &str, limit: f64| -> Option<f64> {
            match t.get(key) {
                Some(x) => {
                    let n = p.number(x, key)?;
                    if n.abs() > limit {
                        p.error(
                            x.span(),
                            format!("{key} must be between -{limit} and {limit}"),
                        );
                        return None;
                    }
                    Some(n)
                }
                None => {
                    p.error(v.span(), format!("location needs {key}"));
                    None
                }
            }
        };
        let latitude = coord(self, "latitude", 90.0);
        let longitude = coord(self, "longitude", 180.0);
        let name = match t.get("name") {
            Some(n) => Some(self.string(n, "location name")?),
            None => None,
        };
        Some(Location {
            latitude: latitude?,
            longitude: longitude?,
            name,
        })
    }

    pub(super) fn weather(&mut self, v: &Value) -> Option<WeatherConfig> {
        let t = self.table(v, "[weather]")?;
        self.check_keys(t, WEATHER_KEYS, "[weather]");
        let provider = match t.get("provider") {
            Some(p) => {
                let s = self.string(p, "provider")?;
                if s != "open-meteo" {
                    self.error_hint(
                        p.span(),
                        format!("unknown weather provider '{s}'"),
                        "the supported provider is \"open-meteo\" (no API key needed)",
                    );
                    return None;
                }
                s
            }
            None => "open-meteo".to_string(),
        };
        let url = match t.get("url") {
            Some(u) => self.nonempty_string(u, "url")?,
            None => open_meteo::DEFAULT_URL.to_string(),
        };
        Some(WeatherConfig { provider, url })
    }
}
