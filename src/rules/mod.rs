//! The shopper's rules file (docs/rules.md): parsed with spans, validated as a
//! whole, and compiled into the plain values the engine evaluates.
//!
//! `load` either returns a complete [`RuleSet`] or every problem found, each
//! pointing at `path:line:column`; nothing downstream ever sees half a file.

mod channels;
mod diagnostic;
pub mod edit;
mod parse;
mod selector;

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::Weekday;
use rust_decimal::Decimal;

pub use channels::{
    GotifyConfig, HookConfig, MatrixConfig, PushoverConfig, TelegramConfig, PUSHOVER_URL,
    TELEGRAM_URL,
};
pub use diagnostic::RulesError;
pub use parse::parse_duration;
pub use selector::{PriceDrop, Scope, Selector, UnitPriceBound};

use crate::feeds::FeedSource;

/// A validated rules file.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub path: PathBuf,
    pub settings: Settings,
    /// In file order.
    pub feeds: Vec<FeedSource>,
    pub weather: WeatherConfig,
    pub notify: NotifyConfig,
    /// In file order: ties and output follow it.
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// Any enabled rule looks at the forecast, so the weather must be fetched.
    pub fn needs_weather(&self) -> bool {
        self.rules
            .iter()
            .any(|r| r.enabled && r.when.as_ref().is_some_and(Condition::uses_weather))
    }

    /// The feeds that list products (every kind but the facts-only and the
    /// history-only ones).
    pub fn catalog_feeds(&self) -> Vec<FeedSource> {
        use crate::feeds::FeedKind;
        self.feeds
            .iter()
            .filter(|f| {
                !matches!(
                    f.kind,
                    FeedKind::OpenFoodFacts | FeedKind::OpenPrices | FeedKind::MerchantLocal
                )
            })
            .cloned()
            .collect()
    }

    /// The `merchant-local` feeds: joined to their catalog, never read as one.
    pub fn local_feeds(&self) -> Vec<FeedSource> {
        self.feeds
            .iter()
            .filter(|f| f.kind == crate::feeds::FeedKind::MerchantLocal)
            .cloned()
            .collect()
    }

    pub fn feed(&self, name: &str) -> Option<&FeedSource> {
        self.feeds.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub currency: String,
    pub location: Option<Location>,
    pub budget: Option<Decimal>,
    /// How long price history is kept (`history_days`, default 365).
    pub history_days: u32,
    /// How long a run's fetching may take in all (`fetch_timeout`, default
    /// 2 minutes); `--timeout` overrides it.
    pub fetch_timeout: std::time::Duration,
    /// Who runs this basket (`contact`, an e-mail address), for the
    /// User-Agent that Open Food Facts asks API users to send.
    pub contact: Option<String>,
    /// `stores`: the store codes where the shopper shops (`at_store = true`).
    pub stores: Vec<String>,
}

/// Price history older than this is pruned unless `history_days` says otherwise.
pub const DEFAULT_HISTORY_DAYS: u32 = 365;

#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WeatherConfig {
    pub provider: String,
    pub url: String,
}

#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    pub email: Option<EmailConfig>,
    pub webhook: Option<WebhookConfig>,
    pub telegram: Option<TelegramConfig>,
    pub discord: Option<HookConfig>,
    pub slack: Option<HookConfig>,
    pub gotify: Option<GotifyConfig>,
    pub matrix: Option<MatrixConfig>,
    pub pushover: Option<PushoverConfig>,
}

impl NotifyConfig {
    /// Whether the rules file has a `[notify.*]` table for `channel`.
    pub fn has(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => self.email.is_some(),
            Channel::Webhook => self.webhook.is_some(),
            Channel::Telegram => self.telegram.is_some(),
            Channel::Discord => self.discord.is_some(),
            Channel::Slack => self.slack.is_some(),
            Channel::Gotify => self.gotify.is_some(),
            Channel::Matrix => self.matrix.is_some(),
            Channel::Pushover => self.pushover.is_some(),
        }
    }

    /// The configured channels, for `notify = true`.
    pub fn configured(&self) -> Vec<Channel> {
        Channel::ALL.into_iter().filter(|c| self.has(*c)).collect()
    }

    /// Names of the configured channels, for `notify = true`, spelt as the
    /// outbox stores them.
    pub fn channels(&self) -> Vec<String> {
        self.configured()
            .into_iter()
            .map(|c| c.as_str().to_string())
            .collect()
    }
}

/// Where a notification can go: one `[notify.*]` table each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    Webhook,
    Telegram,
    Discord,
    Slack,
    Gotify,
    Matrix,
    Pushover,
}

impl Channel {
    /// In the order `channels()` lists them.
    pub const ALL: [Channel; 8] = [
        Channel::Email,
        Channel::Webhook,
        Channel::Telegram,
        Channel::Discord,
        Channel::Slack,
        Channel::Gotify,
        Channel::Matrix,
        Channel::Pushover,
    ];

    /// As the rules file spells it, and the outbox stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
            Channel::Telegram => "telegram",
            Channel::Discord => "discord",
            Channel::Slack => "slack",
            Channel::Gotify => "gotify",
            Channel::Matrix => "matrix",
            Channel::Pushover => "pushover",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub smtp: String,
    pub from: String,
    pub to: Vec<String>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_command: Option<String>,
    /// Unset: implicit TLS on port 465, STARTTLS otherwise.
    pub tls: Option<SmtpTls>,
}

/// `[notify.email] tls`: how the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `"starttls"`: upgrade a plain connection (port 587).
    StartTls,
    /// `"tls"`: TLS from the first byte (port 465).
    Tls,
    /// `"none"`: plain text, for a relay on this machine only.
    Plain,
}

impl SmtpTls {
    pub const ALL: [SmtpTls; 3] = [SmtpTls::StartTls, SmtpTls::Tls, SmtpTls::Plain];

    /// As the rules file spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTls::StartTls => "starttls",
            SmtpTls::Tls => "tls",
            SmtpTls::Plain => "none",
        }
    }

    pub fn parse(s: &str) -> Option<SmtpTls> {
        SmtpTls::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: WebhookUrl,
    pub format: WebhookFormat,
    /// Header name -> environment variable holding its value.
    pub headers_env: Vec<(String, String)>,
}

/// `[notify.webhook]`'s address: written in the file (`url`), or, when it
/// carries a token, named by an environment variable (`url_env`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookUrl {
    Literal(String),
    Env(String),
}

/// `[notify.webhook] format`: what the POST carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookFormat {
    /// `"json"` (the default): the digest as a JSON body.
    #[default]
    Json,
    /// `"ntfy"`: the text as the body, the subject in a `Title` header.
    Ntfy,
}

impl WebhookFormat {
    pub const ALL: [WebhookFormat; 2] = [WebhookFormat::Json, WebhookFormat::Ntfy];

    /// As the rules file spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Json => "json",
            WebhookFormat::Ntfy => "ntfy",
        }
    }

    pub fn parse(s: &str) -> Option<WebhookFormat> {
        WebhookFormat::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub enabled: bool,
    pub when: Option<Condition>,
    /// `match`: the products the rule is about.
    pub selector: Option<Selector>,
    pub action: Action,
    pub cooldown: chrono::Duration,
    /// Whether a condition already true the first time the rule runs fires
    /// (`first_run = "fire"`, the default) or only marks the products as seen.
    pub first_run_fires: bool,
    /// Line of the rule's `[[rule]]` header, for messages.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Weather(WeatherCondition),
    BasketHas(Selector),
    BasketLacks(Selector),
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// `every`: due when the last purchase of what the rule adds is this old.
    Every(Every),
}

/// `when.every`: a restocking cadence, fixed or learnt from the purchases.
#[derive(Debug, Clone, PartialEq)]
pub struct Every {
    pub cadence: Cadence,
    /// The products whose purchases count: the rule's `match` and its
    /// `add.product` together (set once the whole rule is read).
    pub of: Selector,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cadence {
    /// `"14d"`: a positive duration.
    Fixed(chrono::Duration),
    /// `"auto"`: the median gap of the latest purchases.
    Auto,
}

impl Condition {
    pub fn uses_weather(&self) -> bool {
        match self {
            Condition::Weather(_) => true,
            Condition::BasketHas(_) | Condition::BasketLacks(_) => false,
            Condition::All(c) | Condition::Any(c) => c.iter().any(Condition::uses_weather),
            Condition::Not(c) => c.uses_weather(),
            Condition::Every(_) => false,
        }
    }

    /// Whether judging it needs the purchases.
    pub fn uses_every(&self) -> bool {
        match self {
            Condition::Every(_) => true,
            Condition::Weather(_) | Condition::BasketHas(_) | Condition::BasketLacks(_) => false,
            Condition::All(c) | Condition::Any(c) => c.iter().any(Condition::uses_every),
            Condition::Not(c) => c.uses_every(),
        }
    }

    /// Gives every `every` in it the products it counts purchases of.
    pub(crate) fn set_every_of(&mut self, of: &Selector) {
        match self {
            Condition::Every(e) => e.of = of.clone(),
            Condition::Weather(_) | Condition::BasketHas(_) | Condition::BasketLacks(_) => {}
            Condition::All(c) | Condition::Any(c) => c.iter_mut().for_each(|c| c.set_every_of(of)),
            Condition::Not(c) => c.set_every_of(of),
        }
    }

    /// Calls `f` on every `has`/`lacks` selector, however deeply nested.
    pub fn visit_selectors<'a>(&'a self, f: &mut impl FnMut(&'a Selector)) {
        match self {
            Condition::BasketHas(s) | Condition::BasketLacks(s) => f(s),
            // `every` counts purchases of the rule's own products: no feed of its own.
            Condition::Weather(_) | Condition::Every(_) => {}
            Condition::All(c) | Condition::Any(c) => c.iter().for_each(|c| c.visit_selectors(f)),
            Condition::Not(c) => c.visit_selectors(f),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WeatherCondition {
    pub day: DaySpec,
    pub metrics: Vec<(Metric, Comparison<f64>)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DaySpec {
    Today,
    Tomorrow,
    Weekday(Weekday),
    /// Any of the next N days, today included.
    WithinDays(u32),
}

impl fmt::Display for DaySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DaySpec::Today => f.write_str("today"),
            DaySpec::Tomorrow => f.write_str("tomorrow"),
            DaySpec::Weekday(w) => f.write_str(weekday_name(*w)),
            DaySpec::WithinDays(n) => write!(f, "the next {n} days"),
        }
    }
}

pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    TempMaxC,
    TempMinC,
    PrecipitationMm,
    PrecipitationProbability,
    WindMaxKmh,
    UvIndex,
    SnowfallCm,
}

impl Metric {
    pub const ALL: [(&'static str, Metric); 7] = [
        ("temp_max_c", Metric::TempMaxC),
        ("temp_min_c", Metric::TempMinC),
        ("precipitation_mm", Metric::PrecipitationMm),
        (
            "precipitation_probability",
            Metric::PrecipitationProbability,
        ),
        ("wind_max_kmh", Metric::WindMaxKmh),
        ("uv_index", Metric::UvIndex),
        ("snowfall_cm", Metric::SnowfallCm),
    ];

    /// How a reason names the value: "max", "chance of rain"...
    pub fn label(self) -> &'static str {
        match self {
            Metric::TempMaxC => "max",
            Metric::TempMinC => "min",
            Metric::PrecipitationMm => "rain",
            Metric::PrecipitationProbability => "chance of rain",
            Metric::WindMaxKmh => "max wind",
            Metric::UvIndex => "UV index",
            Metric::SnowfallCm => "snowfall",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Metric::TempMaxC | Metric::TempMinC => " °C",
            Metric::PrecipitationMm => " mm",
            Metric::PrecipitationProbability => "%",
            Metric::WindMaxKmh => " km/h",
            Metric::UvIndex => "",
            Metric::SnowfallCm => " cm",
        }
    }
}

/// `above` (>), `below` (<), `at_least` (>=), `at_most` (<=): one or two of them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Comparison<T> {
    pub above: Option<T>,
    pub below: Option<T>,
    pub at_least: Option<T>,
    pub at_most: Option<T>,
}

impl<T: PartialOrd + Copy> Comparison<T> {
    pub fn holds(&self, v: T) -> bool {
        self.above.is_none_or(|t| v > t)
            && self.below.is_none_or(|t| v < t)
            && self.at_least.is_none_or(|t| v >= t)
            && self.at_most.is_none_or(|t| v <= t)
    }

    /// The comparison that holds where both hold: the higher lower bounds and
    /// the lower upper bounds. Exact, since `holds` checks every bound.
    pub fn intersect(&self, other: &Comparison<T>) -> Comparison<T> {
        let Comparison {
            above,
            below,
            at_least,
            at_most,
        } = *self;
        let higher = |a: Option<T>, b: Option<T>| tighter(a, b, |x, y| x >= y);
        let lower = |a: Option<T>, b: Option<T>| tighter(a, b, |x, y| x <= y);
        Comparison {
            above: higher(above, other.above),
            below: lower(below, other.below),
            at_least: higher(at_least, other.at_least),
            at_most: lower(at_most, other.at_most),
        }
    }

    /// The parts of the comparison, in words, with the threshold: `("above", t)`.
    pub fn parts(&self) -> Vec<(&'static str, T)> {
        let mut out = Vec::new();
        if let Some(t) = self.above {
            out.push(("above", t));
        }
        if let Some(t) = self.at_least {
            out.push(("at least", t));
        }
        if let Some(t) = self.below {
            out.push(("below", t));
        }
        if let Some(t) = self.at_most {
            out.push(("at most", t));
        }
        out
    }

    /// The first part that fails for `v`, in words.
    pub fn first_failing(&self, v: T) -> Option<(&'static str, T)> {
        self.parts().into_iter().find(|(word, t)| {
            let ok = match *word {
                "above" => v > *t,
                "at least" => v >= *t,
                "below" => v < *t,
                _ => v <= *t,
            };
            !ok
        })
    }
}

/// The bound of the two that `keep_first` prefers, or the one that is set.
fn tighter<T: Copy>(a: Option<T>, b: Option<T>, keep_first: impl Fn(T, T) -> bool) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if keep_first(x, y) { x } else { y }),
        (x, y) => x.or(y),
    }
}

/// How many an `add` proposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// This many of each proposed product.
    Exactly(u32),
    /// `"up to N"`: the difference between N and what the basket holds.
    UpTo(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefer {
    Cheapest,
    ClosestPrice,
    First,
    /// The lowest price per kilo, litre or item; products of unknown size
    /// after every known one, then by price.
    CheapestPerUnit,
}

impl Prefer {
    pub fn parse(s: &str) -> Option<Prefer> {
        match s {
            "cheapest" => Some(Prefer::Cheapest),
            "closest_price" => Some(Prefer::ClosestPrice),
            "first" => Some(Prefer::First),
            "cheapest_per_unit" => Some(Prefer::CheapestPerUnit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Add {
        product: Option<Selector>,
        quantity: Quantity,
        limit: usize,
        prefer: Prefer,
    },
    Remove {
        product: Option<Selector>,
    },
    Swap {
        without: Vec<String>,
        without_allergens: Vec<String>,
        keep_category: bool,
        prefer: Prefer,
        max_price: Option<Decimal>,
    },
    Notify {
        /// Empty: every configured channel.
        channels: Vec<String>,
        limit: usize,
    },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Add { .. } => "add",
            Action::Remove { .. } => "remove",
            Action::Swap { .. } => "swap",
            Action::Notify { .. } => "notify",
        }
    }

    pub fn product_selector(&self) -> Option<&Selector> {
        match self {
            Action::Add { product, .. } | Action::Remove { product } => product.as_ref(),
            _ => None,
        }
    }
}

/// The largest rules file read: the annotated example is under 10 KiB.
pub const MAX_RULES_BYTES: u64 = 1024 * 1024;

/// Reads and validates a rules file. A missing file gets its own error so the
/// command can suggest `basket init`.
pub fn load(path: &Path) -> Result<RuleSet, RulesError> {
    use std::io::Read as _;
    let read_error = |error| RulesError::Read {
        path: path.to_path_buf(),
        error,
    };
    // Read one byte past the cap, never the whole of a huge file (a log or a
    // disk image passed by mistake): parsing megabytes of TOML only to report
    // a problem on each of its lines helps no one.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_RULES_BYTES + 1).read_to_end(&mut bytes))
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_RULES_BYTES {
        return Err(RulesError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| RulesError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    parse_str(path, &text)
}

/// Validates rules text; `path` is only used in messages.
pub fn parse_str(path: &Path, text: &str) -> Result<RuleSet, RulesError> {
    parse::parse(path, text)
}

#[cfg(test)]
mod tests;
