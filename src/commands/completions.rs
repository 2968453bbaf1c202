//! `basket completions SHELL`.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::CmdResult;

pub fn run(shell: clap_complete::Shell) -> CmdResult {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "basket", &mut std::io::stdout());
    Ok(())
}
