//! output: what the shopper sees. Tables (comfy-table, from one place), the
//! price chart, the prompts, the check report (table, JSON, cron summary) and
//! how amounts are written. Commands say what to show; this layer shows it.

pub mod basket;
pub mod chart;
pub mod checkout;
pub mod feeds;
pub mod format;
pub mod history;
pub mod prices;
pub mod prompt;
pub mod report;
pub mod stats;
pub mod table;
