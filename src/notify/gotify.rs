//! `[notify.gotify]`: `POST /message` on the shopper's Gotify server, with the
//! application token in the `X-Gotify-Key` header (not the query, where a
//! proxy's log would keep it), plain text, and the configured priority.

use super::compose::{compose, Plain};
use super::http::{env_secret, host_of, Call};
use reqwest::header::CONTENT_TYPE;

use super::http::JSON;
use super::{Message, NotifyError};
use crate::rules::GotifyConfig;

/// Gotify has no limit of its own; a phone's notification shows far less.
const LIMIT: usize = 8000;

pub(super) fn send(cfg: &GotifyConfig, msg: &Message) -> Result<String, NotifyError> {
    let token = env_secret(&cfg.token_env)?;
    let base = reqwest::Url::parse(&cfg.url)
        .map_err(|_| NotifyError::Config(format!("gotify: url \"{}\" is not a URL", cfg.url)))?;
    let call = Call {
        service: "gotify",
        host: host_of(&base),
        secrets: vec![token.clone()],
    };
    let url = format!("{}/message", cfg.url);
    let mut body = serde_json::json!({
        "title": msg.subject,
        "message": compose_body(msg),
    });
    if let Some(p) = cfg.priority {
        body["priority"] = p.into();
    }
    let answer = call.send(|c| {
        c.post(&url)
            .header("X-Gotify-Key", token.as_str())
            .header(CONTENT_TYPE, JSON)
            .body(body.to_string())
    })?;
    let v = answer.json(&call)?;
    Ok(call.answered(&format!("message {}", v["id"])))
}

/// The body without the title, which Gotify shows on its own.
fn compose_body(msg: &Message) -> String {
    let text = compose(msg, &Plain, LIMIT);
    text.strip_prefix(&msg.subject)
        .map(|t| t.trim_start().to_string())
        .unwrap_or(text)
}
