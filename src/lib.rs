//! basket: a terminal shopping assistant for preemptive buying.
//!
//! The flow (docs/architecture.md): `rules` parses the shopper's rules file,
//! `feeds` fetches and parses products and the forecast, `store` holds the
//! basket, the decisions and the price history, `engine` turns them into
//! proposals without any I/O, `check` runs that pipeline, `output` and `notify`
//! show and send what it found, and `commands` are the glue behind the CLI.
//!
//! Public are only the modules the binary, the integration tests, the
//! benchmarks and the fuzz targets use; the rest is private to the crate, so
//! the dead-code lint sees everything nothing uses.

mod check;
mod checkout;
mod cli;
mod commands;
mod connect;
mod context;
pub mod engine;
mod error;
pub mod feeds;
pub mod lock;
pub mod model;
mod notify;
mod output;
mod private;
pub mod rules;
mod stats;
pub mod store;
mod text;

pub use commands::main_with_args;
