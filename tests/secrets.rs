//! Secrets and files: a password, a webhook token or a feed's `user:password@`
//! never appears in anything basket prints (warnings, errors, `--verbose`), in
//! the store or in the cache; the store, the lock and the cache are the user's
//! alone whatever the umask; a rules file others can write is warned about.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::smtp::SmtpSink;
use crate::support::*;

const SMTP_SECRET: &str = "smtp-PW-7f3a9c";
const CMD_SECRET: &str = "cmd-PW-51be02";
const HOOK_SECRET: &str = "hook-TOKEN-d41d8c";
const FEED_SECRET: &str = "feed-PW-0cc175";

/// Every secret, for "appears nowhere" checks.
const SECRETS: &[&str] = &[SMTP_SECRET, CMD_SECRET, HOOK_SECRET, FEED_SECRET];

#[track_caller]
fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows {s}:\n{text}");
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[track_caller]
fn assert_no_secret_on_disk(env: &TestEnv) {
    for file in files_under(&env.data_dir())
        .into_iter()
        .chain(files_under(&env.cache_dir()))
    {
        let bytes = std::fs::read(&file).expect("read a stored file");
        assert_no_secret(
            &file.display().to_string(),
            &String::from_utf8_lossy(&bytes),
        );
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

// ---------------------------------------------------------------------------
// Notification secrets

/// Email with a password from the environment, and a webhook whose token
/// comes from the environment, on `sink` and `server`.
fn notify_rules(server: &TestServer, smtp_port: u16, password: &str) -> String {
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
to = ["me@example.com"]
username = "me"
{password}

[notify.webhook]
url = "$SERVER/hook?topic=basket"
headers = {{ Authorization = "BASKET_TEST_HOOK_TOKEN" }}

[[rule]]
name = "Pet supplies deals"
match = {{ category = "pet supplies", on_sale = true }}
notify = {{ channels = ["email", "webhook"] }}
"#
    ))
}

fn notify_env(server: &TestServer, smtp_port: u16, password: &str) -> TestEnv {
    let mut env = TestEnv::new();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    env.write_rules(&notify_rules(server, smtp_port, password));
    env.set_env("BASKET_TEST_SMTP_PASSWORD", SMTP_SECRET);
    env.set_env("BASKET_TEST_HOOK_TOKEN", format!("Bearer {HOOK_SECRET}"));
    env
}

const PASSWORD_ENV: &str = "password_env = \"BASKET_TEST_SMTP_PASSWORD\"";

#[test]
fn secrets_never_show_when_sends_fail() {
    let server = TestServer::start();
    // The webhook refuses, quoting the token back as some servers do.
    server.set(
        "/hook",
        Reply::status(401, format!("invalid token: Bearer {HOOK_SECRET}")),
    );
    // The SMTP sink does not offer AUTH, so the login fails; then it is gone.
    let sink = SmtpSink::start();
    for password in [
        PASSWORD_ENV.to_string(),
        format!("password_command = \"printf {CMD_SECRET}\""),
    ] {
        let env = notify_env(&server, sink.port(), &password);
        for args in [
            &["notify", "test", "--verbose"][..],
            &["notify", "test", "email", "--verbose"][..],
            &["notify", "test", "webhook", "--verbose"][..],
            &["check", "--no-input", "--notify", "--verbose"][..],
            &[
                "check",
                "--no-input",
                "--notify",
                "--verbose",
                "--format",
                "json",
            ][..],
            &[
                "check",
                "--yes",
                "--notify",
                "--verbose",
                "--format",
                "summary",
            ][..],
        ] {
            let out = env.run(args);
            assert_no_secret(&format!("{args:?}"), &out.streams());
        }
        let history = env.run(&["history", "--format", "json"]);
        assert_no_secret("history", &history.streams());
        assert_no_secret_on_disk(&env);
    }
    // The webhook did get the token: redaction is in the output only.
    assert_eq!(
        server.last_header("/hook", "Authorization").as_deref(),
        Some(format!("Bearer {HOOK_SECRET}").as_str())
    );

    // Nothing listening on the SMTP port at all.
    let port = sink.port();
    drop(sink);
    let env = notify_env(&server, port, PASSWORD_ENV);
    let out = env.run(&["notify", "test", "--verbose"]);
    out.assert_code(1);
    assert_no_secret("notify test, SMTP down", &out.streams());
}

#[test]
fn secrets_never_show_when_sends_succeed() {
    let server = TestServer::start();
    // A webhook that echoes the request's token in its answer, which
    // --verbose prints.
    server.set(
        "/hook",
        Reply::status(
            200,
            format!("{{\"ok\":true,\"auth\":\"Bearer {HOOK_SECRET}\"}}"),
        ),
    );
    let sink = SmtpSink::start();
    // No username: the sink does not speak AUTH, and the password is not used.
    let env = notify_env(&server, sink.port(), PASSWORD_ENV);
    env.write_rules(
        &notify_rules(&server, sink.port(), PASSWORD_ENV).replace("username = \"me\"\n", ""),
    );
    let out = env.run(&["notify", "test", "--verbose"]);
    out.assert_ok();
    assert!(out.stdout.contains("webhook: sent"), "{}", out.streams());
    assert!(out.stdout.contains("[redacted]"), "{}", out.streams());
    assert_no_secret("notify test", &out.streams());
    let out = env.run(&["check", "--no-input", "--notify", "--verbose"]);
    out.assert_ok();
    assert_eq!(sink.mails().len(), 2, "{}", out.streams());
    assert_no_secret("check --notify --verbose", &out.streams());
    for mail in sink.mails() {
        assert_no_secret("the mail", &mail.data);
    }
    assert_no_secret(
        "the webhook body",
        &String::from_utf8_lossy(&server.last_body("/hook")),
    );
    assert_no_secret_on_disk(&env);
}

// ---------------------------------------------------------------------------
// Credentials in feed URLs

#[test]
fn a_feed_password_in_the_url_never_shows() {
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    server.set(
        "/page.html",
        Reply::html(
            r#"<html><head><title>Oolong</title>
<meta property="og:title" content="Oolong Tea">
<meta property="product:price:amount" content="4.20">
<meta property="product:price:currency" content="GBP">
</head><body></body></html>"#,
        ),
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let authed = |path: &str| {
        format!(
            "http://shopper:{FEED_SECRET}@127.0.0.1:{}{path}",
            server.port()
        )
    };
    let env = TestEnv::new();
    env.write_rules(&format!(
        r#"
[settings]
currency = "GBP"

[feeds.grocer]
kind = "json"
url = "{grocer}"

[feeds.missing]
kind = "json"
url = "{missing}"

[feeds.down]
kind = "csv"
url = "http://shopper:{FEED_SECRET}@127.0.0.1:{closed}/feed.csv"

[feeds.oolong]
kind = "page"
url = "{page}"

[[rule]]
name = "Tea"
match = {{ name = "tea" }}
add = {{ limit = 5 }}
"#,
        grocer = authed("/grocer.json"),
        missing = authed("/missing.json"),
        page = authed("/page.html"),
    ));
    let base = server.base_url();
    for args in [
        &["check", "--no-input", "--verbose"][..],
        &["check", "--no-input", "--verbose", "--format", "json"][..],
        &["check", "--dry-run", "--offline", "--verbose"][..],
        &["rules", "list"][..],
        &["rules", "check"][..],
    ] {
        let out = env.run(args);
        assert_no_secret(&format!("{args:?}"), &out.streams());
        if args[0] == "check" && !args.contains(&"--offline") {
            assert!(
                out.streams().contains(&format!(
                    "feed 'missing': HTTP 404 Not Found from {base}/missing.json"
                )),
                "{}",
                out.streams()
            );
            assert!(
                out.streams().contains(&format!(
                    "feed 'down': cannot connect to http://127.0.0.1:{closed}/feed.csv: "
                )),
                "{}",
                out.streams()
            );
        }
    }
    // The credentials were used: the server saw basic auth.
    assert!(server
        .last_header("/grocer.json", "Authorization")
        .is_some_and(|v| v.starts_with("Basic ")));
    let out = env.run(&["check", "--yes", "--format", "json"]);
    out.assert_ok();
    assert_no_secret("check --yes", &out.streams());
    assert_no_secret("list", &env.run(&["list", "--format", "json"]).streams());
    assert_no_secret_on_disk(&env);
}

// ---------------------------------------------------------------------------
// File modes

/// `env`'s command for `args`, run by `sh` under `umask 000`, so modes cannot
/// come from the umask.
fn run_with_umask_000(env: &TestEnv, args: &[&str]) -> std::process::Output {
    let inner = env.cmd(args);
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(inner.get_program())
        .args(inner.get_args())
        .env_clear();
    for (k, v) in inner.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    if let Some(dir) = inner.get_current_dir() {
        cmd.current_dir(dir);
    }
    cmd.output().expect("run basket under sh")
}

#[test]
fn the_store_lock_and_cache_are_user_only_whatever_the_umask() {
    let server = TestServer::start();
    server.set(
        "/grocer.json",
        Reply::fixture("catalog/grocer.json").with_header("ETag", "\"v1\""),
    );
    let mut env = TestEnv::new();
    // Directories basket itself must create, below ones the test made.
    let data = env.root().join("fresh/data");
    let cache = env.root().join("fresh-cache/cache");
    env.set_env("BASKET_DATA_DIR", &data);
    env.set_env("BASKET_CACHE_DIR", &cache);
    env.write_rules(&server.expand(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Panettone"
match = { feed = "grocer", name = "panettone" }
add = {}
"#,
    ));
    let out = run_with_umask_000(&env, &["check", "--yes"]);
    assert!(out.status.success(), "{out:?}");
    for dir in [
        env.root().join("fresh"),
        data.clone(),
        env.root().join("fresh-cache"),
        cache.clone(),
        cache.join("http"),
    ] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    let mut files = files_under(&data);
    files.extend(files_under(&cache));
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"basket.db".to_string()), "{names:?}");
    assert!(names.contains(&"basket.lock".to_string()), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".body")), "{names:?}");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }

    // SQLite gives -wal and -shm the database's mode: open it as a reader
    // would while a check runs, and look.
    let db = data.join("basket.db");
    let conn = rusqlite::Connection::open(&db).expect("open");
    conn.execute_batch("BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS t (x); COMMIT;")
        .expect("write");
    for suffix in ["-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

#[test]
fn a_world_readable_store_from_before_is_made_private() {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    env.write_rules(
        &server.expand("[feeds.grocer]\nkind = \"json\"\nurl = \"$SERVER/grocer.json\"\n"),
    );
    env.run(&["add", "grocer/GR-1001"]).assert_ok();
    let db = env.db_path();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    env.run(&["list"]).assert_ok();
    assert_eq!(mode(&db), 0o600);
}

// ---------------------------------------------------------------------------
// The rules file

#[test]
fn a_world_writable_rules_file_is_warned_about() {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    env.write_rules(&server.expand(
        "[feeds.grocer]\nkind = \"json\"\nurl = \"$SERVER/grocer.json\"\n\n[[rule]]\nname = \"Panettone\"\nmatch = { name = \"panettone\" }\nadd = {}\n",
    ));
    let rules = env.rules_path();
    let warning = format!(
        "warning: {0} is writable by other users: anyone on this machine can change what basket proposes; chmod o-w {0}\n",
        rules.display()
    );
    std::fs::set_permissions(&rules, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    for args in [
        &["rules", "check"][..],
        &["rules", "list"][..],
        &["check", "--no-input"][..],
        &["notify", "test"][..],
        &["add", "grocer/GR-1001"][..],
    ] {
        let out = env.run(args);
        assert!(
            out.stderr.starts_with(&warning),
            "{args:?}:\n{}",
            out.streams()
        );
    }
    // --quiet silences warnings, this one too.
    let out = env.run(&["--quiet", "rules", "check"]);
    assert!(!out.stderr.contains("writable"), "{}", out.streams());

    for safe in [0o644, 0o664, 0o600] {
        std::fs::set_permissions(&rules, std::fs::Permissions::from_mode(safe)).expect("chmod");
        let out = env.run(&["rules", "check"]);
        out.assert_ok();
        assert!(
            !out.stderr.contains("writable"),
            "{safe:o}: {}",
            out.streams()
        );
    }
}

// ---------------------------------------------------------------------------
// The chat and push channels (issue 17)

/// Each channel's token, user key or webhook URL: in no output, whether the
/// services accept or refuse (quoting the secret back, as some do), nor in
/// the store or the cache.
#[test]
fn chat_channel_secrets_never_show() {
    use crate::channels;
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    let mut env = TestEnv::new();
    env.write_rules(&server.expand(&format!(
        r#"
[settings]
currency = "GBP"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"
{tables}
[[rule]]
name = "Pet supplies deals"
match = {{ category = "pet supplies", on_sale = true }}
notify = {{ channels = [{list}] }}

[[rule]]
name = "Sun cream"
match = {{ name = "sun cream spf 30" }}
add = {{}}
"#,
        tables = channels::TABLES,
        list = channels::ALL
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", "),
    )));
    channels::set_secrets(&mut env, &server);
    let scan = |what: &str, text: &str| {
        for s in channels::SECRETS {
            assert!(!text.contains(s), "{what} shows {s}:\n{text}");
        }
    };
    let runs: &[&[&str]] = &[
        &["notify", "test", "--verbose"],
        &["check", "--no-input", "--notify", "--verbose"],
        &[
            "check",
            "--no-input",
            "--notify",
            "--verbose",
            "--format",
            "json",
        ],
        &[
            "check",
            "--yes",
            "--notify",
            "--verbose",
            "--format",
            "summary",
        ],
        &["history", "--format", "json"],
        &["rules", "list"],
        &["rules", "check"],
    ];
    // Refusing, and quoting every secret back.
    let quoted = format!("denied: {}", channels::SECRETS.join(" "));
    for path in server_paths(&env) {
        server.set(&path, Reply::status(401, quoted.clone()));
    }
    for args in runs {
        scan(&format!("{args:?}"), &env.run(args).streams());
    }
    // Accepting, and quoting them back on success too.
    channels::answer_success(&server);
    for args in runs {
        let out = env.run(args);
        scan(&format!("{args:?}"), &out.streams());
    }
    for file in files_under(&env.data_dir())
        .into_iter()
        .chain(files_under(&env.cache_dir()))
    {
        let bytes = std::fs::read(&file).expect("read a stored file");
        scan(
            &file.display().to_string(),
            &String::from_utf8_lossy(&bytes),
        );
    }
    // The services did get them: the redaction is in what basket shows only.
    let seen: String = server
        .requests()
        .iter()
        .map(|r| {
            format!(
                "{} {:?} {}",
                r.url,
                r.headers,
                String::from_utf8_lossy(&r.body)
            )
        })
        .collect();
    for s in channels::SECRETS {
        assert!(seen.contains(s), "{s} was never sent");
    }
}

/// The paths the six services are reached at, from the environment's secrets.
fn server_paths(_env: &TestEnv) -> Vec<String> {
    crate::channels::PATHS
        .iter()
        .map(|p| p.to_string())
        .collect()
}
