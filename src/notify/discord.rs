//! `[notify.discord]`: an incoming webhook (the URL is the secret, from
//! `url_env`): `content` with the title, one embed per product with its link
//! (at most Discord's 10), markdown escaped, and no mentions ever pinged.

use super::compose::truncate;
use super::http::{env_url, host_of, url_secrets, Call};
use reqwest::header::CONTENT_TYPE;

use super::http::JSON;
use super::{Entry, Message, NotifyError};
use crate::rules::HookConfig;

/// Discord's limits: `content` characters, embeds per message, embed title
/// and description characters.
const CONTENT: usize = 2000;
const EMBEDS: usize = 10;
const TITLE: usize = 256;
const DESCRIPTION: usize = 1024;

pub(super) fn send(cfg: &HookConfig, msg: &Message) -> Result<String, NotifyError> {
    let (mut url, raw) = env_url("discord", &cfg.url_env)?;
    let call = Call {
        service: "discord",
        host: host_of(&url),
        secrets: url_secrets(&raw, &url),
    };
    // `wait=true`: Discord answers with the message, not an empty 204.
    url.query_pairs_mut().append_pair("wait", "true");
    let body = payload(msg);
    let answer = call.send(|c| {
        c.post(url.clone())
            .header(CONTENT_TYPE, JSON)
            .body(body.to_string())
    })?;
    let id = answer
        .json(&call)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_string));
    Ok(call.answered(&match id {
        Some(id) => format!("message {id}"),
        None => format!("HTTP {}", answer.status.as_u16()),
    }))
}

/// The webhook's JSON: the title (and the count of what did not fit) as
/// `content`, each product an embed.
fn payload(msg: &Message) -> serde_json::Value {
    let entries: Vec<(&str, &Entry)> = msg
        .sections
        .iter()
        .flat_map(|s| s.entries.iter().map(move |e| (s.title.as_str(), e)))
        .collect();
    let mut content = format!("**{}**", markdown(&msg.subject));
    if entries.is_empty() {
        content.push_str(&format!("\n{}", markdown(&msg.text)));
    }
    if entries.len() > EMBEDS {
        content.push_str(&format!("\n… and {} more", entries.len() - EMBEDS));
    }
    if let Some(f) = &msg.footer {
        content.push_str(&format!("\n{}", markdown(f)));
    }
    let embeds: Vec<serde_json::Value> = entries
        .iter()
        .take(EMBEDS)
        .map(|(section, e)| {
            let mut embed = serde_json::json!({
                // Titles are not markdown; descriptions are.
                "title": truncate(&e.name, TITLE),
                "description": truncate(&markdown(&e.detail), DESCRIPTION),
                "footer": { "text": truncate(section, TITLE) },
            });
            if let Some(u) = &e.url {
                embed["url"] = serde_json::Value::String(u.clone());
            }
            embed
        })
        .collect();
    serde_json::json!({
        "content": truncate(&content, CONTENT),
        "embeds": embeds,
        "allowed_mentions": { "parse": [] },
    })
}

/// Discord markdown escaped with backslashes, so `*half price*` stays as written.
fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']' | '(' | ')' | '-' | '<'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_escaped() {
        assert_eq!(
            markdown("*a* _b_ `c` <b>"),
            "\\*a\\* \\_b\\_ \\`c\\` \\<b\\>"
        );
    }
}
