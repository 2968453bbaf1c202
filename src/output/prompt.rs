//! Prompts (dialoguer). They sit behind the [`Approver`] trait so the check
//! flow is the same whether a person, `--yes` or nobody (cron) answers.

use std::io;

use dialoguer::theme::ColorfulTheme;

use crate::model::{ActionKind, Product, Proposal};

/// What the shopper said about one proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Approve,
    Decline,
    /// Decide later: stays pending.
    Skip,
    /// Stop asking (Esc, q, Ctrl-C): what was decided stays decided.
    Stop,
}

pub trait Approver {
    fn ask(&mut self, proposal: &Proposal, position: usize, total: usize) -> io::Result<Choice>;
}

/// `--yes`: approves everything but what would break the budget.
pub struct ApproveAll;

impl Approver for ApproveAll {
    fn ask(&mut self, p: &Proposal, _: usize, _: usize) -> io::Result<Choice> {
        Ok(if p.over_budget {
            Choice::Skip
        } else {
            Choice::Approve
        })
    }
}

/// A person at a terminal.
pub struct TerminalApprover {
    theme: ColorfulTheme,
}

impl TerminalApprover {
    pub fn new(color: bool) -> Self {
        restore_cursor_on_interrupt();
        let theme = if color {
            ColorfulTheme::default()
        } else {
            plain_theme()
        };
        TerminalApprover { theme }
    }
}

/// dialoguer hides the cursor while a prompt is up, and console (under it) turns
/// Ctrl-C at a prompt into SIGINT, which would end basket with the shopper's
/// cursor still hidden: dialoguer leaves Ctrl-C to the program (its issues 77
/// and 92). So before the first prompt, a handler is set that shows the cursor
/// again and ends with the conventional 130. The decisions taken so far are
/// already committed, each in its own transaction, so they stay (docs/cli.md).
/// `process::exit` is the only way out of a signal handler's thread; nothing is
/// left unflushed that matters, since the store commits as it goes.
fn restore_cursor_on_interrupt() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // If a handler cannot be set, Ctrl-C still ends basket, as before.
        let _ = ctrlc::set_handler(|| {
            let _ = dialoguer::console::Term::stderr().show_cursor();
            std::process::exit(130);
        });
    });
}

/// The colourful theme's layout with the colours taken out (NO_COLOR, pipes).
fn plain_theme() -> ColorfulTheme {
    use dialoguer::console::Style;
    ColorfulTheme {
        defaults_style: Style::new(),
        prompt_style: Style::new(),
        prompt_prefix: dialoguer::console::style("?".to_string()),
        prompt_suffix: dialoguer::console::style("›".to_string()),
        success_prefix: dialoguer::console::style("✔".to_string()),
        success_suffix: dialoguer::console::style("·".to_string()),
        error_prefix: dialoguer::console::style("✘".to_string()),
        error_style: Style::new(),
        hint_style: Style::new(),
        values_style: Style::new(),
        active_item_style: Style::new(),
        inactive_item_style: Style::new(),
        active_item_prefix: dialoguer::console::style("❯".to_string()),
        inactive_item_prefix: dialoguer::console::style(" ".to_string()),
        checked_item_prefix: dialoguer::console::style("✔".to_string()),
        unchecked_item_prefix: dialoguer::console::style("⬚".to_string()),
        picked_item_prefix: dialoguer::console::style("❯".to_string()),
        unpicked_item_prefix: dialoguer::console::style(" ".to_string()),
    }
}

impl Approver for TerminalApprover {
    fn ask(&mut self, p: &Proposal, position: usize, total: usize) -> io::Result<Choice> {
        let budget = if p.over_budget { " [over budget]" } else { "" };
        let prompt = format!("({position}/{total}) {}{budget} ({})", headline(p), p.rule);
        let items = ["approve", "decline", "skip (decide later)"];
        let picked = dialoguer::Select::with_theme(&self.theme)
            .with_prompt(prompt)
            .items(&items)
            .default(0)
            .interact_opt();
        match picked {
            Ok(Some(0)) => Ok(Choice::Approve),
            Ok(Some(1)) => Ok(Choice::Decline),
            Ok(Some(_)) => Ok(Choice::Skip),
            Ok(None) => Ok(Choice::Stop),
            Err(dialoguer::Error::IO(e)) if e.kind() == io::ErrorKind::Interrupted => {
                let _ = dialoguer::console::Term::stderr().show_cursor();
                Ok(Choice::Stop)
            }
            Err(dialoguer::Error::IO(e)) => Err(e),
        }
    }
}

/// Asks a yes/no question on the terminal; `false` when it cannot ask.
pub fn confirm(question: &str, color: bool) -> io::Result<bool> {
    restore_cursor_on_interrupt();
    let theme = if color {
        ColorfulTheme::default()
    } else {
        plain_theme()
    };
    match dialoguer::Confirm::with_theme(&theme)
        .with_prompt(question)
        .default(false)
        .interact_opt()
    {
        Ok(answer) => Ok(answer.unwrap_or(false)),
        Err(dialoguer::Error::IO(e)) if e.kind() == io::ErrorKind::Interrupted => {
            let _ = dialoguer::console::Term::stderr().show_cursor();
            Ok(false)
        }
        Err(dialoguer::Error::IO(e)) => Err(e),
    }
}

/// Lets the shopper pick one of several products (for `basket add`).
pub fn pick_product(products: &[Product], color: bool) -> io::Result<Option<usize>> {
    restore_cursor_on_interrupt();
    let theme = if color {
        ColorfulTheme::default()
    } else {
        plain_theme()
    };
    let items: Vec<String> = products
        .iter()
        .map(|p| format!("{} ({}, {}/{})", p.name, p.price_text(), p.feed, p.id))
        .collect();
    match dialoguer::Select::with_theme(&theme)
        .with_prompt("Which one?")
        .items(&items)
        .default(0)
        .interact_opt()
    {
        Ok(pick) => Ok(pick),
        Err(dialoguer::Error::IO(e)) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
        Err(dialoguer::Error::IO(e)) => Err(e),
    }
}

/// Lets the shopper pick one of several lines; `None` when they pick none.
pub fn pick_line(prompt: &str, items: &[String], color: bool) -> io::Result<Option<usize>> {
    restore_cursor_on_interrupt();
    let theme = if color {
        ColorfulTheme::default()
    } else {
        plain_theme()
    };
    match dialoguer::Select::with_theme(&theme)
        .with_prompt(prompt)
        .items(items)
        .default(0)
        .interact_opt()
    {
        Ok(pick) => Ok(pick),
        Err(dialoguer::Error::IO(e)) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
        Err(dialoguer::Error::IO(e)) => Err(e),
    }
}

/// One line saying what a proposal does: `add 1 × Sun cream SPF 30 (4.50 GBP)`.
pub fn headline(p: &Proposal) -> String {
    match p.action {
        ActionKind::Add => format!(
            "add {} × {} ({})",
            p.quantity,
            p.product.name,
            p.product.price_text()
        ),
        ActionKind::Remove => format!("remove {} × {}", p.quantity, p.product.name),
        ActionKind::Swap => format!(
            "swap {} for {} ({})",
            p.replaces.as_ref().map_or("?", |r| r.name.as_str()),
            p.product.name,
            p.product.price_text()
        ),
    }
}
