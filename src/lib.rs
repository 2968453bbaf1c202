//! basket: a terminal shopping assistant for preemptive buying.
//!
//! The flow (see DESIGN.md): `rules` parses and compiles the shopper's rules file,
//! `feeds` fetches and parses products and the forecast, `store` holds the basket
//! and the decisions, `engine` turns them into proposals without any I/O, and
//! `commands` wire it all together behind the CLI (`app` resolves arguments and
//! maps errors to exit codes).

pub mod chart;
pub mod check;
pub mod cli;
pub mod commands;
pub mod context;
pub mod engine;
pub mod error;
pub mod feeds;
pub mod lock;
pub mod model;
pub mod notify;
pub mod output;
pub mod private;
pub mod report;
pub mod rules;
pub mod store;
pub mod text;
pub mod ui;
