//! `basket notify test [CHANNEL]`: proves a channel works, showing exactly what
//! the server answered.

use crate::context::Context;
use crate::error::{CmdResult, Failure};
use crate::notify;

const HINT: &str = "add a [notify.NAME] table to the rules file: email, webhook, telegram, \
                    discord, slack, gotify, matrix or pushover (docs/rules.md)";

pub fn test(ctx: &Context, channel: Option<&str>) -> CmdResult {
    let ruleset = ctx.load_rules()?;
    let configured = ruleset.notify.channels();
    let channels: Vec<String> = match channel {
        Some(c) if configured.iter().any(|x| x == c) => vec![c.to_string()],
        Some(c) => {
            return Err(Failure::usage(format!("channel '{c}' is not configured")).with_hint(HINT))
        }
        None if configured.is_empty() => {
            return Err(Failure::usage("no notification channel is configured").with_hint(HINT))
        }
        None => configured,
    };
    let message = notify::test_message(ctx.now);
    let id = notify::test_id(ctx.now);
    let mut failed = 0;
    for c in &channels {
        match notify::send(&ruleset.notify, c, &message, &id) {
            Ok(answer) => println!("{c}: sent; the server answered: {answer}"),
            Err(e) => {
                failed += 1;
                eprintln!("{c}: not sent: {e}");
            }
        }
    }
    if failed > 0 {
        return Err(Failure::failed(format!(
            "{failed} of {} channel{} failed",
            channels.len(),
            if channels.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}
