//! Telling the shopper, away from the terminal: a digest of what is new (the
//! `notify` rules' finds and the proposals that became pending), sent by email
//! (SMTP, lettre), to a webhook (JSON, or ntfy's plain text), or to a chat or
//! push service (Telegram, Discord, Slack, Gotify, Matrix, Pushover), one file
//! each, in the service's own payload and markup.
//!
//! Messages are composed here and queued in the store's outbox by the command
//! before any send, so a failed send is retried on the next run: never lost, and
//! never sent twice. Secrets come from the environment or a command, never from
//! the rules file, and never appear in a message, an error or a log line.

mod compose;
mod digest;
mod discord;
mod email;
mod gotify;
mod http;
mod matrix;
mod pushover;
mod slack;
mod telegram;
mod webhook;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::rules::{Channel, NotifyConfig, WebhookUrl};

pub use digest::Digest;

const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// One message, ready for any channel: queued as JSON in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The webhook's JSON body.
    pub json: serde_json::Value,
    /// The products, for the channels that lay them out in their own markup
    /// and cut them to their length limit. Empty for a test message, and in
    /// messages queued before the chat channels existed: those send `text`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
    /// A last line after the products ("Decide with: basket review").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
}

/// One rule's finds, or the new proposals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    pub entries: Vec<Entry>,
}

/// One product line: `name (detail)`, linked to `url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub detail: String,
    pub url: Option<String>,
}

/// A message that says only that the channel works (`basket notify test`).
pub fn test_message(now: DateTime<Utc>) -> Message {
    let text = format!(
        "This is a test message from basket, sent at {}.\nIf you can read it, this channel works.",
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    Message {
        subject: "basket: test message".into(),
        html: format!("<p>{}</p>", escape(&text).replace('\n', "<br>")),
        json: serde_json::json!({ "source": "basket", "test": true, "message": text }),
        text,
        sections: Vec::new(),
        footer: None,
    }
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("channel '{0}' is not configured in the rules file")]
    NotConfigured(String),
    #[error("{0}")]
    Config(String),
    #[error("the password command failed: {0}")]
    PasswordCommand(String),
    #[error("environment variable {0} is not set")]
    MissingEnv(String),
    #[error("{0}")]
    Send(String),
}

/// Sends `msg` on `channel` (as the outbox stores it); returns what the server
/// said. `id` names this message for good (the outbox entry's): a service
/// that deduplicates (Matrix's transaction id) sees a retry as the same message.
pub fn send(
    config: &NotifyConfig,
    channel: &str,
    msg: &Message,
    id: &str,
) -> Result<String, NotifyError> {
    let missing = || NotifyError::NotConfigured(channel.into());
    let Some(c) = Channel::parse(channel) else {
        return Err(missing());
    };
    let sent = match c {
        Channel::Email => email::send(config.email.as_ref().ok_or_else(missing)?, msg),
        Channel::Webhook => webhook::send(config.webhook.as_ref().ok_or_else(missing)?, msg),
        Channel::Telegram => telegram::send(config.telegram.as_ref().ok_or_else(missing)?, msg),
        Channel::Discord => discord::send(config.discord.as_ref().ok_or_else(missing)?, msg),
        Channel::Slack => slack::send(config.slack.as_ref().ok_or_else(missing)?, msg),
        Channel::Gotify => gotify::send(config.gotify.as_ref().ok_or_else(missing)?, msg),
        Channel::Matrix => matrix::send(config.matrix.as_ref().ok_or_else(missing)?, msg, id),
        Channel::Pushover => pushover::send(config.pushover.as_ref().ok_or_else(missing)?, msg),
    };
    // Each channel scrubs its own secrets; this scrubs every channel's too,
    // so no answer can show a secret of another (a relay quoting them all).
    let secrets = all_secrets(config);
    match sent {
        Ok(answer) => Ok(redact_secrets(&answer, &secrets)),
        Err(NotifyError::Send(e)) => Err(NotifyError::Send(redact_secrets(&e, &secrets))),
        Err(other) => Err(other),
    }
}

/// The values of every environment variable the `[notify.*]` tables name, in
/// the shapes a server might quote them (a header's words, a URL's parts).
fn all_secrets(config: &NotifyConfig) -> Vec<String> {
    let mut vars: Vec<&str> = Vec::new();
    if let Some(e) = &config.email {
        vars.extend(e.password_env.as_deref());
    }
    if let Some(w) = &config.webhook {
        vars.extend(w.headers_env.iter().map(|(_, v)| v.as_str()));
        if let WebhookUrl::Env(v) = &w.url {
            vars.push(v);
        }
    }
    if let Some(t) = &config.telegram {
        vars.push(&t.token_env);
    }
    for h in [&config.discord, &config.slack].into_iter().flatten() {
        vars.push(&h.url_env);
    }
    if let Some(g) = &config.gotify {
        vars.push(&g.token_env);
    }
    if let Some(m) = &config.matrix {
        vars.push(&m.token_env);
    }
    if let Some(p) = &config.pushover {
        vars.extend([p.user_env.as_str(), p.token_env.as_str()]);
    }
    let mut out = Vec::new();
    for value in vars.into_iter().filter_map(|v| std::env::var(v).ok()) {
        out.extend(value.split_whitespace().map(str::to_string));
        if let Ok(u) = reqwest::Url::parse(value.trim()) {
            out.extend(http::url_secrets(value.trim(), &u));
        }
        out.push(value);
    }
    out
}

/// The id of an outbox entry's message, stable across its retries. The time
/// it was queued is part of it, so a store started afresh (ids from 1 again)
/// does not reuse an id a service remembers.
pub fn message_id(entry: i64, queued_at: DateTime<Utc>) -> String {
    format!("basket-{entry}-{}", queued_at.timestamp())
}

/// The id of a `basket notify test` message: each test is a new message.
pub fn test_id(now: DateTime<Utc>) -> String {
    format!("basket-test-{}", now.timestamp_millis())
}

/// One blocking HTTP client per send, with the timeout every send gets
/// (docs/architecture.md, "Choices").
fn http_client() -> Result<reqwest::blocking::Client, NotifyError> {
    reqwest::blocking::Client::builder()
        .timeout(SEND_TIMEOUT)
        .user_agent(concat!("basket/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| NotifyError::Send(format!("cannot set up HTTP: {e}")))
}

/// `text` with every secret of 4 characters or more replaced by `[redacted]`
/// (shorter ones, like `Bearer`, would only mangle the text).
pub(crate) fn redact_secrets(text: &str, secrets: &[String]) -> String {
    let mut secrets: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .filter(|s| s.chars().count() >= 4 && !s.eq_ignore_ascii_case("bearer"))
        .collect();
    // The longest first, so `Bearer t0ken` goes whole before `t0ken` alone.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
        .into_iter()
        .fold(text.to_string(), |t, s| t.replace(s, "[redacted]"))
}

/// Drops credentials and the query (tokens often live there) from a URL for messages.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            if u.query().is_some() {
                u.set_query(Some("redacted"));
            }
            u.to_string()
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials_and_query_in_messages() {
        assert_eq!(
            redact_url("https://user:pw@hooks.example/x?token=abc"),
            "https://hooks.example/x?redacted"
        );
    }

    #[test]
    fn secrets_quoted_back_by_a_server_are_redacted() {
        let secrets = vec![
            "Bearer t0ken-xyz".to_string(),
            "t0ken-xyz".to_string(),
            "Bearer".to_string(),
            "pw".to_string(),
        ];
        assert_eq!(
            redact_secrets("401 bad Bearer t0ken-xyz (t0ken-xyz) pw", &secrets),
            "401 bad [redacted] ([redacted]) pw"
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape("<b>&\"</b>"), "&lt;b&gt;&amp;&quot;&lt;/b&gt;");
    }
}
