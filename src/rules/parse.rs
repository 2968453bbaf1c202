//! Walks the span-preserving TOML tree (`toml::de::DeTable`) and builds the
//! validated rules, collecting every problem instead of stopping at the first,
//! so one `basket rules check` shows the shopper everything to fix.

use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use chrono::Weekday;
use rust_decimal::Decimal;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::diagnostic::{Diagnostic, RulesError};
use super::*;
use crate::feeds::{open_meteo, FeedKind, FeedSource};
use crate::model::normalize_gtin;
use crate::text;

type Value<'i> = Spanned<DeValue<'i>>;

const TOP_KEYS: &[&str] = &["settings", "feeds", "weather", "rule", "notify"];
const SETTINGS_KEYS: &[&str] = &["currency", "location", "budget", "history_days"];
const LOCATION_KEYS: &[&str] = &["latitude", "longitude", "name"];
const FEED_KEYS: &[&str] = &["kind", "url", "currency"];
const WEATHER_KEYS: &[&str] = &["provider", "url"];
const NOTIFY_KEYS: &[&str] = &["email", "webhook"];
const EMAIL_KEYS: &[&str] = &[
    "smtp",
    "from",
    "to",
    "username",
    "password_env",
    "password_command",
    "tls",
];
const WEBHOOK_KEYS: &[&str] = &["url", "format", "headers"];
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
const ACTIONS: &[&str] = &["add", "remove", "swap", "notify"];
const CONDITION_KEYS: &[&str] = &["weather", "basket", "all", "any", "not"];
const BASKET_COND_KEYS: &[&str] = &["has", "lacks"];
const SELECTOR_KEYS: &[&str] = &[
    "in",
    "feed",
    "id",
    "gtin",
    "name",
    "brand",
    "category",
    "price",
    "discount_pct",
    "on_sale",
    "available",
    "contains",
    "allergens",
    "labels",
    "lowest_in_days",
    "price_drop_pct",
    "new",
    "back_in_stock",
];
const CMP_KEYS: &[&str] = &["above", "below", "at_least", "at_most"];
const ADD_KEYS: &[&str] = &["product", "quantity", "limit", "prefer"];
const REMOVE_KEYS: &[&str] = &["product"];
const SWAP_KEYS: &[&str] = &[
    "without",
    "without_allergens",
    "keep",
    "prefer",
    "max_price",
];
const NOTIFY_ACTION_KEYS: &[&str] = &["channels", "limit"];
const WEEKDAYS: &[(&str, Weekday)] = &[
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

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

    fn document(&mut self, path: &Path, doc: &DeTable, doc_span: Range<usize>) -> Option<RuleSet> {
        let _ = path;
        self.check_keys(doc, TOP_KEYS, "the rules file");

        let settings = match doc.get("settings") {
            Some(v) => self.settings(v),
            None => Some(Settings {
                currency: "GBP".into(),
                location: None,
                budget: None,
                history_days: DEFAULT_HISTORY_DAYS,
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

        let mut rules = Vec::new();
        match doc.get("rule") {
            None => {}
            Some(v) => match v.get_ref() {
                DeValue::Array(items) => {
                    for item in items.iter() {
                        let ctx = RuleCtx {
                            feeds: &feeds,
                            notify: &notify,
                            settings: settings.as_ref(),
                        };
                        if let Some(rule) = self.rule(item, &ctx) {
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
            },
        }

        // Names are unique: they key decisions and history.
        for (i, (span, rule)) in rules.iter().enumerate() {
            if rules[..i].iter().any(|(_, r)| r.name == rule.name) {
                self.error_hint(
                    span.clone(),
                    format!("duplicate rule name '{}'", rule.name),
                    "give each rule its own name: history and decisions are keyed by it",
                );
            }
        }

        let settings = settings?;
        if settings.location.is_none() {
            for (span, rule) in &rules {
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

    fn settings(&mut self, v: &Value) -> Option<Settings> {
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
        Some(Settings {
            currency,
            location,
            budget,
            history_days,
        })
    }

    fn currency(&mut self, v: &Value) -> Option<String> {
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

    fn feeds(&mut self, v: &Value, settings: Option<&Settings>) -> Vec<FeedSource> {
        let Some(t) = self.table(v, "[feeds]") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (name, fv) in t.iter() {
            let name: &str = name.get_ref();
            let what = format!("[feeds.{name}]");
            let Some(ft) = self.table(fv, &what) else {
                continue;
            };
            self.check_keys(ft, FEED_KEYS, &what);
            let kind = match ft.get("kind") {
                Some(k) => self
                    .string(k, "kind")
                    .and_then(|s| match FeedKind::parse(&s) {
                        Some(kind) => Some(kind),
                        None => {
                            let hint = match closest(&s, &FeedKind::ALL) {
                                Some(b) => format!("did you mean '{b}'?"),
                                None => format!("kinds are: {}", FeedKind::ALL.join(", ")),
                            };
                            self.error_hint(k.span(), format!("unknown feed kind '{s}'"), hint);
                            None
                        }
                    }),
                None => {
                    self.error_hint(
                        fv.span(),
                        format!("{what} has no kind"),
                        format!("add kind = one of {}", FeedKind::ALL.join(", ")),
                    );
                    None
                }
            };
            let url = match ft.get("url") {
                Some(u) => self.nonempty_string(u, "url"),
                // Open Food Facts has one public API; its base URL is only
                // overridden for mirrors and tests.
                None if kind == Some(FeedKind::OpenFoodFacts) => {
                    Some(crate::feeds::openfoodfacts::DEFAULT_URL.to_string())
                }
                None if kind == Some(FeedKind::OpenPrices) => {
                    Some(crate::feeds::open_prices::DEFAULT_URL.to_string())
                }
                None => {
                    self.error_hint(
                        fv.span(),
                        format!("{what} has no url"),
                        "add url = \"https://...\", \"file:///...\" or a plain path",
                    );
                    None
                }
            };
            let currency = match ft.get("currency") {
                Some(c) => self.currency(c),
                None => settings.map(|s| s.currency.clone()),
            };
            if let (Some(kind), Some(url)) = (kind, url) {
                out.push(FeedSource {
                    name: name.to_string(),
                    kind,
                    url,
                    currency,
                });
            }
        }
        out
    }

    fn weather(&mut self, v: &Value) -> Option<WeatherConfig> {
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

    fn notify(&mut self, v: &Value) -> NotifyConfig {
        let mut out = NotifyConfig::default();
        let Some(t) = self.table(v, "[notify]") else {
            return out;
        };
        self.check_keys(t, NOTIFY_KEYS, "[notify]");
        if let Some(e) = t.get("email") {
            out.email = self.email(e);
        }
        if let Some(w) = t.get("webhook") {
            out.webhook = self.webhook(w);
        }
        out
    }

    fn email(&mut self, v: &Value) -> Option<EmailConfig> {
        let t = self.table(v, "[notify.email]")?;
        self.check_keys(t, EMAIL_KEYS, "[notify.email]");
        let required = |p: &mut Self, key: &str| match t.get(key) {
            Some(x) => p.nonempty_string(x, key),
            None => {
                p.error(v.span(), format!("[notify.email] needs {key}"));
                None
            }
        };
        let smtp = required(self, "smtp");
        let from = required(self, "from");
        let to = match t.get("to") {
            Some(x) => self.string_list(x, "to"),
            None => {
                self.error(v.span(), "[notify.email] needs to = [\"you@example.com\"]");
                None
            }
        };
        let optional = |p: &mut Self, key: &str| t.get(key).and_then(|x| p.string(x, key));
        let username = optional(self, "username");
        let password_env = optional(self, "password_env");
        let password_command = optional(self, "password_command");
        let tls = optional(self, "tls");
        if let (Some(tv), Some(tls)) = (t.get("tls"), &tls) {
            if !["starttls", "tls", "none"].contains(&tls.as_str()) {
                self.error_hint(
                    tv.span(),
                    format!("unknown tls mode '{tls}'"),
                    "use \"starttls\" (port 587), \"tls\" (port 465) or \"none\" (local relay only)",
                );
            }
        }
        Some(EmailConfig {
            smtp: smtp?,
            from: from?,
            to: to?,
            username,
            password_env,
            password_command,
            tls,
        })
    }

    fn webhook(&mut self, v: &Value) -> Option<WebhookConfig> {
        let t = self.table(v, "[notify.webhook]")?;
        self.check_keys(t, WEBHOOK_KEYS, "[notify.webhook]");
        let url = match t.get("url") {
            Some(u) => self.nonempty_string(u, "url"),
            None => {
                self.error(v.span(), "[notify.webhook] needs url");
                None
            }
        };
        let format = t.get("format").and_then(|f| self.string(f, "format"));
        let mut headers_env = Vec::new();
        if let Some(h) = t.get("headers") {
            if let Some(ht) = self.table(h, "headers") {
                for (name, val) in ht.iter() {
                    if let Some(env) = self.string(val, "a header's environment variable") {
                        headers_env.push((name.get_ref().to_string(), env));
                    }
                }
            }
        }
        Some(WebhookConfig {
            url: url?,
            format,
            headers_env,
        })
    }

    fn rule(&mut self, v: &Value, ctx: &RuleCtx) -> Option<Rule> {
        let t = self.table(v, "[[rule]]")?;
        self.check_keys(t, RULE_KEYS, "a rule");
        let line = Diagnostic::new(self.src, v.span(), String::new(), None).line;
        let name = match t.get("name") {
            Some(n) => self.nonempty_string(n, "name"),
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
            Some(f) => match self.string(f, "first_run").as_deref() {
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
            },
            None => Some(true),
        };
        let when = t.get("when").map(|w| self.condition(w, ctx));
        let selector = t.get("match").map(|m| self.selector(m, ctx, "match"));

        let actions: Vec<(&str, &Value)> = ACTIONS
            .iter()
            .filter_map(|a| t.get(*a).map(|v| (*a, v)))
            .collect();
        let action = match actions.as_slice() {
            [] => {
                self.error_hint(
                    v.span(),
                    format!("rule '{}' has no action", name.as_deref().unwrap_or("?")),
                    "add one of add, remove, swap or notify",
                );
                None
            }
            [(kind, av)] => self.action(kind, av, ctx, selector.as_ref().and_then(|s| s.as_ref())),
            [_, (second, av), ..] => {
                let names: Vec<&str> = actions.iter().map(|(k, _)| *k).collect();
                self.error_hint(
                    av.span(),
                    format!(
                        "rule '{}' has {} actions ({}); a rule has exactly one",
                        name.as_deref().unwrap_or("?"),
                        names.len(),
                        names.join(", ")
                    ),
                    format!("split it into one rule per action, or remove '{second}'"),
                );
                None
            }
        };

        if when.is_none() && selector.is_none() {
            if let Some(Action::Add { product: None, .. })
            | Some(Action::Notify { .. })
            | Some(Action::Swap { .. }) = &action
            {
                self.error_hint(
                    v.span(),
                    format!(
                        "rule '{}' has neither `when` nor `match`",
                        name.as_deref().unwrap_or("?")
                    ),
                    "say what it is about: match = { ... } and/or when.weather / when.basket",
                );
            } else if action
                .as_ref()
                .is_some_and(|a| a.product_selector().is_none())
            {
                self.error_hint(
                    v.span(),
                    format!(
                        "rule '{}' has neither `when` nor `match`",
                        name.as_deref().unwrap_or("?")
                    ),
                    "say what it is about: match = { ... } and/or when.weather / when.basket",
                );
            }
        }
        let selector = match selector {
            Some(Some(s)) => Some(s),
            Some(None) => return None,
            None => None,
        };
        let when = match when {
            Some(Some(w)) => Some(w),
            Some(None) => return None,
            None => None,
        };
        let action = action?;
        let selector = match (&action, selector) {
            (Action::Swap { .. } | Action::Remove { .. }, Some(s)) => {
                Some(in_basket_unless_written(s))
            }
            (_, s) => s,
        };
        self.check_action_scope(
            v,
            &action,
            selector.as_ref(),
            name.as_deref().unwrap_or("?"),
        );

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

    fn condition(&mut self, v: &Value, ctx: &RuleCtx) -> Option<Condition> {
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

    /// `None` inside means the selector was invalid (already reported).
    fn selector(&mut self, v: &Value, ctx: &RuleCtx, what: &str) -> Option<Selector> {
        let t = self.table(v, what)?;
        self.check_keys(t, SELECTOR_KEYS, what);
        let mut s = Selector::default();
        let mut ok = true;
        for (key, x) in t.iter() {
            let k: &str = key.get_ref();
            let good = match k {
                "in" => match self.string(x, "in").as_deref() {
                    Some("catalog") => {
                        s.scope = Scope::Catalog;
                        s.scope_written = true;
                        true
                    }
                    Some("basket") => {
                        s.scope = Scope::Basket;
                        s.scope_written = true;
                        true
                    }
                    Some(other) => {
                        self.error_hint(
                            x.span(),
                            format!("unknown scope '{other}'"),
                            "in is \"catalog\" (the default) or \"basket\"",
                        );
                        false
                    }
                    None => false,
                },
                "feed" => match self.string(x, "feed") {
                    Some(f) if ctx.feeds.iter().any(|fs| fs.name == f) => {
                        s.feed = Some(f);
                        true
                    }
                    Some(f) => {
                        let names: Vec<&str> =
                            ctx.feeds.iter().map(|fs| fs.name.as_str()).collect();
                        let hint = match closest(&f, &names) {
                            Some(b) => format!("did you mean '{b}'?"),
                            None if names.is_empty() => {
                                "define it first: [feeds.NAME] with kind and url".into()
                            }
                            None => format!("defined feeds: {}", names.join(", ")),
                        };
                        self.error_hint(x.span(), format!("unknown feed '{f}'"), hint);
                        false
                    }
                    None => false,
                },
                "id" => self
                    .nonempty_string(x, "id")
                    .map(|i| s.id = Some(i))
                    .is_some(),
                "gtin" => {
                    let raw = match x.get_ref() {
                        DeValue::Integer(i) => Some(i.as_str().to_string()),
                        _ => self.string(x, "gtin"),
                    };
                    match raw.as_deref().map(|r| (r, normalize_gtin(r))) {
                        Some((_, Some(g))) => {
                            s.gtin = Some(g);
                            true
                        }
                        Some((r, None)) => {
                            self.error_hint(
                                x.span(),
                                format!("gtin \"{r}\" is not a barcode"),
                                "a GTIN is 8, 12, 13 or 14 digits, written as a string",
                            );
                            false
                        }
                        None => false,
                    }
                }
                "name" => match self.nonempty_string(x, "name") {
                    Some(n) => {
                        s.name_words = text::words(&n);
                        s.name = Some(n);
                        true
                    }
                    None => false,
                },
                "brand" => self
                    .nonempty_string(x, "brand")
                    .map(|b| s.brand = Some(text::fold(b.trim())))
                    .is_some(),
                "category" => self
                    .nonempty_string(x, "category")
                    .map(|c| s.category = Some(text::fold_tag(&c)))
                    .is_some(),
                "price" => self
                    .comparison(x, "price", |p, v, w| p.decimal(v, w))
                    .map(|c| s.price = Some(c))
                    .is_some(),
                "discount_pct" => self
                    .comparison(x, "discount_pct", |p, v, w| p.decimal(v, w))
                    .map(|c| s.discount_pct = Some(c))
                    .is_some(),
                "on_sale" => self
                    .boolean(x, "on_sale")
                    .map(|b| s.on_sale = Some(b))
                    .is_some(),
                "available" => self
                    .boolean(x, "available")
                    .map(|b| s.available = Some(b))
                    .is_some(),
                "new" => self.boolean(x, "new").map(|b| s.new = Some(b)).is_some(),
                "back_in_stock" => self
                    .boolean(x, "back_in_stock")
                    .map(|b| s.back_in_stock = Some(b))
                    .is_some(),
                "lowest_in_days" => self
                    .days(x, "lowest_in_days")
                    .map(|n| s.lowest_in_days = Some(n))
                    .is_some(),
                "price_drop_pct" => self
                    .price_drop(x)
                    .map(|d| s.price_drop_pct = Some(d))
                    .is_some(),
                "contains" => self
                    .string_list(x, "contains")
                    .map(|l| s.contains = l.iter().map(|t| text::fold_tag(t)).collect())
                    .is_some(),
                "allergens" => self
                    .string_list(x, "allergens")
                    .map(|l| s.allergens = l.iter().map(|t| text::fold_tag(t)).collect())
                    .is_some(),
                "labels" => self
                    .string_list(x, "labels")
                    .map(|l| s.labels = l.iter().map(|t| text::fold_tag(t)).collect())
                    .is_some(),
                _ => true,
            };
            ok &= good;
        }
        if s.price.is_some() && ctx.settings.is_none() {
            ok = false;
        }
        ok.then_some(s)
    }

    fn action(
        &mut self,
        kind: &str,
        v: &Value,
        ctx: &RuleCtx,
        selector: Option<&Selector>,
    ) -> Option<Action> {
        match kind {
            "add" => {
                let t = self.table(v, "add")?;
                // A `without` list reads naturally on an add, but only a swap
                // has one (docs/rules.md): say where it belongs rather than list keys.
                for (key, _) in t.iter() {
                    let k: &str = key.get_ref();
                    if k == "without" || k == "without_allergens" {
                        self.error_hint(
                            key.span(),
                            format!("'{k}' belongs to swap, not add"),
                            "add has no list of things to avoid; use a swap rule to replace basket items that contain them",
                        );
                    }
                }
                self.check_keys(
                    t,
                    &[ADD_KEYS, &["without", "without_allergens"]].concat(),
                    "add",
                );
                let product = match t.get("product") {
                    Some(p) => Some(self.selector(p, ctx, "add.product")?),
                    None => None,
                };
                let quantity = match t.get("quantity") {
                    Some(q) => self.quantity(q)?,
                    None => Quantity::Exactly(1),
                };
                let limit = match t.get("limit") {
                    Some(l) => self.positive_int(l, "limit")? as usize,
                    None => 1,
                };
                let prefer = match t.get("prefer") {
                    Some(p) => {
                        let prefer = self.prefer(p)?;
                        if prefer == Prefer::ClosestPrice {
                            self.error_hint(
                                p.span(),
                                "prefer = \"closest_price\" needs an item to compare prices with",
                                "it applies to swap; for add use \"cheapest\" or \"first\"",
                            );
                            return None;
                        }
                        prefer
                    }
                    None => Prefer::Cheapest,
                };
                if product.as_ref().is_some_and(|p| p.scope == Scope::Basket) {
                    self.error_hint(
                        v.span(),
                        "add.product looks in the basket, but adding takes products from the catalog",
                        "remove in = \"basket\" from add.product",
                    );
                    return None;
                }
                Some(Action::Add {
                    product,
                    quantity,
                    limit,
                    prefer,
                })
            }
            "remove" => {
                let t = self.table(v, "remove")?;
                self.check_keys(t, REMOVE_KEYS, "remove");
                let product = match t.get("product") {
                    Some(p) => Some(in_basket_unless_written(self.selector(
                        p,
                        ctx,
                        "remove.product",
                    )?)),
                    None => None,
                };
                Some(Action::Remove { product })
            }
            "swap" => {
                let t = self.table(v, "swap")?;
                self.check_keys(t, SWAP_KEYS, "swap");
                let list = |p: &mut Self, key: &str| -> Option<Vec<String>> {
                    match t.get(key) {
                        Some(x) => p
                            .string_list(x, key)
                            .map(|l| l.iter().map(|s| text::fold_tag(s)).collect()),
                        None => Some(Vec::new()),
                    }
                };
                let without = list(self, "without")?;
                let without_allergens = list(self, "without_allergens")?;
                let keep = match t.get("keep") {
                    Some(k) => {
                        let keep = self.string_list(k, "keep")?;
                        if let Some(bad) = keep.iter().find(|k| k.as_str() != "category") {
                            self.error_hint(
                                k.span(),
                                format!("swap cannot keep '{bad}'"),
                                "keep = [\"category\"] is what a swap can keep",
                            );
                            return None;
                        }
                        keep
                    }
                    None => vec!["category".to_string()],
                };
                let prefer = match t.get("prefer") {
                    Some(p) => self.prefer(p)?,
                    None => Prefer::ClosestPrice,
                };
                let max_price = match t.get("max_price") {
                    Some(m) => Some(self.decimal(m, "max_price")?),
                    None => None,
                };
                if without.is_empty() && without_allergens.is_empty() {
                    self.error_hint(
                        v.span(),
                        "swap says nothing to avoid",
                        "add without = [\"palm-oil\"] and/or without_allergens = [\"peanuts\"]",
                    );
                    return None;
                }
                if selector.is_some_and(|s| s.scope == Scope::Catalog && s.scope_written) {
                    self.error_hint(
                        v.span(),
                        "swap replaces basket items, but its match looks in the catalog",
                        "use match = { in = \"basket\", ... }",
                    );
                    return None;
                }
                Some(Action::Swap {
                    without,
                    without_allergens,
                    keep_category: !keep.is_empty(),
                    prefer,
                    max_price,
                })
            }
            _ => {
                // notify = true, or a table.
                if let DeValue::Boolean(b) = v.get_ref() {
                    if !*b {
                        self.error_hint(
                            v.span(),
                            "notify = false does nothing",
                            "remove the rule, or set enabled = false",
                        );
                        return None;
                    }
                    return Some(Action::Notify {
                        channels: Vec::new(),
                        limit: 10,
                    });
                }
                let t = self.table(v, "notify")?;
                self.check_keys(t, NOTIFY_ACTION_KEYS, "notify");
                let channels = match t.get("channels") {
                    Some(c) => {
                        let list = self.string_list(c, "channels")?;
                        for ch in &list {
                            if ch != "email" && ch != "webhook" {
                                self.error_hint(
                                    c.span(),
                                    format!("unknown channel '{ch}'"),
                                    "channels are \"email\" and \"webhook\"",
                                );
                                return None;
                            }
                            let configured = match ch.as_str() {
                                "email" => ctx.notify.email.is_some(),
                                _ => ctx.notify.webhook.is_some(),
                            };
                            if !configured {
                                self.error_hint(
                                    c.span(),
                                    format!("channel '{ch}' is not configured"),
                                    format!(
                                        "add a [notify.{ch}] table, or drop '{ch}' from channels"
                                    ),
                                );
                                return None;
                            }
                        }
                        list
                    }
                    None => Vec::new(),
                };
                let limit = match t.get("limit") {
                    Some(l) => self.positive_int(l, "limit")? as usize,
                    None => 10,
                };
                Some(Action::Notify { channels, limit })
            }
        }
    }

    /// `3`, or `"up to 3"` (restock: the difference from what the basket holds).
    fn quantity(&mut self, v: &Value) -> Option<Quantity> {
        if let DeValue::String(text) = v.get_ref() {
            let words: Vec<&str> = text.split_whitespace().collect();
            if let ["up", "to", n] = words.as_slice() {
                if let Some(n) = n.parse::<u32>().ok().filter(|n| *n >= 1) {
                    return Some(Quantity::UpTo(n));
                }
            }
            self.error_hint(
                v.span(),
                format!("quantity \"{text}\" is not a number"),
                "write a whole number (quantity = 2), or \"up to N\" to restock to N",
            );
            return None;
        }
        self.positive_int(v, "quantity").map(Quantity::Exactly)
    }

    /// A number of days of history, 1 to 3660.
    fn days(&mut self, v: &Value, what: &str) -> Option<u32> {
        let n = self.positive_int(v, what)?;
        if n > 3660 {
            self.error_hint(
                v.span(),
                format!("{what} = {n} is more history than basket keeps"),
                "use at most 3660 days",
            );
            return None;
        }
        Some(n)
    }

    /// `price_drop_pct = { at_least = 20 }` against the last 30 days, or with
    /// `days = 14` for another window.
    fn price_drop(&mut self, v: &Value) -> Option<PriceDrop> {
        let t = self.table(v, "price_drop_pct")?;
        let days = match t.get("days") {
            Some(d) => self.days(d, "price_drop_pct.days")?,
            None => 30,
        };
        // The comparison is the table without `days`.
        let mut cmp_table = t.clone();
        cmp_table.remove("days");
        let cmp_value = Spanned::new(v.span(), DeValue::Table(cmp_table));
        let cmp = self.comparison(&cmp_value, "price_drop_pct", |p, v, w| p.decimal(v, w))?;
        Some(PriceDrop { cmp, days })
    }

    fn prefer(&mut self, v: &Value) -> Option<Prefer> {
        let s = self.string(v, "prefer")?;
        match Prefer::parse(&s) {
            Some(p) => Some(p),
            None => {
                let names = ["cheapest", "closest_price", "first"];
                let hint = match closest(&s, &names) {
                    Some(b) => format!("did you mean '{b}'?"),
                    None => "prefer is \"cheapest\", \"closest_price\" or \"first\"".into(),
                };
                self.error_hint(v.span(), format!("unknown preference '{s}'"), hint);
                None
            }
        }
    }
}

struct RuleCtx<'a> {
    feeds: &'a [FeedSource],
    notify: &'a NotifyConfig,
    settings: Option<&'a Settings>,
}

/// Selectors under `when.basket` always look in the basket.
fn in_basket(mut s: Selector) -> Selector {
    s.scope = Scope::Basket;
    s
}

/// Removals and swaps are about basket items unless `in = "catalog"` is written.
fn in_basket_unless_written(mut s: Selector) -> Selector {
    if !s.scope_written {
        s.scope = Scope::Basket;
    }
    s
}

/// `"7d"`, `"12h"`, `"30m"`, `"2w"`, `"1d12h"`, `"0"`.
pub(crate) fn parse_duration(s: &str) -> Option<chrono::Duration> {
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
