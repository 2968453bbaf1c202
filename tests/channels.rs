//! The chat and push channels (issue 17): Telegram, Discord, Slack, Gotify,
//! Matrix and Pushover, each sent to the test server standing in for the
//! service at its real API path (the rules' base URL overrides, or the webhook
//! URL in the environment), with every request's method, path, headers and
//! body checked; their length limits, escaping, failures, rate limits and
//! rules errors; and their secrets kept out of everything basket shows.

use crate::support::*;

const TELEGRAM_TOKEN: &str = "123456:tg-SECRET-aa11bb";
const DISCORD_TOKEN: &str = "dc-SECRET-bb22cc";
const SLACK_TOKEN: &str = "sl-SECRET-cc33dd";
const GOTIFY_TOKEN: &str = "gt-SECRET-dd44ee";
const MATRIX_TOKEN: &str = "mx-SECRET-ee55ff";
const PUSHOVER_USER: &str = "po-USER-ff66gg";
const PUSHOVER_TOKEN: &str = "po-SECRET-gg77hh";

/// Every secret of this file, for "appears nowhere" checks.
pub const SECRETS: &[&str] = &[
    TELEGRAM_TOKEN,
    DISCORD_TOKEN,
    SLACK_TOKEN,
    GOTIFY_TOKEN,
    MATRIX_TOKEN,
    PUSHOVER_USER,
    PUSHOVER_TOKEN,
];

const TELEGRAM_PATH: &str = "/bot123456:tg-SECRET-aa11bb/sendMessage";
const DISCORD_PATH: &str = "/api/webhooks/987654321/dc-SECRET-bb22cc";
const SLACK_PATH: &str = "/services/T0001/B0002/sl-SECRET-cc33dd";
const GOTIFY_PATH: &str = "/message";
const MATRIX_ROOM_PATH: &str =
    "/_matrix/client/v3/rooms/%21room%3Amatrix.example/send/m.room.message";
const PUSHOVER_PATH: &str = "/1/messages.json";

/// Where the services are reached (Matrix's without its transaction id).
pub const PATHS: &[&str] = &[
    TELEGRAM_PATH,
    DISCORD_PATH,
    SLACK_PATH,
    GOTIFY_PATH,
    PUSHOVER_PATH,
];

pub const ALL: &[&str] = &[
    "telegram", "discord", "slack", "gotify", "matrix", "pushover",
];

/// The `[notify.*]` tables of all six services, pointed at `$SERVER`.
pub const TABLES: &str = r#"
[notify.telegram]
token_env = "BASKET_TELEGRAM_TOKEN"
chat_id = "123456789"
url = "$SERVER"

[notify.discord]
url_env = "BASKET_DISCORD_WEBHOOK"

[notify.slack]
url_env = "BASKET_SLACK_WEBHOOK"

[notify.gotify]
url = "$SERVER"
token_env = "BASKET_GOTIFY_TOKEN"
priority = 5

[notify.matrix]
homeserver = "$SERVER"
room = "!room:matrix.example"
token_env = "BASKET_MATRIX_TOKEN"

[notify.pushover]
user_env = "BASKET_PUSHOVER_USER"
token_env = "BASKET_PUSHOVER_TOKEN"
url = "$SERVER"
"#;

/// The Matrix transaction id of outbox entry `entry`, queued at the test clock.
fn matrix_path(entry: i64) -> String {
    let queued = chrono::DateTime::parse_from_rfc3339(DEFAULT_NOW).expect("the test clock");
    format!("{MATRIX_ROOM_PATH}/basket-{entry}-{}", queued.timestamp())
}

/// A catalog of `n` products on sale, named by `name`, in category "deals".
fn catalog(n: usize, name: impl Fn(usize) -> String) -> Vec<u8> {
    let products: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "id": format!("D-{i:03}"),
                "name": name(i),
                "categories": ["Deals"],
                "price": "1.50",
                "regular_price": "2.00",
                "currency": "GBP",
                "availability": "in_stock",
                "url": format!("https://shop.example/p/{i}"),
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "products": products })).expect("JSON")
}

/// A rules file with all six services and a `notify` rule named `rule` that
/// sends to `channels`.
fn rules(server: &TestServer, rule: &str, channels: &[&str]) -> String {
    let list: Vec<String> = channels.iter().map(|c| format!("\"{c}\"")).collect();
    server.expand(&format!(
        r#"
[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"
{TABLES}
[[rule]]
name = "{rule}"
match = {{ category = "deals", on_sale = true }}
notify = {{ channels = [{list}], limit = 500 }}
"#,
        list = list.join(", ")
    ))
}

/// An environment with every secret set, the services answering as they do
/// on success, and `n` products named by `name` in the feed.
fn setup(n: usize, name: impl Fn(usize) -> String) -> (TestEnv, TestServer) {
    let mut env = TestEnv::new();
    let server = TestServer::start();
    server.set("/shop.json", Reply::json(catalog(n, name)));
    answer_success(&server);
    env.write_rules(&rules(&server, "Deals", ALL));
    set_secrets(&mut env, &server);
    (env, server)
}

pub fn set_secrets(env: &mut TestEnv, server: &TestServer) {
    env.set_env("BASKET_TELEGRAM_TOKEN", TELEGRAM_TOKEN);
    env.set_env("BASKET_DISCORD_WEBHOOK", server.url(DISCORD_PATH));
    env.set_env("BASKET_SLACK_WEBHOOK", server.url(SLACK_PATH));
    env.set_env("BASKET_GOTIFY_TOKEN", GOTIFY_TOKEN);
    env.set_env("BASKET_MATRIX_TOKEN", MATRIX_TOKEN);
    env.set_env("BASKET_PUSHOVER_USER", PUSHOVER_USER);
    env.set_env("BASKET_PUSHOVER_TOKEN", PUSHOVER_TOKEN);
}

/// What each service answers when a message is accepted.
pub fn answer_success(server: &TestServer) {
    server.set(
        TELEGRAM_PATH,
        Reply::json(r#"{"ok":true,"result":{"message_id":42,"chat":{"id":123456789}}}"#),
    );
    server.set(DISCORD_PATH, Reply::json(r#"{"id":"1100","type":0}"#));
    server.set(SLACK_PATH, Reply::status(200, "ok"));
    server.set(
        GOTIFY_PATH,
        Reply::json(r#"{"id":7,"appid":1,"priority":5}"#),
    );
    for entry in 1..=6 {
        server.set(
            &matrix_path(entry),
            Reply::json(r#"{"event_id":"$ev1:matrix.example"}"#),
        );
    }
    server.set(
        PUSHOVER_PATH,
        Reply::json(r#"{"status":1,"request":"req-5ac1"}"#),
    );
}

/// The one request received at `path`.
#[track_caller]
fn only(server: &TestServer, path: &str) -> Recorded {
    let hits: Vec<Recorded> = server
        .requests()
        .into_iter()
        .filter(|r| r.url.split('?').next() == Some(path))
        .collect();
    assert_eq!(hits.len(), 1, "requests to {path}: {hits:#?}");
    hits.into_iter().next().expect("one request")
}

#[track_caller]
fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows {s}:\n{text}");
    }
}

const CRON: &[&str] = &["check", "--no-input", "--notify", "--verbose"];

#[test]
fn each_service_gets_its_native_message_at_its_real_path() {
    let (env, server) = setup(2, |i| format!("Cat food {i}"));
    let out = env.run(CRON);
    out.assert_ok();
    assert_no_secret("check --notify --verbose", &out.streams());
    for c in ALL {
        assert!(
            out.stderr.contains(&format!("notify {c}: sent")),
            "{c}: {}",
            out.streams()
        );
    }

    let tg = only(&server, TELEGRAM_PATH);
    assert_eq!(tg.method, "POST");
    assert_eq!(tg.header("Content-Type"), Some("application/json"));
    let body = tg.json();
    assert_eq!(body["chat_id"], "123456789");
    assert_eq!(body["parse_mode"], "HTML");
    assert_eq!(
        body["text"],
        "<b>basket: Deals</b>\n\n<b>Deals</b>\n\
         • <a href=\"https://shop.example/p/0\">Cat food 0</a> (1.50 GBP, was 2.00)\n\
         • <a href=\"https://shop.example/p/1\">Cat food 1</a> (1.50 GBP, was 2.00)"
    );

    let dc = only(&server, DISCORD_PATH);
    assert_eq!(dc.method, "POST");
    assert_eq!(dc.url, format!("{DISCORD_PATH}?wait=true"));
    assert_eq!(dc.header("Content-Type"), Some("application/json"));
    let body = dc.json();
    assert_eq!(body["content"], "**basket: Deals**");
    assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
    let embeds = body["embeds"].as_array().expect("embeds");
    assert_eq!(embeds.len(), 2);
    assert_eq!(embeds[0]["title"], "Cat food 0");
    assert_eq!(embeds[0]["url"], "https://shop.example/p/0");
    assert_eq!(embeds[0]["description"], "1.50 GBP, was 2.00");
    assert_eq!(embeds[0]["footer"]["text"], "Deals");

    let sl = only(&server, SLACK_PATH);
    assert_eq!(sl.method, "POST");
    assert_eq!(sl.header("Content-Type"), Some("application/json"));
    let body = sl.json();
    assert!(body["text"]
        .as_str()
        .expect("text")
        .starts_with("*basket: Deals*"));
    let blocks = body["blocks"].as_array().expect("blocks");
    assert_eq!(blocks.len(), 3, "{blocks:#?}");
    assert_eq!(blocks[0]["type"], "section");
    assert_eq!(blocks[0]["text"]["type"], "mrkdwn");
    assert_eq!(blocks[0]["text"]["text"], "*basket: Deals*");
    assert_eq!(
        blocks[1]["text"]["text"],
        "*Deals*\n• <https://shop.example/p/0|Cat food 0> (1.50 GBP, was 2.00)"
    );

    let gt = only(&server, GOTIFY_PATH);
    assert_eq!(gt.method, "POST");
    assert_eq!(gt.header("X-Gotify-Key"), Some(GOTIFY_TOKEN));
    assert_eq!(gt.header("Content-Type"), Some("application/json"));
    let body = gt.json();
    assert_eq!(body["title"], "basket: Deals");
    assert_eq!(body["priority"], 5);
    assert_eq!(
        body["message"],
        "Deals\n- Cat food 0 (1.50 GBP, was 2.00) https://shop.example/p/0\n\
         - Cat food 1 (1.50 GBP, was 2.00) https://shop.example/p/1"
    );

    let mx = only(&server, &matrix_path(5));
    assert_eq!(mx.method, "PUT");
    assert_eq!(
        mx.header("Authorization"),
        Some(format!("Bearer {MATRIX_TOKEN}").as_str())
    );
    let body = mx.json();
    assert_eq!(body["msgtype"], "m.text");
    assert_eq!(body["format"], "org.matrix.custom.html");
    assert!(body["body"]
        .as_str()
        .expect("body")
        .contains("- Cat food 1 (1.50 GBP, was 2.00)"));
    assert!(body["formatted_body"]
        .as_str()
        .expect("formatted_body")
        .starts_with(
            "<b>basket: Deals</b><br><br><b>Deals</b><br>• <a href=\"https://shop.example/p/0\">"
        ));

    let po = only(&server, PUSHOVER_PATH);
    assert_eq!(po.method, "POST");
    assert_eq!(
        po.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    let form: Vec<(String, String)> = url_pairs(&po.body);
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("token"), Some(PUSHOVER_TOKEN));
    assert_eq!(get("user"), Some(PUSHOVER_USER));
    assert_eq!(get("title"), Some("basket: Deals"));
    assert_eq!(get("url"), Some("https://shop.example/p/0"));
    assert_eq!(get("url_title"), Some("Cat food 0"));
    assert!(get("message")
        .expect("message")
        .starts_with("Deals\n- Cat food 0"));

    // Sent once: a second run has nothing new and sends nothing.
    let before = server.requests().len();
    env.run(CRON).assert_ok();
    let again: Vec<String> = server.requests()[before..]
        .iter()
        .map(|r| r.url.clone())
        .filter(|u| u != "/shop.json")
        .collect();
    assert!(again.is_empty(), "sent twice: {again:?}");
}

/// `a=1&b=2`, decoded.
fn url_pairs(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("UTF-8")
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

#[test]
fn each_service_escapes_markup_its_own_way() {
    let tricky = "<b>Half</b> *price* _now_ & 🐱 מבצע";
    let (env, server) = setup(1, |_| tricky.to_string());
    env.run(CRON).assert_ok();

    let text = only(&server, TELEGRAM_PATH).json()["text"].clone();
    assert!(
        text.as_str()
            .expect("text")
            .contains("&lt;b&gt;Half&lt;/b&gt; *price* _now_ &amp; 🐱 מבצע</a>"),
        "{text}"
    );
    let slack = only(&server, SLACK_PATH).json();
    assert!(
        slack["blocks"][1]["text"]["text"]
            .as_str()
            .expect("text")
            .contains("|&lt;b&gt;Half&lt;/b&gt; *price* _now_ &amp; 🐱 מבצע>"),
        "{slack}"
    );
    let discord = only(&server, DISCORD_PATH).json();
    // An embed's title is plain text: as written.
    assert_eq!(discord["embeds"][0]["title"], tricky);
    let po = url_pairs(&only(&server, PUSHOVER_PATH).body);
    assert!(
        po.iter().any(|(k, v)| k == "url_title" && v == tricky),
        "{po:?}"
    );
    let mx = only(&server, &matrix_path(5)).json();
    assert!(mx["body"].as_str().expect("body").contains(tricky), "{mx}");
    assert!(
        mx["formatted_body"]
            .as_str()
            .expect("html")
            .contains("&lt;b&gt;Half&lt;/b&gt; *price* _now_ &amp; 🐱 מבצע"),
        "{mx}"
    );
    let gt = only(&server, GOTIFY_PATH).json();
    assert!(
        gt["message"].as_str().expect("message").contains(tricky),
        "{gt}"
    );
}

#[test]
fn discord_markdown_in_a_rule_name_is_escaped() {
    let (env, server) = setup(1, |_| "Tea".into());
    env.write_rules(&rules(&server, "*Big* _deals_ <@everyone>", &["discord"]));
    env.run(CRON).assert_ok();
    let body = only(&server, DISCORD_PATH).json();
    assert_eq!(
        body["content"],
        "**basket: \\*Big\\* \\_deals\\_ \\<@everyone\\>**"
    );
    assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
}

#[test]
fn long_digests_are_cut_at_a_product_with_and_n_more() {
    let (env, server) = setup(300, |i| {
        format!("Very long product name number {i:03} for the limit")
    });
    env.run(CRON).assert_ok();

    let text = only(&server, TELEGRAM_PATH).json()["text"]
        .as_str()
        .expect("text")
        .to_string();
    assert!(text.chars().count() <= 4096, "{}", text.chars().count());
    let shown = text.matches("• ").count();
    assert!(shown > 10 && shown < 300, "{shown}");
    assert!(
        text.ends_with(&format!("… and {} more", 300 - shown)),
        "{}",
        &text[text.len() - 200..]
    );
    // The last product shown is whole.
    let last = text.lines().rev().nth(1).expect("a product line");
    assert!(last.ends_with("(1.50 GBP, was 2.00)"), "{last}");

    let discord = only(&server, DISCORD_PATH).json();
    assert_eq!(discord["embeds"].as_array().expect("embeds").len(), 10);
    assert_eq!(discord["content"], "**basket: Deals**\n… and 290 more");

    let slack = only(&server, SLACK_PATH).json();
    let blocks = slack["blocks"].as_array().expect("blocks");
    assert!(blocks.len() <= 50, "{}", blocks.len());
    assert_eq!(
        blocks.last().expect("a block")["elements"][0]["text"],
        format!("… and {} more", 300 - (blocks.len() - 2))
    );

    let po = url_pairs(&only(&server, PUSHOVER_PATH).body);
    let message = &po.iter().find(|(k, _)| k == "message").expect("message").1;
    assert!(
        message.chars().count() <= 1024,
        "{}",
        message.chars().count()
    );
    assert!(message.contains(" more"), "{message}");
    let shown = message.matches("\n- ").count();
    assert!(
        message.ends_with(&format!("… and {} more", 300 - shown)),
        "{message}"
    );
}

#[test]
fn notify_test_names_each_service_and_what_it_answered() {
    let (env, server) = setup(1, |_| "Tea".into());
    // `notify test` is not an outbox entry: Matrix gets a fresh transaction.
    let now = chrono::DateTime::parse_from_rfc3339(DEFAULT_NOW).expect("clock");
    let test_path = format!("{MATRIX_ROOM_PATH}/basket-test-{}", now.timestamp_millis());
    server.set(
        &test_path,
        Reply::json(r#"{"event_id":"$t:matrix.example"}"#),
    );
    let out = env.run(&["notify", "test"]);
    out.assert_ok();
    insta::assert_snapshot!(env.normalize(&out.streams()));
    let tg = only(&server, TELEGRAM_PATH).json();
    assert!(
        tg["text"]
            .as_str()
            .expect("text")
            .starts_with("<b>basket: test message</b>\n\nThis is a test message from basket"),
        "{tg}"
    );
    for c in ALL {
        let out = env.run(&["notify", "test", c]);
        out.assert_ok();
        assert!(
            out.stdout.starts_with(&format!("{c}: sent")),
            "{}",
            out.streams()
        );
    }
}

#[test]
fn failures_name_the_service_and_host_only_and_stay_queued() {
    let (env, server) = setup(1, |_| "Tea".into());
    server.set(
        TELEGRAM_PATH,
        Reply::new(
            401,
            "application/json",
            r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
        ),
    );
    server.set(
        DISCORD_PATH,
        Reply::new(
            404,
            "application/json",
            format!(r#"{{"message": "Unknown Webhook {DISCORD_TOKEN}", "code": 10015}}"#),
        ),
    );
    server.set(SLACK_PATH, Reply::status(500, "internal error"));
    server.set(
        GOTIFY_PATH,
        Reply::html("<!DOCTYPE html><html><body>Login</body></html>"),
    );
    server.set(
        &matrix_path(5),
        Reply::new(
            404,
            "application/json",
            r#"{"errcode":"M_NOT_FOUND","error":"Unknown room"}"#,
        ),
    );
    server.set(
        PUSHOVER_PATH,
        Reply::new(400, "application/json", format!(r#"{{"user":"invalid","errors":["user identifier is invalid: {PUSHOVER_USER}"],"status":0}}"#)),
    );
    let out = env.run(&["check", "--no-input", "--notify", "--format", "summary"]);
    out.assert_ok();
    assert_no_secret("check", &out.streams());
    let base = server.base_url();
    let host = base.trim_start_matches("http://");
    insta::assert_snapshot!(env.normalize(&out.stderr.replace(host, "$HOST")));

    // The next run, with the services back, sends what waited, once.
    answer_success(&server);
    let out = env.run(CRON);
    out.assert_ok();
    for c in ALL {
        assert!(
            out.stderr.contains(&format!("notify {c}: sent")),
            "{}",
            out.streams()
        );
    }
    // Matrix: the retry reused the first attempt's transaction id.
    let matrix: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.url)
        .collect();
    assert_eq!(matrix, [matrix_path(5), matrix_path(5)]);
    let before = server.requests().len();
    env.run(CRON).assert_ok();
    assert!(server.requests()[before..]
        .iter()
        .all(|r| r.url == "/shop.json"));
}

#[test]
fn a_429_with_retry_after_is_waited_for_within_the_run() {
    let (env, server) = setup(1, |_| "Tea".into());
    env.write_rules(&rules(&server, "Deals", &["telegram", "discord"]));
    server.push(
        TELEGRAM_PATH,
        Reply::new(
            429,
            "application/json",
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 0","parameters":{"retry_after":0}}"#,
        ),
    );
    server.push(
        DISCORD_PATH,
        Reply::new(
            429,
            "application/json",
            r#"{"message":"You are being rate limited.","retry_after":0.01,"global":false}"#,
        )
        .with_header("Retry-After", "0"),
    );
    let out = env.run(CRON);
    out.assert_ok();
    assert!(
        out.stderr.contains("notify telegram: sent (message 42)"),
        "{}",
        out.streams()
    );
    assert!(
        out.stderr.contains("notify discord: sent (message 1100)"),
        "{}",
        out.streams()
    );
    assert_eq!(server.hits(TELEGRAM_PATH), 2);
    assert_eq!(server.hits(DISCORD_PATH), 2);

    // A wait longer than a run allows is not waited: the message stays queued.
    let (env, server) = setup(1, |_| "Tea".into());
    env.write_rules(&rules(&server, "Deals", &["telegram"]));
    server.set(
        TELEGRAM_PATH,
        Reply::new(
            429,
            "application/json",
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3600","parameters":{"retry_after":3600}}"#,
        ),
    );
    let out = env.run(CRON);
    out.assert_ok();
    assert_eq!(server.hits(TELEGRAM_PATH), 1);
    assert!(
        out.stderr
            .contains("notify telegram: not sent (telegram: HTTP 429 from 127.0.0.1:"),
        "{}",
        out.streams()
    );
    assert!(
        out.stderr.contains("Too Many Requests: retry after 3600"),
        "{}",
        out.streams()
    );
}

#[test]
fn a_missing_environment_variable_is_named_and_the_run_exits_0() {
    let (mut env, server) = setup(1, |_| "Tea".into());
    env.write_rules(&rules(&server, "Deals", &["telegram", "slack"]));
    env.remove_env("BASKET_TELEGRAM_TOKEN");
    let out = env.run(&["check", "--no-input", "--notify", "--format", "summary"]);
    out.assert_ok();
    insta::assert_snapshot!(env.normalize(&out.stderr));
    assert_eq!(server.hits(SLACK_PATH), 1);
    assert_eq!(server.hits(TELEGRAM_PATH), 0);
    // Once it is set, the waiting message goes.
    env.set_env("BASKET_TELEGRAM_TOKEN", TELEGRAM_TOKEN);
    env.run(CRON).assert_ok();
    assert_eq!(server.hits(TELEGRAM_PATH), 1);
    assert_eq!(server.hits(SLACK_PATH), 1);
}

#[test]
fn secrets_in_the_rules_file_are_refused_and_not_shown() {
    let env = TestEnv::new();
    env.write_rules(&format!(
        r#"[notify.telegram]
token = "{TELEGRAM_TOKEN}"
chat_id = "1"

[notify.slack]
url = "https://hooks.slack.com/services/T0001/B0002/{SLACK_TOKEN}"

[notify.discord]
url_env = "https://discord.com/api/webhooks/1/{DISCORD_TOKEN}"

[notify.gotify]
url = "https://gotify.example/message?token={GOTIFY_TOKEN}"
token_env = "BASKET_GOTIFY_TOKEN"

[notify.webhook]
url = "https://hooks.slack.com/services/T0001/B0002/{SLACK_TOKEN}"

[notify.pushover]
user = "{PUSHOVER_USER}"
token_env = "BASKET_PUSHOVER_TOKEN"
"#
    ));
    let out = env.run(&["rules", "check"]);
    out.assert_code(2);
    assert_no_secret("rules check", &out.streams());
    insta::assert_snapshot!(env.normalize(&out.streams()));
}

#[test]
fn channel_tables_and_names_are_checked_where_written() {
    let env = TestEnv::new();
    env.write_rules(
        r##"[notify.matrix]
homeserver = "https://matrix.example"
room = "#shopping:matrix.example"
token_env = "BASKET_MATRIX_TOKEN"

[notify.gotify]
token_env = "BASKET_GOTIFY_TOKEN"
priority = 11

[notify.telegram]
token_env = "BASKET_TELEGRAM_TOKEN"

[[rule]]
name = "Deals"
match = { on_sale = true }
notify = { channels = ["telegram", "pushover"] }

[[rule]]
name = "Tea"
match = { name = "tea" }
notify = { channels = ["discrod"] }
"##,
    );
    let out = env.run(&["rules", "check"]);
    out.assert_code(2);
    insta::assert_snapshot!(env.normalize(&out.streams()));
}

#[test]
fn a_webhook_url_can_come_from_the_environment_and_is_never_shown() {
    let mut env = TestEnv::new();
    let server = TestServer::start();
    server.set("/shop.json", Reply::json(catalog(1, |_| "Tea".into())));
    let path = format!("/hooks/{SLACK_TOKEN}");
    server.set(
        &path,
        Reply::status(401, format!("bad token {SLACK_TOKEN}")),
    );
    env.write_rules(&server.expand(
        r#"
[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[notify.webhook]
url_env = "BASKET_WEBHOOK_URL"

[[rule]]
name = "Deals"
match = { on_sale = true }
notify = true
"#,
    ));
    env.set_env("BASKET_WEBHOOK_URL", server.url(&path));
    let out = env.run(CRON);
    out.assert_ok();
    assert_eq!(server.hits(&path), 1);
    assert_eq!(server.last_method(&path).as_deref(), Some("POST"));
    assert_no_secret("check", &out.streams());
    assert!(
        out.stderr.contains(&format!(
            "notify webhook: not sent (webhook {}: HTTP 401 Unauthorized bad token [redacted])",
            server.base_url().trim_start_matches("http://")
        )),
        "{}",
        out.streams()
    );
}
