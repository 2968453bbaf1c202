//! Telling the shopper, away from the terminal: a digest of what is new (the
//! `notify` rules' finds and the proposals that became pending), sent by email
//! (SMTP, lettre) or to a webhook (JSON, or ntfy's plain text).
//!
//! Messages are composed here and queued in the store's outbox by the command
//! before any send, so a failed send is retried on the next run: never lost, and
//! never sent twice. Secrets come from the environment or a command, never from
//! the rules file, and never appear in a message, an error or a log line.

mod digest;
mod email;
mod webhook;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::rules::NotifyConfig;

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

/// Sends `msg` on `channel` ("email" or "webhook"); returns what the server said.
pub fn send(config: &NotifyConfig, channel: &str, msg: &Message) -> Result<String, NotifyError> {
    match channel {
        "email" => match &config.email {
            Some(e) => email::send(e, msg),
            None => Err(NotifyError::NotConfigured(channel.into())),
        },
        "webhook" => match &config.webhook {
            Some(w) => webhook::send(w, msg),
            None => Err(NotifyError::NotConfigured(channel.into())),
        },
        other => Err(NotifyError::NotConfigured(other.into())),
    }
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
