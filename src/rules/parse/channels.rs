//! `[notify.telegram]`, `[notify.discord]`, `[notify.slack]`, `[notify.gotify]`,
//! `[notify.matrix]` and `[notify.pushover]`, and the rule all of them (and
//! `[notify.webhook]`) share: a secret is named by an environment variable
//! (`token_env`, `url_env`, `user_env`), never written in the file. A token
//! written as a value is refused where it stands, and the quoted line of the
//! error hides it, so the error itself cannot carry it into a cron mail.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::{Parser, Value};
use crate::rules::{
    GotifyConfig, HookConfig, MatrixConfig, PushoverConfig, TelegramConfig, PUSHOVER_URL,
    TELEGRAM_URL,
};

const TELEGRAM_KEYS: &[&str] = &["token_env", "chat_id", "url", "token"];
const HOOK_KEYS: &[&str] = &["url_env", "url"];
const GOTIFY_KEYS: &[&str] = &["url", "token_env", "priority", "token"];
const MATRIX_KEYS: &[&str] = &["homeserver", "room", "token_env", "token"];
const PUSHOVER_KEYS: &[&str] = &["user_env", "token_env", "url", "user", "token"];

/// Query keys that carry a credential in the URLs of the services people use.
const SECRET_QUERY_KEYS: &[&str] = &[
    "token",
    "access_token",
    "key",
    "apikey",
    "api_key",
    "secret",
    "password",
    "auth",
    "sig",
    "signature",
];

impl Parser<'_> {
    pub(super) fn telegram(&mut self, v: &Value) -> Option<TelegramConfig> {
        let place = "[notify.telegram]";
        let t = self.table(v, place)?;
        self.check_keys(t, TELEGRAM_KEYS, place);
        self.refuse_literal(t, place, "token", "BASKET_TELEGRAM_TOKEN");
        let token_env = self.env_key(t, v, place, "token_env");
        let chat_id = self.required(t, v, place, "chat_id");
        let url = self.base_url(t, "url", TELEGRAM_URL);
        Some(TelegramConfig {
            token_env: token_env?,
            chat_id: chat_id?,
            url: url?,
        })
    }

    /// Discord and Slack: the webhook URL is the credential, so only `url_env`.
    pub(super) fn hook(&mut self, v: &Value, service: &str) -> Option<HookConfig> {
        let place = format!("[notify.{service}]");
        let t = self.table(v, &place)?;
        self.check_keys(t, HOOK_KEYS, &place);
        if let Some(u) = t.get("url") {
            self.secret_error(
                u.span(),
                format!("{place} url: a {service} webhook URL is itself the secret"),
                format!(
                    "put it in an environment variable and write url_env = \"BASKET_{}_WEBHOOK\"",
                    service.to_uppercase()
                ),
            );
        }
        let url_env = self.env_key(t, v, &place, "url_env");
        Some(HookConfig { url_env: url_env? })
    }

    pub(super) fn gotify(&mut self, v: &Value) -> Option<GotifyConfig> {
        let place = "[notify.gotify]";
        let t = self.table(v, place)?;
        self.check_keys(t, GOTIFY_KEYS, place);
        self.refuse_literal(t, place, "token", "BASKET_GOTIFY_TOKEN");
        let url = match t.get("url") {
            Some(_) => self.base_url(t, "url", ""),
            None => {
                self.error(v.span(), format!("{place} needs url = \"https://...\""));
                None
            }
        };
        let token_env = self.env_key(t, v, place, "token_env");
        let priority = match t.get("priority") {
            Some(p) => Some(self.priority(p)?),
            None => None,
        };
        Some(GotifyConfig {
            url: url?,
            token_env: token_env?,
            priority,
        })
    }

    pub(super) fn matrix(&mut self, v: &Value) -> Option<MatrixConfig> {
        let place = "[notify.matrix]";
        let t = self.table(v, place)?;
        self.check_keys(t, MATRIX_KEYS, place);
        self.refuse_literal(t, place, "token", "BASKET_MATRIX_TOKEN");
        let homeserver = match t.get("homeserver") {
            Some(_) => self.base_url(t, "homeserver", ""),
            None => {
                self.error(
                    v.span(),
                    format!("{place} needs homeserver = \"https://...\""),
                );
                None
            }
        };
        let room = self.required(t, v, place, "room");
        let room = match (room, t.get("room")) {
            (Some(r), Some(at)) if !r.starts_with('!') || !r.contains(':') => {
                self.error_hint(
                    at.span(),
                    format!("room \"{r}\" is not a room id"),
                    "sending needs the room's id, like \"!abc123:matrix.example\" \
                     (in Element: Room settings, Advanced)",
                );
                None
            }
            (r, _) => r,
        };
        let token_env = self.env_key(t, v, place, "token_env");
        Some(MatrixConfig {
            homeserver: homeserver?,
            room: room?,
            token_env: token_env?,
        })
    }

    pub(super) fn pushover(&mut self, v: &Value) -> Option<PushoverConfig> {
        let place = "[notify.pushover]";
        let t = self.table(v, place)?;
        self.check_keys(t, PUSHOVER_KEYS, place);
        self.refuse_literal(t, place, "user", "BASKET_PUSHOVER_USER");
        self.refuse_literal(t, place, "token", "BASKET_PUSHOVER_TOKEN");
        let user_env = self.env_key(t, v, place, "user_env");
        let token_env = self.env_key(t, v, place, "token_env");
        let url = self.base_url(t, "url", PUSHOVER_URL);
        Some(PushoverConfig {
            user_env: user_env?,
            token_env: token_env?,
            url: url?,
        })
    }

    /// A required, non-empty string key.
    fn required(&mut self, t: &DeTable, v: &Value, place: &str, key: &str) -> Option<String> {
        match t.get(key) {
            Some(x) => self.nonempty_string(x, key),
            None => {
                self.error(v.span(), format!("{place} needs {key}"));
                None
            }
        }
    }

    /// A required `*_env` key: the name of an environment variable. A value that
    /// is not a variable's name is most likely the secret itself, so it is
    /// refused and hidden like one.
    pub(super) fn env_key(
        &mut self,
        t: &DeTable,
        v: &Value,
        place: &str,
        key: &str,
    ) -> Option<String> {
        let Some(x) = t.get(key) else {
            // `token = "..."` instead was reported already, with this key as the fix.
            let literal = key.strip_suffix("_env").unwrap_or(key);
            if t.get(literal).is_some() {
                return None;
            }
            self.error(
                v.span(),
                format!("{place} needs {key}, the environment variable that holds the secret"),
            );
            return None;
        };
        let name = self.nonempty_string(x, key)?;
        let valid = name.chars().next().is_some_and(|c| !c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            self.secret_error(
                x.span(),
                format!("{key} must name an environment variable, not hold the secret"),
                format!(
                    "write the variable's name (letters, digits and _), e.g. {key} = \"BASKET_SECRET\", and export the secret in it"
                ),
            );
            return None;
        }
        Some(name)
    }

    /// `token = "..."` (or `user`) written in the file: refused, pointing at
    /// the `_env` key to use instead.
    fn refuse_literal(&mut self, t: &DeTable, place: &str, key: &str, example: &str) {
        if let Some(x) = t.get(key) {
            self.secret_error(
                x.span(),
                format!("{place} {key}: a secret must not be written in the rules file"),
                format!("put it in an environment variable and write {key}_env = \"{example}\""),
            );
        }
    }

    /// A base URL (`url`, `homeserver`): http or https, without credentials,
    /// and without a trailing slash, so paths can be appended. `default` when
    /// the key is absent.
    fn base_url(&mut self, t: &DeTable, key: &str, default: &str) -> Option<String> {
        let Some(x) = t.get(key) else {
            return Some(default.to_string());
        };
        let url = self.nonempty_string(x, key)?;
        if let Some(why) = url_secret(&url) {
            self.secret_error(
                x.span(),
                format!("{key}: this URL {why}"),
                "write the service's address only; the token goes in token_env",
            );
            return None;
        }
        match reqwest::Url::parse(&url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                Some(url.trim_end_matches('/').to_string())
            }
            _ => {
                self.error_hint(
                    x.span(),
                    format!("{key} \"{url}\" is not an http(s) URL"),
                    "write it like \"https://example.org\"",
                );
                None
            }
        }
    }

    /// Gotify's `priority`: 0 to 10.
    fn priority(&mut self, p: &Value) -> Option<u8> {
        let n = match p.get_ref() {
            DeValue::Integer(i) => i.as_str().replace('_', "").parse::<u8>().ok(),
            _ => None,
        };
        match n.filter(|n| *n <= 10) {
            Some(n) => Some(n),
            None => {
                self.error(p.span(), "priority must be a whole number from 0 to 10");
                None
            }
        }
    }

    /// An error about a value that is (or holds) a secret: the quoted line
    /// shows asterisks where the value was written.
    pub(super) fn secret_error(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.error_hint(span, message, hint);
        if let Some(d) = self.diags.last_mut() {
            let chars: Vec<char> = d.source_line.chars().collect();
            let start = (d.column - 1).min(chars.len());
            let end = (start + d.width).min(chars.len());
            let masked: String = chars
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let quote = matches!(c, '"' | '\'') && (i == start || i + 1 == end);
                    if (start..end).contains(&i) && !quote {
                        '*'
                    } else {
                        *c
                    }
                })
                .collect();
            d.source_line = masked;
        }
    }
}

/// Why `url` carries a credential, if it does: a password, a token in the
/// query, a Telegram bot token in the path, or a Slack or Discord webhook
/// address (which is itself the secret).
pub(super) fn url_secret(url: &str) -> Option<&'static str> {
    let u = reqwest::Url::parse(url).ok()?;
    if u.password().is_some() {
        return Some("carries a password");
    }
    if u.query_pairs()
        .any(|(k, _)| SECRET_QUERY_KEYS.iter().any(|s| k.eq_ignore_ascii_case(s)))
    {
        return Some("carries a token in its query");
    }
    let host = u.host_str().unwrap_or_default();
    let path = u.path();
    if host == "hooks.slack.com"
        || (matches!(host, "discord.com" | "discordapp.com") && path.starts_with("/api/webhooks"))
    {
        return Some("is a webhook URL, which is itself the secret");
    }
    let bot_token = |s: &str| {
        s.strip_prefix("bot")
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(id, _)| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
    };
    if u.path_segments().is_some_and(|mut s| s.any(bot_token)) {
        return Some("carries a bot token in its path");
    }
    None
}
