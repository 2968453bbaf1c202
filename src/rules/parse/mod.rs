//! Walks the span-preserving TOML tree (`toml::de::DeTable`) and builds the
//! validated rules, collecting every problem instead of stopping at the first,
//! so one `basket rules check` shows the shopper everything to fix.

use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use rust_decimal::Decimal;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::diagnostic::{Diagnostic, RulesError};
use super::{
    Comparison, Condition, NotifyConfig, Rule, RuleSet, Settings, WeatherConfig,
    DEFAULT_HISTORY_DAYS,
};
use crate::feeds::{open_meteo, FeedSource};

mod action;
mod channels;
mod condition;
mod feeds;
mod notify;
mod rule;
mod selector;
mod settings;

pub use rule::parse_duration;

/// For the selector's tests: its display must spell every key the parser reads.
#[cfg(test)]
pub(super) use selector::SELECTOR_KEYS;

type Value<'i> = Spanned<DeValue<'i>>;

const TOP_KEYS: &[&str] = &["settings", "feeds", "weather", "rule", "notify"];
const CMP_KEYS: &[&str] = &["above", "below", "at_least", "at_most"];

pub(super) fn parse(path: &Path, src: &str) -> Result<RuleSet, RulesError> {
    let mut p = Parser {
        src,
        diags: Vec::new(),
    };
    let doc = match DeTable::parse(src) {
        Ok(doc) => doc,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_string();
            let message = message.lines().next().unwrap_or("invalid TOML").to_string();
            // toml stops at a fixed depth (no stack overflow on 10,000 nested
            // tables); say so in the shopper's words.
            let (message, hint) = if message.contains("recurs") {
                (
                    "tables or arrays nested too deeply".to_string(),
                    "conditions need only a few levels of `all`, `any` and `not`; flatten this",
                )
            } else {
                (message, "check quotes, brackets and `=` signs on this line")
            };
            p.diags.push(Diagnostic::new(
                src,
                span,
                format!("invalid TOML: {message}"),
                Some(hint.into()),
            ));
            return Err(p.into_error(path));
        }
    };
    let ruleset = p.document(path, doc.get_ref(), doc.span());
    match ruleset {
        Some(r) if p.diags.is_empty() => Ok(r),
        _ => Err(p.into_error(path)),
    }
}

struct Parser<'s> {
    src: &'s str,
    diags: Vec<Diagnostic>,
}

impl Parser<'_> {
    fn into_error(mut self, path: &Path) -> RulesError {
        self.diags.sort_by_key(|d| (d.line, d.column));
        self.diags.dedup();
        RulesError::Invalid {
            path: path.to_path_buf(),
            diagnostics: self.diags,
        }
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::new(self.src, span, message.into(), None));
    }

    fn error_hint(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.diags.push(Diagnostic::new(
            self.src,
            span,
            message.into(),
            Some(hint.into()),
        ));
    }

    /// Reports keys of `table` not in `allowed`, with a did-you-mean hint.
    fn check_keys(&mut self, table: &DeTable, allowed: &[&str], place: &str) {
        for (key, _) in table.iter() {
            let k: &str = key.get_ref();
            if allowed.contains(&k) {
                continue;
            }
            let message = format!("unknown key '{k}' in {place}");
            match closest(k, allowed) {
                Some(best) => {
                    self.error_hint(key.span(), message, format!("did you mean '{best}'?"))
                }
                None => self.error_hint(
                    key.span(),
                    message,
                    format!("expected one of: {}", allowed.join(", ")),
                ),
            }
        }
    }

    fn table<'a, 'i>(&mut self, v: &'a Value<'i>, what: &str) -> Option<&'a DeTable<'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.error(
                    v.span(),
                    format!("{what} must be a table, found {}", type_name(other)),
                );
                None
            }
        }
    }

    fn string(&mut self, v: &Value, what: &str) -> Option<String> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.error(
                    v.span(),
                    format!("{what} must be a string, found {}", type_name(other)),
                );
                None
            }
        }
    }

    fn nonempty_string(&mut self, v: &Value, what: &str) -> Option<String> {
        let s = self.string(v, what)?;
        if s.trim().is_empty() {
            self.error(v.span(), format!("{what} must not be empty"));
            return None;
        }
        Some(s)
    }

    fn boolean(&mut self, v: &Value, what: &str) -> Option<bool> {
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                self.error_hint(
                    v.span(),
                    format!("{what} must be true or false, found {}", type_name(other)),
                    "write it without quotes: true or false",
                );
                None
            }
        }
    }

    fn positive_int(&mut self, v: &Value, what: &str) -> Option<u32> {
        let parsed = match v.get_ref() {
            DeValue::Integer(i) => {
                i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
            }
            _ => None,
        };
        match parsed
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= 1)
        {
            Some(n) => Some(n),
            None => {
                self.error(
                    v.span(),
                    format!("{what} must be a whole number of at least 1"),
                );
                None
            }
        }
    }

    fn number(&mut self, v: &Value, what: &str) -> Option<f64> {
        let parsed = match v.get_ref() {
            DeValue::Integer(i) => i.as_str().replace('_', "").parse::<f64>().ok(),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => None,
        };
        match parsed {
            Some(n) if n.is_finite() => Some(n),
            // nan and inf are TOML floats, so "found a number" would contradict itself.
            Some(_) => {
                self.error(v.span(), format!("{what} must be a finite number"));
                None
            }
            None => {
                self.error(
                    v.span(),
                    format!("{what} must be a number, found {}", type_name(v.get_ref())),
                );
                None
            }
        }
    }

    /// Prices are exact: read from the number's source text, or a decimal string.
    fn decimal(&mut self, v: &Value, what: &str) -> Option<Decimal> {
        let raw = match v.get_ref() {
            DeValue::String(s) => s.trim().to_string(),
            DeValue::Integer(i) if i.radix() == 10 => i.as_str().replace('_', ""),
            DeValue::Float(f) => f.as_str().replace('_', ""),
            other => {
                self.error(
                    v.span(),
                    format!(
                        "{what} must be a price like \"15.00\" or 15, found {}",
                        type_name(other)
                    ),
                );
                return None;
            }
        };
        match Decimal::from_str(&raw).or_else(|_| Decimal::from_scientific(&raw)) {
            Ok(d) if d >= Decimal::ZERO => Some(d),
            Ok(_) => {
                self.error(v.span(), format!("{what} must not be negative"));
                None
            }
            Err(_) => {
                self.error_hint(
                    v.span(),
                    format!("{what} \"{raw}\" is not a number"),
                    "write a decimal amount such as \"15.00\", without a currency sign",
                );
                None
            }
        }
    }

    fn string_list(&mut self, v: &Value, what: &str) -> Option<Vec<String>> {
        match v.get_ref() {
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    out.push(self.nonempty_string(item, &format!("each entry of {what}"))?);
                }
                Some(out)
            }
            DeValue::String(s) => Some(vec![s.to_string()]),
            other => {
                self.error(
                    v.span(),
                    format!(
                        "{what} must be a list of strings, found {}",
                        type_name(other)
                    ),
                );
                None
            }
        }
    }

    /// The top-level table walk: each section, then the checks that need
    /// the whole file.
    fn document(&mut self, path: &Path, doc: &DeTable, doc_span: Range<usize>) -> Option<RuleSet> {
        self.check_keys(doc, TOP_KEYS, "the rules file");

        let settings = match doc.get("settings") {
            Some(v) => self.settings(v),
            None => Some(Settings {
                currency: "GBP".into(),
                location: None,
                budget: None,
                history_days: DEFAULT_HISTORY_DAYS,
                fetch_timeout: crate::feeds::FETCH_TIMEOUT,
                contact: None,
                stores: Vec::new(),
            }),
        };
        let feeds = match doc.get("feeds") {
            Some(v) => self.feeds(v, settings.as_ref()),
            None => Vec::new(),
        };
        let weather = doc
            .get("weather")
            .and_then(|v| self.weather(v))
            .unwrap_or_else(|| WeatherConfig {
                provider: "open-meteo".into(),
                url: open_meteo::DEFAULT_URL.into(),
            });
        let notify = doc
            .get("notify")
            .map(|v| self.notify(v))
            .unwrap_or_default();

        let ctx = RuleCtx {
            feeds: &feeds,
            notify: &notify,
            settings: settings.as_ref(),
        };
        let rules = match doc.get("rule") {
            Some(v) => self.rules(v, &ctx),
            None => Vec::new(),
        };
        self.check_unique_names(&rules);

        let settings = settings?;
        if settings.location.is_none() {
            self.check_weather_has_location(&rules);
        }
        if doc.is_empty() {
            self.error_hint(
                doc_span.start..doc_span.start,
                "the rules file is empty",
                "run `basket init` to write the annotated example, then edit it",
            );
        }

        Some(RuleSet {
            path: path.to_path_buf(),
            settings,
            feeds,
            weather,
            notify,
            rules: rules.into_iter().map(|(_, r)| r).collect(),
        })
    }

    /// The `[[rule]]` array, each valid rule with the span of its table.
    fn rules(&mut self, v: &Value, ctx: &RuleCtx) -> Vec<(Range<usize>, Rule)> {
        let mut rules = Vec::new();
        match v.get_ref() {
            DeValue::Array(items) => {
                for item in items.iter() {
                    if let Some(rule) = self.rule(item, ctx) {
                        rules.push((item.span(), rule));
                    }
                }
            }
            other => self.error_hint(
                v.span(),
                format!(
                    "'rule' must be an array of tables, found {}",
                    type_name(other)
                ),
                "start each rule with a [[rule]] header",
            ),
        }
        rules
    }

    /// Names are unique: they key decisions and history.
    fn check_unique_names(&mut self, rules: &[(Range<usize>, Rule)]) {
        for (i, (span, rule)) in rules.iter().enumerate() {
            if rules[..i].iter().any(|(_, r)| r.name == rule.name) {
                self.error_hint(
                    span.clone(),
                    format!("duplicate rule name '{}'", rule.name),
                    "give each rule its own name: history and decisions are keyed by it",
                );
            }
        }
    }

    /// Without a location there is no forecast, so no enabled rule may ask for one.
    fn check_weather_has_location(&mut self, rules: &[(Range<usize>, Rule)]) {
        for (span, rule) in rules {
            if rule.enabled && rule.when.as_ref().is_some_and(Condition::uses_weather) {
                self.error_hint(
                    span.clone(),
                    format!(
                        "rule '{}' uses the weather, but [settings] has no location",
                        rule.name
                    ),
                    "add location = { latitude = 51.5, longitude = -0.12 } under [settings]",
                );
            }
        }
    }

    /// A comparison table (`above`, `below`, `at_least`, `at_most`), each bound
    /// read by `read`.
    fn comparison<T: Copy + PartialOrd>(
        &mut self,
        v: &Value,
        what: &str,
        read: impl Fn(&mut Self, &Value, &str) -> Option<T>,
    ) -> Option<Comparison<T>> {
        let t = self.table(v, what);
        let Some(t) = t else {
            self.diags.pop();
            self.error_hint(
                v.span(),
                format!("{what} must be a comparison table"),
                format!("write it as {what} = {{ above = ... }} (or below, at_least, at_most)"),
            );
            return None;
        };
        self.check_keys(t, CMP_KEYS, &format!("the comparison for {what}"));
        let mut cmp = Comparison {
            above: None,
            below: None,
            at_least: None,
            at_most: None,
        };
        let mut ok = true;
        for key in CMP_KEYS {
            if let Some(x) = t.get(*key) {
                let val = read(self, x, &format!("{what}.{key}"));
                ok &= val.is_some();
                match *key {
                    "above" => cmp.above = val,
                    "below" => cmp.below = val,
                    "at_least" => cmp.at_least = val,
                    _ => cmp.at_most = val,
                }
            }
        }
        let given = CMP_KEYS.iter().filter(|k| t.contains_key(**k)).count();
        if given == 0 && t.is_empty() {
            self.error_hint(
                v.span(),
                format!("{what} compares nothing"),
                "add above, below, at_least or at_most",
            );
            return None;
        }
        if cmp.above.is_some() && cmp.at_least.is_some()
            || cmp.below.is_some() && cmp.at_most.is_some()
        {
            self.error_hint(
                v.span(),
                format!("{what} has two bounds on the same side"),
                "keep one lower bound (above or at_least) and one upper bound (below or at_most)",
            );
            return None;
        }
        (ok && given > 0).then_some(cmp)
    }
}

/// What a rule is checked against: the sections read before the rules.
struct RuleCtx<'a> {
    feeds: &'a [FeedSource],
    notify: &'a NotifyConfig,
    settings: Option<&'a Settings>,
}

/// The allowed name closest to a misspelt one, if close enough to be a typo.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (c, strsim::jaro_winkler(word, c)))
        .filter(|(_, score)| *score >= 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| *c)
}

fn type_name(v: &DeValue) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a whole number",
        DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}
