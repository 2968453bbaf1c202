//! Everything a command needs to know about its surroundings, resolved once
//! from the arguments and the environment before any I/O: the paths, the clock,
//! whether a person is at a terminal.

use std::io::IsTerminal;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::cli::{Cli, ColorWhen, Command};
use crate::error::Failure;

/// Everything a command needs to know about its surroundings, resolved once.
#[derive(Debug, Clone)]
pub struct Context {
    pub rules_path: PathBuf,
    pub data_dir: PathBuf,
    pub cache_dir: PathBuf,
    /// "Now", fixed for the whole run (overridable with `BASKET_NOW` for tests
    /// and reproducible runs).
    pub now: DateTime<Utc>,
    /// stdin and stderr are terminals: prompts are possible.
    pub interactive: bool,
    /// Colour on stdout: `--color`, else only on a terminal without NO_COLOR.
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
    /// `--timeout`: the run's fetch budget, over the rules file's `fetch_timeout`.
    pub fetch_timeout: Option<std::time::Duration>,
    /// What this run's fetchers share (the budget, failed hosts, rate limits).
    pub fetch_run: crate::feeds::FetchRun,
}

impl Context {
    pub fn from_cli(cli: &Cli) -> Result<Context, Failure> {
        let dirs = directories::ProjectDirs::from("", "", "basket");
        let fallback = |what: &str| {
            Failure::usage(format!("cannot find a {what} directory (is HOME set?)")).with_hint(
                format!(
                    "pass --{what}-dir DIR or set BASKET_{}_DIR",
                    what.to_uppercase()
                ),
            )
        };
        let rules_path = match &cli.rules {
            Some(p) => p.clone(),
            None => dirs
                .as_ref()
                .map(|d| d.config_dir().join("rules.toml"))
                .ok_or_else(|| fallback("config"))?,
        };
        let data_dir = match &cli.data_dir {
            Some(p) => p.clone(),
            None => dirs
                .as_ref()
                .map(|d| d.data_dir().to_path_buf())
                .ok_or_else(|| fallback("data"))?,
        };
        let cache_dir = match &cli.cache_dir {
            Some(p) => p.clone(),
            None => dirs
                .as_ref()
                .map(|d| d.cache_dir().to_path_buf())
                .ok_or_else(|| fallback("cache"))?,
        };
        let now = match std::env::var("BASKET_NOW") {
            Ok(s) if !s.is_empty() => DateTime::parse_from_rfc3339(&s)
                .map_err(|e| {
                    Failure::usage(format!("BASKET_NOW \"{s}\" is not an RFC 3339 time: {e}"))
                        .with_hint("use a form like 2026-10-03T09:00:00Z, or unset it")
                })?
                .with_timezone(&Utc),
            _ => Utc::now(),
        };
        let stdout_terminal = std::io::stdout().is_terminal();
        let color = match cli.color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                stdout_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Ok(Context {
            rules_path,
            data_dir,
            cache_dir,
            now,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            color,
            quiet: cli.quiet,
            verbose: cli.verbose,
            fetch_timeout: match &cli.command {
                Command::Check(args) => args.timeout,
                Command::Add { timeout, .. } => *timeout,
                _ => None,
            },
            fetch_run: crate::feeds::FetchRun::new(),
        })
    }

    /// Loads the rules file, warning when other users may write it: whoever can
    /// edit the rules decides what basket proposes, and what `--yes` buys.
    pub fn load_rules(&self) -> Result<crate::rules::RuleSet, crate::rules::RulesError> {
        let ruleset = crate::rules::load(&self.rules_path)?;
        if crate::private::writable_by_others(&self.rules_path) {
            let path = self.rules_path.display();
            self.warn(&format!(
                "{path} is writable by other users: anyone on this machine can change what basket proposes; chmod o-w {path}"
            ));
        }
        Ok(ruleset)
    }

    /// A warning on stderr, unless `--quiet`.
    pub fn warn(&self, msg: &str) {
        if !self.quiet {
            eprintln!("warning: {msg}");
        }
    }

    pub fn info(&self, msg: &str) {
        if self.verbose {
            eprintln!("{msg}");
        }
    }
}
