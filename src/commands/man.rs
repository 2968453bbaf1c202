//! `basket man`: the man page, generated from the same clap definitions as
//! `--help`, so the two cannot drift apart.

use anyhow::Context as _;
use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::CmdResult;

pub fn run() -> CmdResult {
    clap_mangen::Man::new(Cli::command())
        .render(&mut std::io::stdout().lock())
        .context("cannot write the man page")?;
    Ok(())
}
