//! Command-line definitions (clap derive) and nothing else: the raw arguments,
//! before they are resolved into a [`crate::context::Context`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "basket",
    version,
    about = "A terminal shopping assistant: your rules, your feeds, your yes.",
    long_about = "basket reads your shopping rules (TOML), fetches product, price and weather feeds, \
                  and proposes adds, removals and swaps for your basket. Nothing changes without your yes; \
                  run from cron it stores what it found as pending for `basket review`."
)]
pub struct Cli {
    /// The rules file [default: <config dir>/rules.toml]
    #[arg(long, global = true, env = "BASKET_RULES", value_name = "PATH")]
    pub rules: Option<PathBuf>,
    /// Where basket.db lives [default: <data dir>]
    #[arg(long, global = true, env = "BASKET_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where fetched feeds are cached [default: <cache dir>]
    #[arg(long, global = true, env = "BASKET_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more about what happens (feeds fetched, records read)
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// When to use colour
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the annotated example rules to the rules path
    Init {
        /// Overwrite an existing rules file
        #[arg(long)]
        force: bool,
    },
    /// Fetch the feeds, evaluate the rules, and decide on the proposals
    Check(CheckArgs),
    /// Decide on the proposals still pending from earlier runs
    Review,
    /// Show the basket, with a total per currency
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Add a product from the feeds by hand (QUERY: feed/id, a barcode, or words of its name)
    Add {
        query: String,
        #[arg(long, short = 'n', default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        quantity: u32,
        /// Use cached feeds only
        #[arg(long)]
        offline: bool,
        /// The most the fetching may take in all [default: the rules file's fetch_timeout, else 2m]
        #[arg(long, value_name = "DURATION", value_parser = fetch_timeout)]
        timeout: Option<std::time::Duration>,
    },
    /// Remove an item from the basket (ITEM: feed/id, id, or words of its name)
    Remove { item: String },
    /// Empty the basket (asks first on a terminal)
    Clear {
        /// Do not ask
        #[arg(long, short)]
        yes: bool,
    },
    /// Decisions taken: when, which rule, which product, approved or declined
    History {
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Only the decisions on this rule's proposals (its name, any case)
        #[arg(long, value_name = "NAME")]
        rule: Option<String>,
        /// Only the decisions about this product (feed/id, id, or words of its name)
        #[arg(long, value_name = "QUERY")]
        product: Option<String>,
    },
    /// A product's price history: a table and a chart, or JSON or CSV
    /// (QUERY: feed/id, id, a barcode, or words of its name)
    Prices {
        query: String,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Only the newest N observations
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        limit: Option<u32>,
        /// Prices per kg, l or item, for the size the product's name gives
        #[arg(long)]
        per_unit: bool,
    },
    /// Review the basket by shop at the last check's prices, then record it as bought
    Checkout {
        /// Only this shop's (feed's) lines
        #[arg(long, value_name = "FEED")]
        shop: Option<String>,
        /// Check out without asking
        #[arg(long, short)]
        yes: bool,
        #[arg(long, value_enum, default_value_t = CheckoutFormat::Table)]
        format: CheckoutFormat,
    },
    /// What was bought at each checkout
    Purchases {
        /// Only purchases on or after this day (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        since: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Spend, savings, each rule's record and each product's rhythm
    Stats {
        /// Only purchases and decisions on or after this day (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        since: Option<chrono::NaiveDate>,
        /// What the spend is broken down by
        #[arg(long, value_enum, default_value_t = StatsBy::Month)]
        by: StatsBy,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Check or list the rules
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Notification channels
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Connect a shop or a feed, list the feeds, see what a feed yields
    #[command(subcommand)]
    Feeds(FeedsCommand),
    /// Watch one product page (or Shopify product URL): a feed and a rule in one step
    Watch(WatchArgs),
    /// Run the whole check on built-in example feeds, offline, in a throwaway basket
    Demo(DemoArgs),
    /// Print shell completions
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff): `basket man | man -l -`
    Man,
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send a test message and show what the server answered
    Test {
        /// `email`, `webhook`, `telegram`, `discord`, `slack`, `gotify`, `matrix` or
        /// `pushover` [default: every configured channel]
        channel: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Find what URL is (Merchant feed, Shopify or WooCommerce shop, product page,
    /// JSON or CSV) and add it to the rules file as [feeds.NAME]
    Add {
        name: String,
        url: String,
        /// Try only this kind (shopify, woocommerce, merchant, page, json, csv)
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// Show the table that would be added; change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Each feed: kind, URL, the last read, products, records skipped, last error
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// The products of one feed, as basket reads them
    Show {
        name: String,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Only the first N products
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Use cached feeds only
        #[arg(long)]
        offline: bool,
    },
}

#[derive(Debug, Args, Clone)]
#[command(group = clap::ArgGroup::new("threshold").required(true).args(["below", "drop"]))]
pub struct WatchArgs {
    /// The product page, or a Shopify product URL
    pub url: String,
    /// Fire when the price is below this (in the rules file's currency)
    #[arg(long, value_name = "PRICE")]
    pub below: Option<rust_decimal::Decimal>,
    /// Fire when the price is this many percent below its recent high
    #[arg(long, value_name = "PCT")]
    pub drop: Option<rust_decimal::Decimal>,
    /// Notify instead of proposing to add it
    #[arg(long)]
    pub notify: bool,
    /// The feed's name [default: from the URL]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate the rules file: `ok: N rules, M feeds`, or every problem
    Check,
    /// The rules, one line each, with what each watches
    List,
}

#[derive(Debug, Args, Clone, Default)]
pub struct CheckArgs {
    /// Never prompt: store new proposals as pending (default when stdin is not a terminal)
    #[arg(long)]
    pub no_input: bool,
    /// Approve every proposal without asking (except those over budget)
    #[arg(long, short, conflicts_with = "no_input")]
    pub yes: bool,
    /// Evaluate and show; store and apply nothing
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Send notifications to the configured channels
    #[arg(long)]
    pub notify: bool,
    /// Use cached feeds only
    #[arg(long)]
    pub offline: bool,
    /// After the proposals, say for each rule whether it fired and why not
    #[arg(long)]
    pub explain: bool,
    /// If another check is running, wait for it instead of giving up
    #[arg(long)]
    pub wait: bool,
    /// The most the fetching may take in all, e.g. 30s or 5m [default: the rules file's fetch_timeout, else 2m]
    #[arg(long, value_name = "DURATION", value_parser = fetch_timeout)]
    pub timeout: Option<std::time::Duration>,
}

/// `--timeout 30s`: a duration as the rules file writes one, of a second or more.
fn fetch_timeout(s: &str) -> Result<std::time::Duration, String> {
    crate::rules::parse_duration(s)
        .and_then(|d| d.to_std().ok())
        .filter(|d| d.as_secs() >= 1)
        .ok_or_else(|| {
            format!("\"{s}\" is not a duration of a second or more; write e.g. 30s, 2m or 10m")
        })
}

#[derive(Debug, Args, Clone, Default)]
pub struct DemoArgs {
    /// Never prompt (default when stdin is not a terminal)
    #[arg(long)]
    pub no_input: bool,
    /// Approve every proposal without asking
    #[arg(long, short, conflicts_with = "no_input")]
    pub yes: bool,
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Say for each rule whether it fired and why not
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum CheckFormat {
    #[default]
    Table,
    Json,
    Summary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckoutFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

/// What `basket stats` breaks the spend down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatsBy {
    Month,
    Shop,
    Category,
    Rule,
}
