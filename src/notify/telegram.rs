//! `[notify.telegram]`: the Bot API's `sendMessage`, in HTML parse mode (the
//! one Telegram escapes simply: `&`, `<`, `>`), cut to Telegram's 4,096
//! characters. The bot token is part of the URL's path, so the URL is never shown.

use super::compose::{compose, Html};
use super::http::{env_secret, host_of, Call};
use reqwest::header::CONTENT_TYPE;

use super::http::JSON;
use super::{Message, NotifyError};
use crate::rules::TelegramConfig;

/// Telegram's limit on a message's text.
const LIMIT: usize = 4096;

pub(super) fn send(cfg: &TelegramConfig, msg: &Message) -> Result<String, NotifyError> {
    let token = env_secret(&cfg.token_env)?;
    let base = reqwest::Url::parse(&cfg.url)
        .map_err(|_| NotifyError::Config(format!("telegram: url \"{}\" is not a URL", cfg.url)))?;
    let call = Call {
        service: "telegram",
        host: host_of(&base),
        secrets: vec![format!("bot{token}"), token.clone()],
    };
    let url = format!("{}/bot{token}/sendMessage", cfg.url);
    let body = serde_json::json!({
        "chat_id": cfg.chat_id,
        "text": compose(msg, &Html, LIMIT),
        "parse_mode": "HTML",
        "link_preview_options": { "is_disabled": true },
    });
    let answer = call.send(|c| {
        c.post(&url)
            .header(CONTENT_TYPE, JSON)
            .body(body.to_string())
    })?;
    let v = answer.json(&call)?;
    if v["ok"] != serde_json::Value::Bool(true) {
        return Err(call.unexpected(&answer.body));
    }
    Ok(call.answered(&format!("message {}", v["result"]["message_id"])))
}
