//! The one way the chat and push channels talk HTTP: the shared blocking client
//! with its timeout, a bounded wait on `429 Retry-After`, and errors that name
//! the service and the host only (`telegram: HTTP 401 from api.telegram.org:
//! Unauthorized`). The URL is never shown (Telegram's holds the bot token,
//! Slack's and Discord's are the secret), and whatever the server says back is
//! scrubbed of every secret of the request before anyone sees it.

use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder};
use reqwest::{StatusCode, Url};

use super::{http_client, redact_secrets, NotifyError};

/// The longest a run waits for a service that asked to slow down, over all
/// retries of one message: cron runs must end. A longer wait is an error, and
/// the message stays queued for the next run.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// How many times a 429 is retried.
const MAX_RETRIES: u32 = 2;
/// The content type of the JSON bodies (reqwest's `json` feature is not built).
pub(super) const JSON: &str = "application/json";
/// How much of an answer is kept for messages.
const ANSWER_CHARS: usize = 200;

/// The environment variable `var`, or an error naming it.
pub(super) fn env_secret(var: &str) -> Result<String, NotifyError> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => Err(NotifyError::MissingEnv(var.to_string())),
    }
}

/// A URL from the environment (`url_env`): parsed, and an error naming the
/// variable, never the value, when it is not a URL.
pub(super) fn env_url(service: &str, var: &str) -> Result<(Url, String), NotifyError> {
    let raw = env_secret(var)?;
    match Url::parse(&raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok((u, raw)),
        _ => Err(NotifyError::Config(format!(
            "{service}: {var} does not hold an http(s) URL"
        ))),
    }
}

/// What the secrets of a URL look like when a server quotes them: the whole
/// URL, its path, and each long path segment and query value (Discord's and
/// Slack's tokens are path segments).
pub(super) fn url_secrets(raw: &str, url: &Url) -> Vec<String> {
    let mut out = vec![
        raw.to_string(),
        url.as_str().to_string(),
        url.path().to_string(),
    ];
    if let Some(segments) = url.path_segments() {
        out.extend(segments.filter(|s| s.len() >= 16).map(str::to_string));
    }
    out.extend(url.query_pairs().map(|(_, v)| v.into_owned()));
    out
}

/// `host` or `host:port`, for messages.
pub(super) fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("(no host)");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// A service's answer with a 2xx status.
pub(super) struct Answer {
    pub status: StatusCode,
    pub body: String,
}

impl Answer {
    /// The body as JSON, or an error saying what came instead.
    pub(super) fn json(&self, call: &Call) -> Result<serde_json::Value, NotifyError> {
        serde_json::from_str(&self.body).map_err(|_| call.error(self.status, &self.body))
    }
}

/// One request to one service: who it is (for messages), where, and the
/// secrets to scrub from anything shown.
pub(super) struct Call<'a> {
    pub service: &'a str,
    pub host: String,
    pub secrets: Vec<String>,
}

impl Call<'_> {
    /// Sends the request `build` makes, again after a short `429 Retry-After`.
    pub(super) fn send(
        &self,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Answer, NotifyError> {
        let client = http_client()?;
        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        loop {
            let resp = build(&client).send().map_err(|e| self.unreachable(&e))?;
            let status = resp.status();
            let retry_after = header_seconds(resp.headers());
            let body = read_body(resp);
            if status.is_success() {
                if looks_like_html(&body) {
                    return Err(self.error(status, &body));
                }
                return Ok(Answer { status, body });
            }
            if status == StatusCode::TOO_MANY_REQUESTS && attempt < MAX_RETRIES {
                let wait = retry_after.or_else(|| body_seconds(&body));
                if let Some(wait) = wait.filter(|w| waited + *w <= MAX_RETRY_WAIT) {
                    std::thread::sleep(wait);
                    waited += wait;
                    attempt += 1;
                    continue;
                }
            }
            return Err(self.error(status, &body));
        }
    }

    /// `service: HTTP 401 from host: what the service said`.
    pub(super) fn error(&self, status: StatusCode, body: &str) -> NotifyError {
        let said = redact_secrets(&describe(status, body), &self.secrets);
        NotifyError::Send(format!(
            "{}: HTTP {} from {}: {said}",
            self.service,
            status.as_u16(),
            self.host
        ))
    }

    /// A 2xx answer that is not what the service sends on success.
    pub(super) fn unexpected(&self, what: &str) -> NotifyError {
        NotifyError::Send(format!(
            "{}: unexpected answer from {}: {}",
            self.service,
            self.host,
            redact_secrets(what, &self.secrets)
        ))
    }

    /// The server's words on success, scrubbed, for `--verbose` and the outbox.
    pub(super) fn answered(&self, what: &str) -> String {
        redact_secrets(what, &self.secrets)
    }

    fn unreachable(&self, e: &reqwest::Error) -> NotifyError {
        // reqwest's own message carries the URL, and with it the token.
        let mut cause = kind_of(e).to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            cause.push_str(": ");
            cause.push_str(&s.to_string());
            source = s.source();
        }
        NotifyError::Send(format!(
            "{}: cannot reach {}: {}",
            self.service,
            self.host,
            redact_secrets(&cause, &self.secrets)
        ))
    }
}

/// What kind of failure `e` is, in words without its URL.
fn kind_of(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else {
        "the request failed"
    }
}

/// The body, at most 64 KiB of it: an answer is a short JSON object.
fn read_body(resp: reqwest::blocking::Response) -> String {
    use std::io::Read;
    let mut buf = Vec::new();
    let _ = resp.take(64 * 1024).read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

fn looks_like_html(body: &str) -> bool {
    let start = body.trim_start().get(..15).unwrap_or(body.trim_start());
    start.to_ascii_lowercase().starts_with("<!doctype html") || start.starts_with("<html")
}

/// `Retry-After: 5` (seconds; a date is not waited for).
fn header_seconds(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// Discord's `retry_after` and Telegram's `parameters.retry_after`, in seconds.
fn body_seconds(body: &str) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v.get("retry_after")
        .or_else(|| v.pointer("/parameters/retry_after"))
        .and_then(serde_json::Value::as_f64)
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// What a service said, in a few words: the error field of its JSON (each names
/// it differently), or the first line of its text; an HTML page is said to be one.
fn describe(status: StatusCode, body: &str) -> String {
    let reason = status.canonical_reason().unwrap_or("error").to_string();
    if looks_like_html(body) {
        return format!(
            "{reason} (the answer is an HTML page, not the service's API: check the URL)"
        );
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        let s = |k: &str| v.get(k).and_then(serde_json::Value::as_str);
        // Matrix: errcode and error.
        if let (Some(code), Some(err)) = (s("errcode"), s("error")) {
            return format!("{code}: {err}");
        }
        // Pushover: a list of errors.
        if let Some(list) = v.get("errors").and_then(serde_json::Value::as_array) {
            let words: Vec<&str> = list.iter().filter_map(serde_json::Value::as_str).collect();
            if !words.is_empty() {
                return words.join("; ");
            }
        }
        // Telegram, Discord, Gotify, in that order.
        for key in ["description", "message", "errorDescription", "error"] {
            if let Some(text) = s(key).filter(|t| !t.trim().is_empty()) {
                return short(text);
            }
        }
        return reason;
    }
    match body.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => short(line),
        None => reason,
    }
}

fn short(s: &str) -> String {
    super::compose::truncate(s.trim(), ANSWER_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_services_error_field_is_what_is_said() {
        let cases = [
            (
                r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
                "Unauthorized",
            ),
            (
                r#"{"message": "Unknown Webhook", "code": 10015}"#,
                "Unknown Webhook",
            ),
            (
                r#"{"errcode":"M_NOT_FOUND","error":"Room not found"}"#,
                "M_NOT_FOUND: Room not found",
            ),
            (
                r#"{"user":"invalid","errors":["user identifier is invalid"],"status":0}"#,
                "user identifier is invalid",
            ),
            (
                r#"{"error":"Unauthorized","errorCode":401,"errorDescription":"you need to provide a valid access token"}"#,
                "you need to provide a valid access token",
            ),
            ("invalid_token", "invalid_token"),
            ("", "Unauthorized"),
        ];
        for (body, said) in cases {
            assert_eq!(describe(StatusCode::UNAUTHORIZED, body), said, "{body}");
        }
        assert!(describe(StatusCode::BAD_GATEWAY, "<!DOCTYPE html><html>").contains("HTML page"));
    }

    #[test]
    fn retry_after_comes_from_the_header_or_the_body() {
        assert_eq!(
            body_seconds(r#"{"retry_after": 1.5, "global": false}"#),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            body_seconds(r#"{"ok":false,"parameters":{"retry_after":7}}"#),
            Some(Duration::from_secs(7))
        );
        assert_eq!(body_seconds("slow down"), None);
    }
}
