//! basket: a terminal shopping assistant for preemptive buying.
//!
//! The flow (docs/architecture.md): `rules` parses the shopper's rules file,
//! `feeds` fetches and parses products and the forecast, `store` holds the
//! basket, the decisions and the price history, `engine` turns them into
//! proposals without any I/O, `check` runs that pipeline, `output` and `notify`
//! show and send what it found, and `commands` are the glue behind the CLI.
//!
//! The library's public face is [`api`]: exactly what the binary, the
//! integration tests, the benchmarks and the fuzz targets use. Every module
//! is private to the crate, so the dead-code lint sees whatever nothing uses.

mod check;
mod checkout;
mod cli;
mod commands;
mod connect;
mod context;
mod engine;
mod error;
mod feeds;
mod lock;
mod model;
mod notify;
mod output;
mod private;
mod rules;
mod stats;
mod store;
mod text;

pub use commands::main_with_args;

/// What the tests, benchmarks and fuzz targets reach into, by layer.
pub mod api {
    /// The pure evaluation, for the property tests and the benchmarks.
    pub mod engine {
        pub use crate::engine::{evaluate, Context, Evaluation, Memory, Outcome, Weather};
    }
    /// The parsers, for the fuzz targets, the benchmarks and the tests.
    pub mod feeds {
        pub use crate::feeds::{parse_products_at, parse_stream, pipelined, FeedKind, FeedSource};
        pub mod price {
            pub use crate::feeds::price::{parse_price, parse_price_with_separator};
        }
        pub mod openfoodfacts {
            pub use crate::feeds::openfoodfacts::{parse_product, parse_search_page};
        }
        pub mod open_meteo {
            pub use crate::feeds::open_meteo::parse_forecast;
        }
    }
    /// The check lock, for the test of two runs at once.
    pub mod lock {
        pub use crate::lock::acquire;
    }
    /// The data the tests build worlds from.
    pub mod model {
        pub use crate::model::{
            ActionKind, Availability, BasketItem, FailedInputs, Origin, Product, Proposal,
            ProposalStatus, Size,
        };
    }
    pub mod rules {
        pub use crate::rules::{parse_str, RuleSet};
    }
    /// The store, for tests that seed a history or read what a run left.
    pub mod store {
        pub use crate::store::{CheckoutLine, Store, SCHEMA_VERSION};
    }
}
