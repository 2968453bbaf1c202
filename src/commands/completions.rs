//! `basket completions SHELL`.

use clap::CommandFactory;

use crate::app::CmdResult;
use crate::cli::Cli;

pub fn run(shell: clap_complete::Shell) -> CmdResult {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "basket", &mut std::io::stdout());
    Ok(())
}
