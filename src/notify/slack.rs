//! `[notify.slack]`: an incoming webhook (the URL is the secret, from
//! `url_env`): `text` for the notification, and `blocks` with one section per
//! product, in mrkdwn with `&`, `<` and `>` escaped as Slack asks.

use super::compose::{compose, truncate, Markup};
use super::http::{env_url, host_of, url_secrets, Call};
use reqwest::header::CONTENT_TYPE;

use super::http::JSON;
use super::{Entry, Message, NotifyError};
use crate::rules::HookConfig;

/// Slack's limits: blocks per message, characters of a section's text, and
/// of `text` (which it truncates beyond).
const BLOCKS: usize = 50;
const SECTION: usize = 3000;
const TEXT: usize = 3000;

pub(super) fn send(cfg: &HookConfig, msg: &Message) -> Result<String, NotifyError> {
    let (url, raw) = env_url("slack", &cfg.url_env)?;
    let call = Call {
        service: "slack",
        host: host_of(&url),
        secrets: url_secrets(&raw, &url),
    };
    let body = serde_json::json!({
        "text": compose(msg, &Mrkdwn, TEXT),
        "blocks": blocks(msg),
        "unfurl_links": false,
    });
    let answer = call.send(|c| {
        c.post(url.clone())
            .header(CONTENT_TYPE, JSON)
            .body(body.to_string())
    })?;
    Ok(call.answered(answer.body.trim()))
}

/// Slack's mrkdwn: `*bold*`, `<url|text>`.
struct Mrkdwn;

impl Markup for Mrkdwn {
    fn text(&self, s: &str) -> String {
        escape(s)
    }
    fn bold(&self, s: &str) -> String {
        format!("*{}*", escape(s))
    }
    fn entry(&self, e: &Entry) -> String {
        let name = match &e.url {
            // `|` ends a link's URL part; the name may not hold `>` (escaped).
            Some(u) => format!("<{}|{}>", escape(u).replace('|', "%7C"), escape(&e.name)),
            None => escape(&e.name),
        };
        format!("• {name} ({})", escape(&e.detail))
    }
}

fn section(text: &str) -> serde_json::Value {
    serde_json::json!({
        "type": "section",
        "text": { "type": "mrkdwn", "text": truncate(text, SECTION) },
    })
}

fn context(text: &str) -> serde_json::Value {
    serde_json::json!({
        "type": "context",
        "elements": [{ "type": "mrkdwn", "text": truncate(text, SECTION) }],
    })
}

/// The title, then each rule's title and products, one block each, while
/// Slack's 50 blocks last (keeping two for "and N more" and the footer).
fn blocks(msg: &Message) -> Vec<serde_json::Value> {
    let m = Mrkdwn;
    let mut out = vec![section(&m.bold(&msg.subject))];
    if msg.sections.is_empty() {
        out.push(section(&m.text(&msg.text)));
        return out;
    }
    let total: usize = msg.sections.iter().map(|s| s.entries.len()).sum();
    let room = BLOCKS - 2;
    let mut shown = 0;
    'sections: for s in &msg.sections {
        for (i, e) in s.entries.iter().enumerate() {
            let text = if i == 0 {
                format!("{}\n{}", m.bold(&s.title), m.entry(e))
            } else {
                m.entry(e)
            };
            if out.len() >= room {
                break 'sections;
            }
            out.push(section(&text));
            shown += 1;
        }
    }
    if shown < total {
        out.push(context(&m.text(&format!("… and {} more", total - shown))));
    }
    if let Some(f) = &msg.footer {
        out.push(context(&m.text(f)));
    }
    out
}

/// Slack's escaping: only `&`, `<` and `>`, which its markup uses.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
