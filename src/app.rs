//! From raw arguments to an exit code: resolves the CLI into a [`Context`]
//! (paths, clock, terminal) before any I/O, dispatches to a command, and maps
//! every error to the exit codes of spec/cli.md in one place.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Parser;

use crate::cli::{Cli, ColorWhen, Command, NotifyCommand, RulesCommand};
use crate::commands;

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
    /// stdout is a terminal (tables are sized to it, colour allowed).
    pub stdout_terminal: bool,
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
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
            stdout_terminal,
            color,
            quiet: cli.quiet,
            verbose: cli.verbose,
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

/// A command that could not do its work: what failed, why, and what to do.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
    pub hint: Option<String>,
    /// Already printed in full (rules diagnostics): print nothing more than the hint.
    pub preformatted: bool,
}

impl Failure {
    /// Exit 2: bad usage.
    pub fn usage(msg: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            error: anyhow::anyhow!(msg.into()),
            hint: None,
            preformatted: false,
        }
    }

    /// Exit 1: the command could not do its work.
    pub fn failed(msg: impl Into<String>) -> Failure {
        Failure {
            code: 1,
            error: anyhow::anyhow!(msg.into()),
            hint: None,
            preformatted: false,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure {
            code: 1,
            error,
            hint: None,
            preformatted: false,
        }
    }
}

impl From<crate::rules::RulesError> for Failure {
    fn from(e: crate::rules::RulesError) -> Failure {
        let missing = e.is_missing_file();
        let invalid = matches!(e, crate::rules::RulesError::Invalid { .. });
        let not_text = matches!(e, crate::rules::RulesError::NotUtf8 { .. });
        let too_large = matches!(e, crate::rules::RulesError::TooLarge { .. });
        let mut f = Failure {
            code: 2,
            error: anyhow::Error::new(e),
            hint: None,
            preformatted: invalid,
        };
        if missing {
            f.hint = Some(
                "run `basket init` to write an annotated example there, or pass --rules PATH"
                    .into(),
            );
        } else if not_text {
            f.hint = Some(
                "save the rules as UTF-8 text, or pass --rules PATH if this is not your rules file"
                    .into(),
            );
        } else if too_large {
            f.hint = Some("pass --rules PATH if this is not your rules file".into());
        }
        f
    }
}

impl From<crate::lock::LockError> for Failure {
    fn from(e: crate::lock::LockError) -> Failure {
        let held = matches!(e, crate::lock::LockError::Held { .. });
        Failure {
            code: 1,
            error: anyhow::Error::new(e),
            hint: Some(if held {
                "wait for it to finish, or pass --wait to queue behind it".into()
            } else {
                "check that the data directory is writable, or pass --data-dir DIR".into()
            }),
            preformatted: false,
        }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Failure {
        use crate::store::StoreError;
        // Only where writing is what failed: a garbage or newer basket.db is
        // perfectly writable, and its message already says what to do.
        let hint = match e {
            StoreError::CreateDir { .. } | StoreError::Open { .. } | StoreError::Sqlite { .. } => {
                Some("check that the data directory is writable, or pass --data-dir DIR".into())
            }
            _ => None,
        };
        Failure {
            code: 1,
            error: anyhow::Error::new(e),
            hint,
            preformatted: false,
        }
    }
}

pub type CmdResult = Result<(), Failure>;

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
            if is_broken_pipe(&f.error) {
                // `basket list | head` is not a failure.
                return ExitCode::SUCCESS;
            }
            report(&f);
            ExitCode::from(f.code)
        }
    }
}

fn report(f: &Failure) {
    if f.preformatted {
        eprintln!("{}", f.error);
    } else {
        eprintln!("error: {}", f.error);
        for cause in f.error.chain().skip(1) {
            eprintln!("caused by: {cause}");
        }
    }
    if let Some(h) = &f.hint {
        eprintln!("hint: {h}");
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

pub fn run(cli: Cli) -> CmdResult {
    if let Command::Completions { shell } = &cli.command {
        return commands::completions::run(*shell);
    }
    let ctx = Context::from_cli(&cli)?;
    match cli.command {
        Command::Init { force } => commands::init::run(&ctx, force),
        Command::Check(args) => commands::check::run(&ctx, &args),
        Command::Review => commands::review::run(&ctx),
        Command::List { format } => commands::list::run(&ctx, format),
        Command::Add {
            query,
            quantity,
            offline,
        } => commands::basket::add(&ctx, &query, quantity, offline),
        Command::Remove { item } => commands::basket::remove(&ctx, &item),
        Command::Clear { yes } => commands::basket::clear(&ctx, yes),
        Command::History {
            limit,
            format,
            rule,
            product,
        } => commands::history::run(&ctx, limit, format, rule.as_deref(), product.as_deref()),
        Command::Prices {
            query,
            format,
            limit,
        } => commands::prices::run(&ctx, &query, format, limit.map(|n| n as usize)),
        Command::Rules(RulesCommand::Check) => commands::rules::check(&ctx),
        Command::Rules(RulesCommand::List) => commands::rules::list(&ctx),
        Command::Notify(NotifyCommand::Test { channel }) => {
            commands::notify::test(&ctx, channel.as_deref())
        }
        Command::Demo(args) => commands::demo::run(&ctx, &args),
        Command::Completions { .. } => Ok(()),
    }
}
