//! The one integration test binary: every file under `tests/` is a module of it,
//! so the tests link once (docs/architecture.md, point 6; `autotests = false` in Cargo.toml).
//! Each module runs the real `basket` binary through `support`, hermetically.

mod support;

mod add_product;
mod approved_swaps;
mod bad_input;
mod channels;
mod check;
mod checkout;
mod commands;
mod crash;
mod feeds_cmd;
mod harness_selftest;
mod history;
mod http_cache;
mod interactive;
mod layout;
mod network;
mod notify;
mod outside;
mod prices;
mod properties;
mod real_feeds;
mod secrets;
mod shops;
mod skipping;
mod stats;
mod stores;
mod units;
