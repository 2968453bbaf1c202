//! The subcommands, one short file each, and the dispatch from parsed
//! arguments to them. Commands are glue over the layers below (check, rules,
//! store, output...) and never import one another.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, FeedsCommand, NotifyCommand, RulesCommand};
use crate::context::Context;
use crate::error::{self, CmdResult};

pub mod basket;
pub mod check;
pub mod checkout;
pub mod completions;
pub mod demo;
pub mod feeds;
pub mod history;
pub mod init;
pub mod list;
pub mod man;
pub mod notify;
pub mod prices;
pub mod purchases;
pub mod review;
pub mod rules;
pub mod stats;
pub mod watch;

/// Parses `args` and runs the command; callable more than once (tests).
pub fn main_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if error::is_broken_pipe(&f.error) {
                // `basket list | head` is not a failure.
                return ExitCode::SUCCESS;
            }
            error::report(&f);
            ExitCode::from(f.kind.exit_code())
        }
    }
}

/// Resolves the context and runs one subcommand.
fn run(cli: Cli) -> CmdResult {
    // Neither needs a home directory or a rules file.
    match &cli.command {
        Command::Completions { shell } => return completions::run(*shell),
        Command::Man => return man::run(),
        _ => {}
    }
    let ctx = Context::from_cli(&cli)?;
    match cli.command {
        Command::Init { force } => init::run(&ctx, force),
        Command::Check(args) => check::run(&ctx, &args),
        Command::Review => review::run(&ctx),
        Command::List { format } => list::run(&ctx, format),
        Command::Add {
            query,
            quantity,
            offline,
            // The fetch budget is read into the context.
            timeout: _,
        } => basket::add(&ctx, &query, quantity, offline),
        Command::Remove { item } => basket::remove(&ctx, &item),
        Command::Clear { yes } => basket::clear(&ctx, yes),
        Command::History {
            limit,
            format,
            rule,
            product,
        } => history::run(&ctx, limit, format, rule.as_deref(), product.as_deref()),
        Command::Prices {
            query,
            format,
            limit,
            per_unit,
        } => prices::run(&ctx, &query, format, limit.map(|n| n as usize), per_unit),
        Command::Checkout { shop, yes, format } => {
            checkout::run(&ctx, shop.as_deref(), yes, format)
        }
        Command::Purchases { since, format } => purchases::run(&ctx, since, format),
        Command::Stats { since, by, format } => stats::run(&ctx, since, by, format),
        Command::Rules(RulesCommand::Check) => rules::check(&ctx),
        Command::Rules(RulesCommand::List) => rules::list(&ctx),
        Command::Notify(NotifyCommand::Test { channel }) => notify::test(&ctx, channel.as_deref()),
        Command::Demo(args) => demo::run(&ctx, &args),
        Command::Feeds(FeedsCommand::Add {
            name,
            url,
            kind,
            dry_run,
        }) => feeds::add(&ctx, &name, &url, kind.as_deref(), dry_run),
        Command::Feeds(FeedsCommand::List { format }) => feeds::list(&ctx, format),
        Command::Feeds(FeedsCommand::Show {
            name,
            format,
            limit,
            offline,
        }) => feeds::show(&ctx, &name, format, limit, offline),
        Command::Watch(args) => watch::run(&ctx, &args),
        Command::Completions { .. } | Command::Man => Ok(()),
    }
}
