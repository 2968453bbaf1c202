//! `[notify.pushover]`: `POST /1/messages.json` with the application token and
//! the user key (both from the environment) in the form, plain text cut to
//! Pushover's 1,024 characters, and the first product's link as the message URL.

use super::compose::{compose, truncate, Plain};
use super::http::{env_secret, host_of, Call};
use super::{Message, NotifyError};
use crate::rules::PushoverConfig;

/// Pushover's limits: message, title, URL and URL title characters.
const MESSAGE: usize = 1024;
const TITLE: usize = 250;
const URL: usize = 512;
const URL_TITLE: usize = 100;

pub(super) fn send(cfg: &PushoverConfig, msg: &Message) -> Result<String, NotifyError> {
    let token = env_secret(&cfg.token_env)?;
    let user = env_secret(&cfg.user_env)?;
    let base = reqwest::Url::parse(&cfg.url)
        .map_err(|_| NotifyError::Config(format!("pushover: url \"{}\" is not a URL", cfg.url)))?;
    let call = Call {
        service: "pushover",
        host: host_of(&base),
        secrets: vec![token.clone(), user.clone()],
    };
    let url = format!("{}/1/messages.json", cfg.url);
    let text = compose(msg, &Plain, MESSAGE + msg.subject.chars().count() + 2);
    let text = text
        .strip_prefix(&msg.subject)
        .map(|t| t.trim_start().to_string())
        .unwrap_or(text);
    let mut form = vec![
        ("token", token.clone()),
        ("user", user.clone()),
        ("title", truncate(&msg.subject, TITLE)),
        ("message", truncate(&text, MESSAGE)),
    ];
    let first = msg
        .sections
        .iter()
        .flat_map(|s| &s.entries)
        .find_map(|e| e.url.as_ref().map(|u| (u, &e.name)));
    if let Some((u, name)) = first.filter(|(u, _)| u.chars().count() <= URL) {
        form.push(("url", u.clone()));
        form.push(("url_title", truncate(name, URL_TITLE)));
    }
    let answer = call.send(|c| c.post(&url).form(&form))?;
    let v = answer.json(&call)?;
    if v["status"] != 1 {
        return Err(call.unexpected(&answer.body));
    }
    Ok(call.answered(&format!(
        "request {}",
        v["request"].as_str().unwrap_or("(no id)")
    )))
}
