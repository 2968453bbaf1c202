//! `[notify.email]`: the message as a plain-text and HTML email over SMTP
//! (lettre, rustls), with the password from the environment or a command.

use super::{redact_secrets, Message, NotifyError, SEND_TIMEOUT};
use crate::rules::{EmailConfig, SmtpTls};

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

pub(super) fn send(cfg: &EmailConfig, msg: &Message) -> Result<String, NotifyError> {
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
}
