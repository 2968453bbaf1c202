//! `[notify]`: the channels `notify` rules send to; `[notify.email]` and
//! `[notify.webhook]` here, the chat and push services in `channels.rs`.

use super::channels::url_secret;
use super::{closest, Parser, Value};
use crate::rules::{
    Channel, EmailConfig, NotifyConfig, SmtpTls, WebhookConfig, WebhookFormat, WebhookUrl,
};

const EMAIL_KEYS: &[&str] = &[
    "smtp",
    "from",
    "to",
    "username",
    "password_env",
    "password_command",
    "tls",
];
const WEBHOOK_KEYS: &[&str] = &["url", "url_env", "format", "headers"];

impl Parser<'_> {
    pub(super) fn notify(&mut self, v: &Value) -> NotifyConfig {
        let mut out = NotifyConfig::default();
        let Some(t) = self.table(v, "[notify]") else {
            return out;
        };
        let names = Channel::ALL.map(Channel::as_str);
        self.check_keys(t, &names, "[notify]");
        for (key, v) in t.iter() {
            match Channel::parse(key.get_ref()) {
                Some(Channel::Email) => out.email = self.email(v),
                Some(Channel::Webhook) => out.webhook = self.webhook(v),
                Some(Channel::Telegram) => out.telegram = self.telegram(v),
                Some(Channel::Discord) => out.discord = self.hook(v, "discord"),
                Some(Channel::Slack) => out.slack = self.hook(v, "slack"),
                Some(Channel::Gotify) => out.gotify = self.gotify(v),
                Some(Channel::Matrix) => out.matrix = self.matrix(v),
                Some(Channel::Pushover) => out.pushover = self.pushover(v),
                None => {}
            }
        }
        out
    }

    fn email(&mut self, v: &Value) -> Option<EmailConfig> {
        let t = self.table(v, "[notify.email]")?;
        self.check_keys(t, EMAIL_KEYS, "[notify.email]");
        let required = |p: &mut Self, key: &str| match t.get(key) {
            Some(x) => p.nonempty_string(x, key),
            None => {
                p.error(v.span(), format!("[notify.email] needs {key}"));
                None
            }
        };
        let smtp = required(self, "smtp");
        let from = required(self, "from");
        let to = match t.get("to") {
            Some(x) => self.string_list(x, "to"),
            None => {
                self.error(v.span(), "[notify.email] needs to = [\"you@example.com\"]");
                None
            }
        };
        let optional = |p: &mut Self, key: &str| t.get(key).and_then(|x| p.string(x, key));
        let username = optional(self, "username");
        let password_env = optional(self, "password_env");
        let password_command = optional(self, "password_command");
        let tls = t.get("tls").and_then(|x| self.smtp_tls(x));
        Some(EmailConfig {
            smtp: smtp?,
            from: from?,
            to: to?,
            username,
            password_env,
            password_command,
            tls,
        })
    }

    fn webhook(&mut self, v: &Value) -> Option<WebhookConfig> {
        let t = self.table(v, "[notify.webhook]")?;
        self.check_keys(t, WEBHOOK_KEYS, "[notify.webhook]");
        let url = match (t.get("url"), t.get("url_env")) {
            (Some(_), Some(e)) => {
                self.error(e.span(), "[notify.webhook] takes url or url_env, not both");
                None
            }
            (Some(u), None) => self.webhook_url(u).map(WebhookUrl::Literal),
            (None, Some(_)) => self
                .env_key(t, v, "[notify.webhook]", "url_env")
                .map(WebhookUrl::Env),
            (None, None) => {
                self.error(v.span(), "[notify.webhook] needs url (or url_env)");
                None
            }
        };
        // A bad format is reported; the channel still counts as configured, so
        // rules naming it are not reported as well.
        let format = match t.get("format") {
            Some(f) => self.webhook_format(f).unwrap_or_default(),
            None => WebhookFormat::Json,
        };
        let mut headers_env = Vec::new();
        if let Some(h) = t.get("headers") {
            if let Some(ht) = self.table(h, "headers") {
                for (name, val) in ht.iter() {
                    if let Some(env) = self.string(val, "a header's environment variable") {
                        headers_env.push((name.get_ref().to_string(), env));
                    }
                }
            }
        }
        Some(WebhookConfig {
            url: url?,
            format,
            headers_env,
        })
    }

    /// A webhook URL written in the file: refused when it carries a secret.
    fn webhook_url(&mut self, u: &Value) -> Option<String> {
        let url = self.nonempty_string(u, "url")?;
        if let Some(why) = url_secret(&url) {
            self.secret_error(
                u.span(),
                format!("[notify.webhook] url: this URL {why}"),
                "put the URL in an environment variable and write url_env = \"BASKET_WEBHOOK_URL\"",
            );
            return None;
        }
        Some(url)
    }

    /// `tls = "starttls"`, `"tls"` or `"none"`.
    fn smtp_tls(&mut self, x: &Value) -> Option<SmtpTls> {
        let s = self.string(x, "tls")?;
        let tls = SmtpTls::parse(&s);
        if tls.is_none() {
            self.error_hint(
                x.span(),
                format!("unknown tls mode '{s}'"),
                "use \"starttls\" (port 587), \"tls\" (port 465) or \"none\" (local relay only)",
            );
        }
        tls
    }

    /// `format = "json"` (the default) or `"ntfy"`. Anything else used to be sent
    /// as JSON without a word; a misspelt "ntfy" is now pointed out.
    fn webhook_format(&mut self, x: &Value) -> Option<WebhookFormat> {
        let s = self.string(x, "format")?;
        let format = WebhookFormat::parse(&s);
        if format.is_none() {
            let names = WebhookFormat::ALL.map(WebhookFormat::as_str);
            let hint = match closest(&s, &names) {
                Some(b) => format!("did you mean '{b}'?"),
                None => "format is \"json\" (the default) or \"ntfy\"".into(),
            };
            self.error_hint(x.span(), format!("unknown webhook format '{s}'"), hint);
        }
        format
    }
}
