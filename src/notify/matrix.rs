//! `[notify.matrix]`: an `m.room.message` event, `PUT` with a transaction id
//! derived from the outbox entry, so a send retried after a lost answer is the
//! same event to the homeserver, never a second message. Plain `body` and an
//! HTML `formatted_body`; the access token goes in the `Authorization` header.

use super::compose::{compose, Html, Plain};
use super::http::{env_secret, host_of, Call};
use reqwest::header::CONTENT_TYPE;

use super::http::JSON;
use super::{Message, NotifyError};
use crate::rules::MatrixConfig;

/// Characters of each of `body` and `formatted_body`: an event is at most
/// 64 KiB, and a character takes up to 4 bytes.
const LIMIT: usize = 7000;

pub(super) fn send(cfg: &MatrixConfig, msg: &Message, id: &str) -> Result<String, NotifyError> {
    let token = env_secret(&cfg.token_env)?;
    let base = reqwest::Url::parse(&cfg.homeserver).map_err(|_| {
        NotifyError::Config(format!(
            "matrix: homeserver \"{}\" is not a URL",
            cfg.homeserver
        ))
    })?;
    let call = Call {
        service: "matrix",
        host: host_of(&base),
        secrets: vec![format!("Bearer {token}"), token.clone()],
    };
    let url = format!(
        "{}/_matrix/client/v3/rooms/{}/send/m.room.message/{}",
        cfg.homeserver,
        encode(&cfg.room),
        encode(id)
    );
    let body = serde_json::json!({
        "msgtype": "m.text",
        "body": compose(msg, &Plain, LIMIT),
        "format": "org.matrix.custom.html",
        "formatted_body": compose(msg, &Html, LIMIT).replace('\n', "<br>"),
    });
    let answer = call.send(|c| {
        c.put(&url)
            .bearer_auth(token.as_str())
            .header(CONTENT_TYPE, JSON)
            .body(body.to_string())
    })?;
    let v = answer.json(&call)?;
    match v["event_id"].as_str() {
        Some(event) => Ok(call.answered(&format!("event {event}"))),
        None => Err(call.unexpected(&answer.body)),
    }
}

/// Percent-encodes all but the unreserved characters, as the Matrix spec asks
/// of room ids (`!` and `:`) and transaction ids in a path.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn room_ids_are_percent_encoded() {
        assert_eq!(
            super::encode("!room:matrix.example"),
            "%21room%3Amatrix.example"
        );
    }
}
