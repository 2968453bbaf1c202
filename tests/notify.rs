//! Cron and notifications: email over a real SMTP server on 127.0.0.1, webhooks to
//! the test HTTP server, "only what is new", retries of failed sends, and
//! concurrent checks.

use crate::support::smtp::SmtpSink;
use crate::support::*;

fn catalog_with_price(id: &str, price: &str) -> Vec<u8> {
    let mut v: serde_json::Value =
        serde_json::from_slice(&fixture("catalog/grocer.json")).expect("fixture is JSON");
    for p in v["products"].as_array_mut().expect("products") {
        if p["id"] == id {
            p["price"] = serde_json::Value::String(price.into());
        }
    }
    serde_json::to_vec(&v).expect("serialise")
}

fn rules(server: &TestServer, smtp_port: u16, extra: &str) -> String {
    server.expand(&format!(
        r#"
[settings]
currency = "GBP"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[notify.email]
smtp = "127.0.0.1:{smtp_port}"
tls = "none"
from = "basket@example.com"
to = ["me@example.com", "partner@example.com"]

{extra}

[[rule]]
name = "Pet supplies deals"
match = {{ category = "pet supplies", on_sale = true }}
notify = {{ channels = ["email"] }}
"#
    ))
}

fn setup(extra: &str) -> (TestEnv, TestServer, SmtpSink) {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    let sink = SmtpSink::start();
    env.write_rules(&rules(&server, sink.port(), extra));
    (env, server, sink)
}

const CRON: &[&str] = &["check", "--no-input", "--format", "summary", "--notify"];

#[test]
fn email_names_recipients_products_and_prices() {
    let (env, _server, sink) = setup("");
    let out = env.run(CRON);
    out.assert_ok();
    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "one email: {}", out.streams());
    let mail = &mails[0];
    assert_eq!(mail.from, "basket@example.com");
    assert_eq!(mail.to, vec!["me@example.com", "partner@example.com"]);
    assert!(
        mail.subject().contains("Pet supplies deals"),
        "{}",
        mail.data
    );
    // Plain text and HTML parts.
    assert!(mail.data.contains("text/plain"), "{}", mail.data);
    assert!(mail.data.contains("text/html"), "{}", mail.data);
    assert!(mail.data.contains("3.50 GBP"), "{}", mail.data);
    assert!(mail.data.contains("2.00 GBP"), "{}", mail.data);
    // The summary for cron's mail says the same.
    assert!(out.stdout.contains("Pet supplies deals"), "{}", out.stdout);
}

#[test]
fn a_second_run_with_nothing_new_sends_and_prints_nothing() {
    let (env, _server, sink) = setup("");
    env.run(CRON).assert_ok();
    let out = env.run(CRON);
    out.assert_ok();
    assert_eq!(out.stdout, "", "summary must be silent when nothing is new");
    assert_eq!(sink.mails().len(), 1, "no second email");
}

#[test]
fn a_price_drop_sends_exactly_one_new_notification() {
    let (env, server, sink) = setup("");
    env.run(CRON).assert_ok();
    env.run(CRON).assert_ok();
    let first_product_id = {
        let v: serde_json::Value =
            serde_json::from_slice(&fixture("catalog/grocer.json")).expect("json");
        v["products"]
            .as_array()
            .expect("products")
            .iter()
            .find(|p| {
                p["name"]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().contains("cat"))
                    && p["regular_price"].is_string()
            })
            .map(|p| p["id"].as_str().unwrap_or_default().to_string())
            .expect("a pet product on sale")
    };
    server.set(
        "/grocer.json",
        Reply::json(catalog_with_price(&first_product_id, "2.99")),
    );
    let out = env.run(CRON);
    out.assert_ok();
    assert_eq!(sink.mails().len(), 2, "{}", out.streams());
    assert!(
        sink.mails()[1].data.contains("2.99 GBP"),
        "{}",
        sink.mails()[1].data
    );
    // And quiet again afterwards.
    env.run(CRON).assert_ok();
    assert_eq!(sink.mails().len(), 2);
}

#[test]
fn a_refused_send_warns_exits_0_and_is_retried_once_on_the_next_run() {
    let (env, _server, sink) = setup("");
    sink.refuse(true);
    let out = env.run(CRON);
    out.assert_ok();
    assert!(
        out.stderr.contains("notify email: not sent"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("retried on the next run"),
        "{}",
        out.stderr
    );
    assert!(sink.mails().is_empty());
    sink.refuse(false);
    let out = env.run(CRON);
    out.assert_ok();
    assert_eq!(
        sink.mails().len(),
        1,
        "the queued message is sent: {}",
        out.streams()
    );
    assert!(sink.mails()[0].data.contains("3.50 GBP"));
    env.run(CRON).assert_ok();
    assert_eq!(sink.mails().len(), 1, "and not sent twice");
}

#[test]
fn a_server_that_is_down_is_a_warning_and_the_message_waits() {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    // A port with nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    env.write_rules(&rules(&server, port, ""));
    let out = env.run(CRON);
    out.assert_ok();
    assert!(
        out.stderr.contains("notify email: not sent"),
        "{}",
        out.stderr
    );
    let sink = SmtpSink::start_on(port);
    env.run(CRON).assert_ok();
    assert_eq!(sink.mails().len(), 1, "sent once the server is back");
}

#[test]
fn new_proposals_are_mailed_as_a_digest_in_cron_mode() {
    let (env, _server, sink) = setup(
        r#"
[[rule]]
name = "Sun cream"
match = { name = "sun cream spf 30" }
add = {}
"#,
    );
    env.run(CRON).assert_ok();
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].data.contains("New proposals"), "{}", mails[0].data);
    assert!(mails[0].data.contains("basket review"), "{}", mails[0].data);
    assert!(
        mails[0].subject().contains("1 new proposal"),
        "{}",
        mails[0].subject()
    );
}

#[test]
fn webhook_receives_the_json_shape() {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    server.set("/hook", Reply::status(200, "ok"));
    env.write_rules(&server.expand(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[notify.webhook]
url = "$SERVER/hook"
headers = { Authorization = "HOOK_TOKEN" }

[[rule]]
name = "Pet supplies deals"
match = { category = "pet supplies", on_sale = true }
notify = true
"#,
    ));
    let mut env = env;
    env.set_env("HOOK_TOKEN", "Bearer t0ken-xyz");
    let out = env.run(CRON);
    out.assert_ok();
    assert_eq!(server.hits("/hook"), 1, "{}", out.streams());
    assert_eq!(server.last_method("/hook").as_deref(), Some("POST"));
    assert_eq!(
        server.last_header("/hook", "Authorization").as_deref(),
        Some("Bearer t0ken-xyz")
    );
    let body: serde_json::Value =
        serde_json::from_slice(&server.last_body("/hook")).expect("JSON body");
    assert_eq!(body["source"], "basket");
    let n = &body["notifications"][0];
    assert_eq!(n["rule"], "Pet supplies deals");
    let products = n["products"].as_array().expect("products");
    assert_eq!(products.len(), 2);
    assert!(products
        .iter()
        .all(|p| p["price"].is_string() && p["currency"] == "GBP"));
    assert!(body["proposals"].as_array().is_some());
    // The token never shows up in anything basket printed.
    assert!(!out.streams().contains("t0ken-xyz"));
}

#[test]
fn ntfy_webhook_gets_plain_text_and_a_title() {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    server.set("/basket-topic", Reply::status(200, "{\"id\":\"x\"}"));
    env.write_rules(&server.expand(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[notify.webhook]
url = "$SERVER/basket-topic"
format = "ntfy"

[[rule]]
name = "Pet supplies deals"
match = { category = "pet supplies", on_sale = true }
notify = true
"#,
    ));
    env.run(CRON).assert_ok();
    assert_eq!(server.hits("/basket-topic"), 1);
    let title = server
        .last_header("/basket-topic", "Title")
        .expect("Title header");
    assert!(title.contains("Pet supplies deals"), "{title}");
    let body = String::from_utf8(server.last_body("/basket-topic")).expect("text");
    assert!(body.starts_with("Pet supplies deals:"), "{body}");
    assert!(body.contains("3.50 GBP"), "{body}");
}

#[test]
fn notify_test_reports_what_the_server_answered() {
    let (env, _server, sink) = setup("");
    let out = env.run(&["notify", "test", "email"]);
    out.assert_ok();
    assert!(
        out.stdout.contains("email: sent; the server answered: 250"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("queued as TEST1"), "{}", out.stdout);
    assert_eq!(sink.mails().len(), 1);
    assert!(sink.mails()[0].subject().contains("test message"));
    sink.refuse(true);
    let out = env.run(&["notify", "test"]);
    out.assert_code(1);
    assert!(out.stderr.contains("550"), "{}", out.stderr);
}

#[test]
fn two_checks_at_once_leave_each_item_in_the_basket_once() {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    env.write_rules(&server.expand(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Sun cream"
match = { name = "sun cream spf 30" }
add = { limit = 2 }

[[rule]]
name = "Milk"
match = { category = "milk" }
add = {}
"#,
    ));
    let spawn = || {
        env.cmd(&["check", "--yes", "--format", "json", "--wait"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn basket")
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    );
    assert!(a.status.success() && b.status.success(), "{a:?}\n{b:?}");
    let list = env.run(&["list", "--format", "json"]);
    list.assert_ok();
    let items = list.json()["items"].as_array().expect("items").clone();
    let mut keys: Vec<String> = items
        .iter()
        .map(|i| format!("{}/{}", i["feed"], i["id"]))
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "an item was added twice: {items:?}");
    assert!(items.iter().all(|i| i["quantity"] == 1), "{items:?}");
    assert_eq!(n, 3, "two sun creams and one milk: {items:?}");
}

#[test]
fn a_check_without_wait_names_the_running_one() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.data_dir()).expect("data dir");
    // Hold the lock the way a running check does.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(env.data_dir().join("basket.lock"))
        .expect("lock file");
    lock.lock().expect("lock");
    std::fs::write(env.data_dir().join("basket.lock"), "424242").expect("pid");
    env.write_rules("[[rule]]\nname = \"x\"\nmatch = { name = \"milk\" }\nadd = {}\n");
    let out = env.run(&["check", "--no-input"]);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("another basket check is running (pid 424242)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--wait"), "{}", out.stderr);
}
