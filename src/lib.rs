//! basket: a terminal shopping assistant for preemptive buying.
//!
//! The flow (see DESIGN.md): `rules` parses and compiles the shopper's rules file,
//! `feeds` fetches and parses products and the forecast, `store` holds the basket
//! and the decisions, `engine` turns them into proposals without any I/O, and
//! `commands` wire it all together behind the CLI.

pub mod feeds;
pub mod model;
pub mod text;
