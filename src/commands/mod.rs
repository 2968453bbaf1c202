//! One module per subcommand. Each is thin: it wires rules, feeds, store, engine
//! and ui together and owns no logic of its own beyond that.

pub mod basket;
pub mod check;
pub mod completions;
pub mod demo;
pub mod history;
pub mod init;
pub mod list;
pub mod notify;
pub mod prices;
pub mod review;
pub mod rules;
