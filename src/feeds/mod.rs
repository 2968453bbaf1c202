//! Feeds: where products and the forecast come from.
//!
//! This module turns the bytes of a product feed (JSON, CSV, a product page,
//! and merchant XML) into [`Product`](crate::model::Product)s, Open Food Facts answers into facts about
//! the GTINs of those products, Open Prices answers into price history for them,
//! and an Open-Meteo answer into a [`Forecast`].
//! It knows nothing of rules: the engine folds over what comes out of here.
//! Fetching goes through one [`Fetcher`], so timeouts, the size cap, retries and
//! the HTTP cache live in one place.
//!
//! A bad record is skipped and counted in a [`FeedReport`], never fatal; a feed
//! that cannot be read at all is a [`FeedError`], which the caller turns into a
//! warning naming the feed while the other feeds carry on.
//!
//! The layout: `formats` (the feeds' formats, no I/O), `services` (the
//! APIs asked per product), `fetch` (every request, its cache and retries),
//! `stream` (a fetched body parsed into products), and the error and report
//! types all of them share.

use std::fmt;

mod error;
mod fetch;
mod formats;
mod paged;
pub mod probe;
mod report;
mod services;
mod stream;

pub mod demo;

pub use error::{shown_url, FeedError};
pub use fetch::{ago, user_agent, FetchOptions, FetchRun, Fetcher, FETCH_TIMEOUT};
pub use formats::{
    merchant, parse_products_at, price, shopify_product_url, FetchedFeed,
    WOO_LOWEST_VARIATION_LABEL,
};
pub use report::FeedReport;
pub use services::{open_meteo, open_prices, openfoodfacts};
pub use stream::{fetch_bodies, parse_stream, pipelined, Body, FetchedBody};

/// The format of a product feed, as named by `kind` in the rules file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    Json,
    Csv,
    Merchant,
    Page,
    OpenFoodFacts,
    /// Price history for given GTINs from the Open Prices API; fills history, not
    /// a catalog.
    OpenPrices,
    /// A Merchant local inventory feed: what each store has of the products
    /// of the catalog feed its `of` names; it lists no products of its own.
    MerchantLocal,
    /// A Shopify shop's `/products.json`, page by page (src/feeds/paged.rs).
    Shopify(Pages),
    /// A WooCommerce shop's Store API, page by page (src/feeds/paged.rs).
    WooCommerce(Pages),
}

/// How far a paged kind reads: its pages are asked one after another, so a
/// shop of any size (or one that pages forever) is bounded by this cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pages {
    /// `max_pages` in the rules file.
    pub max_pages: u32,
}

impl Default for Pages {
    fn default() -> Self {
        Pages {
            max_pages: DEFAULT_MAX_PAGES,
        }
    }
}

/// `max_pages` when the rules file does not say: 100 pages of 250 products is
/// 25,000 Shopify products, more than most independent shops list.
pub const DEFAULT_MAX_PAGES: u32 = 100;

impl FeedKind {
    /// Every kind's name, in the order the docs list them (for "did you mean" hints).
    pub const ALL: [&'static str; 9] = [
        "shopify",
        "woocommerce",
        "json",
        "csv",
        "merchant",
        "merchant-local",
        "page",
        "openfoodfacts",
        "open-prices",
    ];

    /// Reads a kind's name from the rules file (case-insensitive, trimmed).
    pub fn parse(s: &str) -> Option<FeedKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Some(FeedKind::Json),
            "csv" => Some(FeedKind::Csv),
            "merchant" => Some(FeedKind::Merchant),
            "merchant-local" => Some(FeedKind::MerchantLocal),
            "page" => Some(FeedKind::Page),
            "openfoodfacts" => Some(FeedKind::OpenFoodFacts),
            "open-prices" => Some(FeedKind::OpenPrices),
            "shopify" => Some(FeedKind::Shopify(Pages::default())),
            "woocommerce" => Some(FeedKind::WooCommerce(Pages::default())),
            _ => None,
        }
    }

    /// Kinds that add price history for GTINs rather than list products.
    pub fn fills_history_only(self) -> bool {
        self == FeedKind::OpenPrices
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Json => "json",
            FeedKind::Csv => "csv",
            FeedKind::Merchant => "merchant",
            FeedKind::MerchantLocal => "merchant-local",
            FeedKind::Page => "page",
            FeedKind::OpenFoodFacts => "openfoodfacts",
            FeedKind::OpenPrices => "open-prices",
            FeedKind::Shopify(_) => "shopify",
            FeedKind::WooCommerce(_) => "woocommerce",
        }
    }

    /// The page cap of a paged kind (`None` for the others).
    pub fn pages(self) -> Option<Pages> {
        match self {
            FeedKind::Shopify(p) | FeedKind::WooCommerce(p) => Some(p),
            _ => None,
        }
    }

    /// The same kind with another page cap (no change for kinds without pages).
    pub fn with_max_pages(self, max_pages: u32) -> FeedKind {
        match self {
            FeedKind::Shopify(_) => FeedKind::Shopify(Pages { max_pages }),
            FeedKind::WooCommerce(_) => FeedKind::WooCommerce(Pages { max_pages }),
            other => other,
        }
    }
}

impl fmt::Display for FeedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One feed table of the rules file.
#[derive(Debug, Clone)]
pub struct FeedSource {
    /// The table's key; every product of the feed carries it as `Product::feed`.
    pub name: String,
    pub kind: FeedKind,
    /// `http(s)://`, `file://` or a plain path.
    pub url: String,
    /// Used for records that give no currency of their own.
    pub currency: Option<String>,
    /// At most this many requests to the feed's host a run (`rate_limit`):
    /// for the per-product services; Open Food Facts has 15 unless set.
    pub rate_limit: Option<u32>,
    /// `of`: the catalog feed a `merchant-local` feed's ids refer to.
    pub of: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for name in FeedKind::ALL {
            let kind = FeedKind::parse(name).expect("every listed name parses");
            assert_eq!(kind.as_str(), name);
        }
        assert_eq!(FeedKind::parse(" JSON "), Some(FeedKind::Json));
        assert_eq!(FeedKind::parse("xml"), None);
    }
}
