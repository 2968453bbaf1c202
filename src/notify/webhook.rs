//! `[notify.webhook]`: the message POSTed to a URL, as the digest's JSON or in
//! ntfy's shape (the text as the body, the subject as a `Title` header).

use super::http::{env_url, host_of, url_secrets};
use super::{http_client, redact_secrets, redact_url, Message, NotifyError};
use crate::rules::{WebhookConfig, WebhookFormat, WebhookUrl};

pub(super) fn send(cfg: &WebhookConfig, msg: &Message) -> Result<String, NotifyError> {
    // A URL from the environment is a secret: messages name its host only.
    let (url, shown, mut secrets) = match &cfg.url {
        WebhookUrl::Literal(u) => (u.clone(), redact_url(u), Vec::new()),
        WebhookUrl::Env(var) => {
            let (u, raw) = env_url("webhook", var)?;
            (u.to_string(), host_of(&u), url_secrets(&raw, &u))
        }
    };
    let client = http_client()?;
    let ntfy = cfg.format == WebhookFormat::Ntfy;
    let mut req = if ntfy {
        // ntfy takes the message as the body and the title as a header.
        client
            .post(&url)
            .header("Title", ascii_header(&msg.subject))
            .header("Tags", "shopping_cart")
            .body(msg.text.clone())
    } else {
        client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(msg.json.to_string())
    };
    for (name, var) in &cfg.headers_env {
        let value = std::env::var(var).map_err(|_| NotifyError::MissingEnv(var.clone()))?;
        // `Bearer t0ken`: the server may quote the token alone.
        secrets.extend(value.split_whitespace().map(str::to_string));
        secrets.push(value.clone());
        req = req.header(name.as_str(), value);
    }
    let resp = req.send().map_err(|e| {
        // reqwest's message repeats the URL, which may hold a token.
        NotifyError::Send(format!(
            "webhook {}: {}",
            shown,
            redact_secrets(&e.without_url().to_string(), &secrets)
        ))
    })?;
    let status = resp.status();
    let body: String = resp.text().unwrap_or_default().chars().take(200).collect();
    // The answer is shown (`--verbose`, warnings, the outbox); a server that
    // echoes the request's headers must not make basket print the token.
    let answer = redact_secrets(&format!("HTTP {status} {}", body.trim()), &secrets);
    if status.is_success() {
        Ok(answer.trim().to_string())
    } else {
        Err(NotifyError::Send(format!(
            "webhook {}: {}",
            shown,
            answer.trim()
        )))
    }
}

/// Headers are ASCII: replace what is not (ntfy's Title).
fn ascii_header(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect()
}
