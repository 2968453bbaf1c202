//! Telling the shopper, away from the terminal: a digest of what is new (the
//! `notify` rules' finds and the proposals that became pending), sent by email
//! (SMTP, lettre) or to a webhook (JSON, or ntfy's plain text).
//!
//! Messages are composed here and queued in the store's outbox by the command
//! before any send, so a failed send is retried on the next run: never lost, and
//! never sent twice. Secrets come from the environment or a command, never from
//! the rules file, and never appear in a message, an error or a log line.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Notification, Proposal};
use crate::output::report::{price_of, NotificationView, ProposalView};
use crate::rules::{EmailConfig, NotifyConfig, SmtpTls, WebhookConfig, WebhookFormat};

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

/// What is new this run, for one channel.
pub struct Digest<'a> {
    pub notifications: Vec<&'a Notification>,
    pub proposals: Vec<&'a Proposal>,
    pub now: DateTime<Utc>,
}

impl<'a> Digest<'a> {
    /// The digest for `channel`: the notifications of rules that send there, and
    /// the new proposals (which go to every channel).
    pub fn for_channel(
        channel: &str,
        notifications: &'a [Notification],
        proposals: &'a [Proposal],
        now: DateTime<Utc>,
    ) -> Digest<'a> {
        Digest {
            notifications: notifications
                .iter()
                .filter(|n| n.new && n.channels.iter().any(|c| c == channel))
                .collect(),
            proposals: proposals
                .iter()
                .filter(|p| p.status == crate::model::ProposalStatus::New)
                .collect(),
            now,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.notifications.is_empty() && self.proposals.is_empty()
    }

    pub fn message(&self) -> Message {
        let notifications: Vec<NotificationView> =
            self.notifications.iter().map(|n| (*n).into()).collect();
        let proposals: Vec<ProposalView> = self.proposals.iter().map(|p| (*p).into()).collect();
        Message {
            subject: subject(&notifications, &proposals),
            text: text_body(&notifications, &proposals),
            html: html_body(&notifications, &proposals),
            json: serde_json::json!({
                "source": "basket",
                "sent_at": self.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "notifications": notifications,
                "proposals": proposals,
            }),
        }
    }
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

fn subject(notifications: &[NotificationView], proposals: &[ProposalView]) -> String {
    let mut parts = Vec::new();
    if !proposals.is_empty() {
        parts.push(format!(
            "{} new proposal{}",
            proposals.len(),
            if proposals.len() == 1 { "" } else { "s" }
        ));
    }
    for n in notifications {
        parts.push(n.rule.clone());
    }
    format!("basket: {}", parts.join(", "))
}

fn text_body(notifications: &[NotificationView], proposals: &[ProposalView]) -> String {
    let mut out = Vec::new();
    for n in notifications {
        out.push(format!("{}:", n.rule));
        for p in &n.products {
            let was = p
                .regular_price
                .as_ref()
                .map(|r| format!(", was {r}"))
                .unwrap_or_default();
            let link = p.url.as_ref().map(|u| format!(" {u}")).unwrap_or_default();
            out.push(format!("  - {} ({}{was}){link}", p.name, price_of(p)));
        }
        out.push(String::new());
    }
    if !proposals.is_empty() {
        out.push("New proposals, waiting for your decision:".into());
        for p in proposals {
            let what = match &p.replaces {
                Some(r) => format!("swap {} for {}", r.name, p.product.name),
                None => format!("{} {}", p.action, p.product.name),
            };
            out.push(format!(
                "  - {what} ({}): {} [{}]",
                price_of(&p.product),
                p.reason,
                p.rule
            ));
        }
        out.push(String::new());
        out.push("Decide with: basket review".into());
    }
    out.join("\n")
}

fn html_body(notifications: &[NotificationView], proposals: &[ProposalView]) -> String {
    let mut out = String::from("<html><body>");
    for n in notifications {
        out.push_str(&format!("<h3>{}</h3><table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr><th>product</th><th>price</th><th>was</th></tr>", escape(&n.rule)));
        for p in &n.products {
            let name = match &p.url {
                Some(u) => format!("<a href=\"{}\">{}</a>", escape(u), escape(&p.name)),
                None => escape(&p.name),
            };
            out.push_str(&format!(
                "<tr><td>{name}</td><td>{}</td><td>{}</td></tr>",
                escape(&price_of(p)),
                escape(p.regular_price.as_deref().unwrap_or(""))
            ));
        }
        out.push_str("</table>");
    }
    if !proposals.is_empty() {
        out.push_str("<h3>New proposals</h3><table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr><th>action</th><th>product</th><th>price</th><th>rule</th><th>reason</th></tr>");
        for p in proposals {
            let product = match &p.replaces {
                Some(r) => format!("{} → {}", escape(&r.name), escape(&p.product.name)),
                None => escape(&p.product.name),
            };
            out.push_str(&format!(
                "<tr><td>{}</td><td>{product}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&p.action),
                escape(&price_of(&p.product)),
                escape(&p.rule),
                escape(&p.reason)
            ));
        }
        out.push_str("</table><p>Decide with <code>basket review</code>.</p>");
    }
    out.push_str("</body></html>");
    out
}

fn escape(s: &str) -> String {
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
            Some(e) => send_email(e, msg),
            None => Err(NotifyError::NotConfigured(channel.into())),
        },
        "webhook" => match &config.webhook {
            Some(w) => send_webhook(w, msg),
            None => Err(NotifyError::NotConfigured(channel.into())),
        },
        other => Err(NotifyError::NotConfigured(other.into())),
    }
}

/// The SMTP password, from the environment or a command; never from the file.
fn smtp_password(cfg: &EmailConfig) -> Result<Option<String>, NotifyError> {
    if let Some(var) = &cfg.password_env {
        return match std::env::var(var) {
            Ok(v) => Ok(Some(v)),
            Err(_) => Err(NotifyError::MissingEnv(var.clone())),
        };
    }
    if let Some(cmd) = &cfg.password_command {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .map_err(|e| NotifyError::PasswordCommand(e.to_string()))?;
        if !out.status.success() {
            return Err(NotifyError::PasswordCommand(format!(
                "`{cmd}` exited with {}",
                out.status
            )));
        }
        let pw = String::from_utf8_lossy(&out.stdout)
            .trim_end_matches(['\r', '\n'])
            .to_string();
        return Ok(Some(pw));
    }
    Ok(None)
}

/// `host:port` and the TLS mode: STARTTLS on 587 (default), implicit TLS on 465,
/// plain only when the rules file says `tls = "none"` (a local relay).
fn smtp_endpoint(cfg: &EmailConfig) -> Result<(String, u16, &'static str), NotifyError> {
    let (host, port) = match cfg.smtp.rsplit_once(':') {
        Some((h, p)) => {
            let port = p.parse::<u16>().map_err(|_| {
                NotifyError::Config(format!(
                    "smtp \"{}\": port \"{p}\" is not a number",
                    cfg.smtp
                ))
            })?;
            (h.to_string(), Some(port))
        }
        None => (cfg.smtp.clone(), None),
    };
    let mode = match (cfg.tls, port) {
        (Some(SmtpTls::Plain), _) => "none",
        (Some(SmtpTls::Tls), _) | (None, Some(465)) => "tls",
        _ => "starttls",
    };
    let port = port.unwrap_or(match mode {
        "tls" => 465,
        "none" => 25,
        _ => 587,
    });
    Ok((host, port, mode))
}

fn send_email(cfg: &EmailConfig, msg: &Message) -> Result<String, NotifyError> {
    use lettre::message::{Mailbox, MultiPart};
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{SmtpTransport, Transport};

    let from: Mailbox = cfg
        .from
        .parse()
        .map_err(|e| NotifyError::Config(format!("from \"{}\": {e}", cfg.from)))?;
    let mut builder = lettre::Message::builder().from(from).subject(&msg.subject);
    for to in &cfg.to {
        let mb: Mailbox = to
            .parse()
            .map_err(|e| NotifyError::Config(format!("to \"{to}\": {e}")))?;
        builder = builder.to(mb);
    }
    let email = builder
        .multipart(MultiPart::alternative_plain_html(
            msg.text.clone(),
            msg.html.clone(),
        ))
        .map_err(|e| NotifyError::Config(format!("cannot build the email: {e}")))?;

    let (host, port, mode) = smtp_endpoint(cfg)?;
    let transport = match mode {
        "none" => SmtpTransport::builder_dangerous(&host),
        "tls" => SmtpTransport::relay(&host)
            .map_err(|e| NotifyError::Config(format!("smtp {host}: {e}")))?,
        _ => SmtpTransport::starttls_relay(&host)
            .map_err(|e| NotifyError::Config(format!("smtp {host}: {e}")))?,
    };
    let mut transport = transport.port(port).timeout(Some(SEND_TIMEOUT));
    let mut secrets = Vec::new();
    if let Some(user) = &cfg.username {
        let password = smtp_password(cfg)?.unwrap_or_default();
        secrets.push(password.clone());
        transport = transport.credentials(Credentials::new(user.clone(), password));
    }
    let mailer = transport.build();
    // The server's words are shown (`--verbose`, warnings, the outbox): a
    // server that quotes the credentials back must not make basket print them.
    match mailer.send(&email) {
        Ok(resp) => Ok(redact_secrets(
            &format!(
                "{} {}",
                resp.code(),
                resp.message().collect::<Vec<_>>().join(" ")
            ),
            &secrets,
        )),
        Err(e) => Err(NotifyError::Send(redact_secrets(
            &format!("SMTP {host}:{port}: {e}"),
            &secrets,
        ))),
    }
}

fn send_webhook(cfg: &WebhookConfig, msg: &Message) -> Result<String, NotifyError> {
    let client = reqwest::blocking::Client::builder()
        .timeout(SEND_TIMEOUT)
        .user_agent(concat!("basket/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| NotifyError::Send(format!("cannot set up HTTP: {e}")))?;
    let ntfy = cfg.format == WebhookFormat::Ntfy;
    let mut req = if ntfy {
        // ntfy takes the message as the body and the title as a header.
        client
            .post(&cfg.url)
            .header("Title", ascii_header(&msg.subject))
            .header("Tags", "shopping_cart")
            .body(msg.text.clone())
    } else {
        client
            .post(&cfg.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(msg.json.to_string())
    };
    let mut secrets = Vec::new();
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
            redact_url(&cfg.url),
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
            redact_url(&cfg.url),
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

/// `text` with every secret of 4 characters or more replaced by `[redacted]`
/// (shorter ones, like `Bearer`, would only mangle the text).
fn redact_secrets(text: &str, secrets: &[String]) -> String {
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

    fn email(smtp: &str, tls: Option<&str>) -> EmailConfig {
        EmailConfig {
            smtp: smtp.into(),
            from: "basket@example.com".into(),
            to: vec!["me@example.com".into()],
            username: None,
            password_env: None,
            password_command: None,
            tls: tls.map(|t| SmtpTls::parse(t).expect("a tls mode")),
        }
    }

    #[test]
    fn tls_mode_follows_port_and_config() {
        assert_eq!(
            smtp_endpoint(&email("smtp.example.com:587", None)).ok(),
            Some(("smtp.example.com".into(), 587, "starttls"))
        );
        assert_eq!(
            smtp_endpoint(&email("smtp.example.com:465", None)).ok(),
            Some(("smtp.example.com".into(), 465, "tls"))
        );
        assert_eq!(
            smtp_endpoint(&email("smtp.example.com", None)).ok(),
            Some(("smtp.example.com".into(), 587, "starttls"))
        );
        assert_eq!(
            smtp_endpoint(&email("127.0.0.1:2525", Some("none"))).ok(),
            Some(("127.0.0.1".into(), 2525, "none"))
        );
    }

    #[test]
    fn password_comes_from_a_command_without_its_newline() {
        let mut cfg = email("x:25", None);
        cfg.password_command = Some("printf 's3cret\\n'".into());
        assert_eq!(
            smtp_password(&cfg).ok().flatten().as_deref(),
            Some("s3cret")
        );
        cfg.password_command = Some("exit 3".into());
        let err = smtp_password(&cfg).expect_err("failing command");
        assert!(!err.to_string().contains("s3cret"));
    }

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
