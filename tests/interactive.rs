//! The prompts, driven through a pseudo-terminal (docs/architecture.md, point 7): dialoguer
//! refuses to run without a terminal, so piping answers cannot test them. Each test
//! runs `basket` on a pty with rexpect, answers like a person would (Enter, arrow
//! keys, Esc, Ctrl-C, y/n), and then checks with plain runs what the answers left
//! in the basket, the history and the pending proposals.

use std::process::Command;

use rexpect::process::WaitStatus;
use rexpect::session::{spawn_with_options, Options, PtySession};
use serde_json::Value;

use crate::support::{Reply, TestEnv, TestServer};

/// How long to wait for any one expected piece of output. Generous: a loaded CI
/// machine is slow, and a correct run never gets near it.
const PTY_TIMEOUT_MS: u64 = 10_000;

const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";
const ESC: &str = "\x1b";

/// Three `add` rules over `catalog/grocer.json`, each proposing one product, in
/// this order (the order the prompts come in).
const THREE_ADDS: &str = r#"
[settings]
currency = "GBP"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Favourite chocolate"
match = { brand = "Divine", category = "chocolate" }
add = { quantity = 1, limit = 1, prefer = "cheapest" }

[[rule]]
name = "Cheap sun cream"
match = { name = "sun cream spf 30", price = { below = "5.00" } }
add = {}

[[rule]]
name = "Peanut butter"
match = { name = "peanut butter" }
add = { limit = 1, prefer = "cheapest" }
"#;

/// (rule, product id, product name) of the three proposals, in prompt order.
const CHOCOLATE: (&str, &str, &str) = (
    "Favourite chocolate",
    "GR-1003",
    "Divine Milk Chocolate 90g",
);
const SUN_CREAM: (&str, &str, &str) = (
    "Cheap sun cream",
    "GR-2002",
    "Grocer's Own Sun Cream Lotion SPF 30 200ml",
);
const PEANUT: (&str, &str, &str) = (
    "Peanut butter",
    "GR-4001",
    "Grocer's Own Smooth Peanut Butter 340g",
);

/// A test world whose rules make the three proposals above.
fn three_adds() -> (TestEnv, TestServer) {
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    let env = TestEnv::new();
    env.write_rules(&server.expand(THREE_ADDS));
    (env, server)
}

/// Starts `cmd` on a fresh pseudo-terminal. Escape codes are stripped from what
/// the test reads, so expectations are about text, not about how it is drawn.
fn spawn_pty(cmd: Command) -> PtySession {
    let options = Options::new()
        .timeout_ms(Some(PTY_TIMEOUT_MS))
        .strip_ansi_escape_codes(true);
    spawn_with_options(cmd, options).expect("start basket on a pseudo-terminal")
}

/// rexpect turns each byte it reads into one `char` (Latin-1), so "×" arrives as
/// two chars. Needles are encoded the same way and what is read is decoded back,
/// so tests can speak UTF-8.
fn as_read(text: &str) -> String {
    text.bytes().map(char::from).collect()
}

fn decoded(read: &str) -> String {
    let bytes: Vec<u8> = read.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Waits for `needle`, panicking with what was seen instead; returns the output
/// before it.
#[track_caller]
fn expect(p: &mut PtySession, needle: &str) -> String {
    match p.exp_string(&as_read(needle)) {
        Ok(before) => decoded(&before),
        Err(e) => panic!("waiting for {needle:?} on the pty: {e}"),
    }
}

/// Waits for the prompt numbered `position` of `total` to be fully drawn (its
/// last item shown), so a key sent next answers this prompt. Returns what was
/// printed before the prompt.
#[track_caller]
fn expect_prompt(p: &mut PtySession, position: usize, total: usize, headline: &str) -> String {
    let tag = format!("({position}/{total})");
    let before = expect(p, &tag);
    let prompt = expect(p, "skip (decide later)");
    assert!(
        prompt.contains(headline),
        "prompt {tag} should name {headline:?}, it showed {prompt:?}"
    );
    before
}

#[track_caller]
fn send(p: &mut PtySession, keys: &str) {
    p.send(keys).expect("write to the pty");
    p.flush().expect("flush the pty");
}

/// Reads to the end of the output and returns it with the exit code (`None`
/// when the process was ended by a signal).
#[track_caller]
fn finish(p: &mut PtySession) -> (String, Option<i32>) {
    let rest = match p.exp_eof() {
        Ok(rest) => decoded(&rest),
        Err(e) => panic!("waiting for basket to exit: {e}"),
    };
    let status = match p.process.wait().expect("reap basket") {
        WaitStatus::Exited(_, code) => Some(code),
        _ => None,
    };
    (rest, status)
}

#[track_caller]
fn assert_no_crash(output: &str) {
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!output.contains(bad), "basket crashed ({bad:?}):\n{output}");
    }
}

fn list_json(env: &TestEnv) -> Value {
    env.run(&["list", "--format", "json"]).assert_ok().json()
}

fn basket_ids(env: &TestEnv) -> Vec<String> {
    list_json(env)["items"]
        .as_array()
        .expect("items is an array")
        .iter()
        .map(|i| i["id"].as_str().expect("item id").to_string())
        .collect()
}

/// (rule, product id, approved) of every decision, oldest first.
fn decisions(env: &TestEnv) -> Vec<(String, String, bool)> {
    let history = env.run(&["history", "--format", "json"]).assert_ok().json();
    let mut out: Vec<(String, String, bool)> = history
        .as_array()
        .expect("history is an array")
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().expect("rule").to_string(),
                r["product_id"].as_str().expect("product_id").to_string(),
                r["approved"].as_bool().expect("approved"),
            )
        })
        .collect();
    // history is newest first; the tests speak in prompt order.
    out.reverse();
    out
}

/// (rule, product id, status) of what a non-interactive check proposes now.
fn proposals_now(env: &TestEnv) -> Vec<(String, String, String)> {
    let report = env
        .run(&["check", "--format", "json", "--no-input"])
        .assert_ok()
        .json();
    report["proposals"]
        .as_array()
        .expect("proposals is an array")
        .iter()
        .map(|p| {
            (
                p["rule"].as_str().expect("rule").to_string(),
                p["product"]["id"].as_str().expect("product id").to_string(),
                p["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

fn owned(rule: &str, id: &str, tail: &str) -> (String, String, String) {
    (rule.to_string(), id.to_string(), tail.to_string())
}

fn decision(rule: &str, id: &str, approved: bool) -> (String, String, bool) {
    (rule.to_string(), id.to_string(), approved)
}

#[test]
fn check_on_a_terminal_shows_the_table_then_approve_decline_and_skip_stick() {
    let (env, _server) = three_adds();
    let mut p = spawn_pty(env.pty_cmd(&["check"]));

    // The proposals table comes first, naming every rule that fired.
    let table = expect_prompt(&mut p, 1, 3, "add 1 × Divine Milk Chocolate 90g (1.95 GBP)");
    for rule in [CHOCOLATE.0, SUN_CREAM.0, PEANUT.0] {
        assert!(
            table.contains(rule),
            "the table should list {rule}:\n{table}"
        );
    }
    assert!(table.contains("status"), "a table header:\n{table}");

    send(&mut p, ENTER); // approve (the default)
    expect_prompt(&mut p, 2, 3, "Sun Cream");
    send(&mut p, DOWN);
    send(&mut p, ENTER); // decline
    expect_prompt(&mut p, 3, 3, "Peanut Butter");
    send(&mut p, DOWN);
    send(&mut p, DOWN);
    send(&mut p, ENTER); // skip (decide later)
    expect(&mut p, "1 approved, 1 declined, 1 left pending");
    let (rest, status) = finish(&mut p);
    assert_no_crash(&rest);
    assert_eq!(status, Some(0), "check should succeed; tail:\n{rest}");

    // Only the approved proposal entered the basket, added by its rule.
    let list = list_json(&env);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "exactly the approved item:\n{list:#}");
    assert_eq!(items[0]["id"], CHOCOLATE.1);
    assert_eq!(items[0]["name"], CHOCOLATE.2);
    assert_eq!(items[0]["added_by"], CHOCOLATE.0);
    assert_eq!(list["totals"]["GBP"], "1.95");

    assert_eq!(
        decisions(&env),
        vec![
            decision(CHOCOLATE.0, CHOCOLATE.1, true),
            decision(SUN_CREAM.0, SUN_CREAM.1, false),
        ]
    );

    // The approved add is not proposed again while the bar is in the basket, the
    // declined one waits out its cooldown, and the skipped one is still pending.
    assert_eq!(
        proposals_now(&env),
        vec![owned(PEANUT.0, PEANUT.1, "pending")]
    );
}

#[test]
fn review_on_a_terminal_decides_what_a_no_input_run_left_pending() {
    let (env, _server) = three_adds();
    let out = env.run(&["check", "--no-input"]);
    out.assert_ok();
    assert!(
        out.stderr.contains("basket review"),
        "a --no-input run should point at `basket review`:\n{}",
        out.streams()
    );
    assert!(basket_ids(&env).is_empty(), "--no-input adds nothing");

    let mut p = spawn_pty(env.pty_cmd(&["review"]));
    let table = expect_prompt(&mut p, 1, 3, "Divine Milk Chocolate");
    assert!(
        table.contains(PEANUT.0) && table.contains("pending"),
        "review shows the pending table:\n{table}"
    );
    send(&mut p, DOWN);
    send(&mut p, ENTER); // decline
    expect_prompt(&mut p, 2, 3, "Sun Cream");
    send(&mut p, ENTER); // approve
    expect_prompt(&mut p, 3, 3, "Peanut Butter");
    send(&mut p, ESC); // stop asking: stays pending
    expect(&mut p, "1 approved, 1 declined, 1 left pending");
    let (rest, status) = finish(&mut p);
    assert_no_crash(&rest);
    assert_eq!(status, Some(0), "review should succeed; tail:\n{rest}");

    assert_eq!(basket_ids(&env), vec![SUN_CREAM.1.to_string()]);
    assert_eq!(
        decisions(&env),
        vec![
            decision(CHOCOLATE.0, CHOCOLATE.1, false),
            decision(SUN_CREAM.0, SUN_CREAM.1, true),
        ]
    );
    // What was not decided is still there for the next review.
    let again = env.run(&["review"]);
    again.assert_ok();
    assert!(
        again.stdout.contains(PEANUT.0)
            && !again.stdout.contains(CHOCOLATE.0)
            && !again.stdout.contains(SUN_CREAM.0),
        "only the undecided proposal is left to review:\n{}",
        again.streams()
    );
}

#[test]
fn ctrl_c_at_the_second_prompt_keeps_the_first_decision_and_leaves_the_rest_pending() {
    let (env, _server) = three_adds();
    let mut p = spawn_pty(env.pty_cmd(&["check"]));
    expect_prompt(&mut p, 1, 3, "Divine Milk Chocolate");
    send(&mut p, ENTER); // approve
    expect_prompt(&mut p, 2, 3, "Sun Cream");
    p.send_control('c').expect("send Ctrl-C");
    // basket ends by itself (130, the usual status after Ctrl-C; 0 if it finished
    // stopping first), promptly, without a panic, and with the basket as the
    // decisions so far made it.
    let (rest, status) = finish(&mut p);
    assert!(
        matches!(status, Some(130) | Some(0)),
        "basket should exit by itself after Ctrl-C, not die of it: {status:?}\n{rest}"
    );
    assert_no_crash(&rest);

    assert_eq!(basket_ids(&env), vec![CHOCOLATE.1.to_string()]);
    assert_eq!(
        decisions(&env),
        vec![decision(CHOCOLATE.0, CHOCOLATE.1, true)]
    );
    assert_eq!(
        proposals_now(&env),
        vec![
            owned(SUN_CREAM.0, SUN_CREAM.1, "pending"),
            owned(PEANUT.0, PEANUT.1, "pending"),
        ]
    );
}

#[test]
fn ctrl_c_in_review_after_a_decline_keeps_exactly_that_decline() {
    // Stored as pending by a run without a terminal, then reviewed: the
    // decline is kept, the approval that was never given is not, and the
    // basket is untouched.
    let (env, _server) = three_adds();
    env.run(&["check", "--no-input"]).assert_ok();
    let mut p = spawn_pty(env.pty_cmd(&["review"]));
    expect_prompt(&mut p, 1, 3, "Divine Milk Chocolate");
    send(&mut p, DOWN);
    send(&mut p, ENTER); // decline
    expect_prompt(&mut p, 2, 3, "Sun Cream");
    send(&mut p, DOWN); // moving to "decline", not answering
    p.send_control('c').expect("send Ctrl-C");
    let (rest, status) = finish(&mut p);
    assert!(
        matches!(status, Some(130) | Some(0)),
        "basket should exit by itself after Ctrl-C: {status:?}\n{rest}"
    );
    assert_no_crash(&rest);
    assert_eq!(basket_ids(&env), Vec::<String>::new());
    assert_eq!(
        decisions(&env),
        vec![decision(CHOCOLATE.0, CHOCOLATE.1, false)]
    );
    // The declined chocolate is not proposed again (the rule's next-cheapest
    // Divine bar is, as new); the two unanswered proposals are still pending.
    assert_eq!(
        proposals_now(&env),
        vec![
            owned(CHOCOLATE.0, "GR-1001", "new"),
            owned(SUN_CREAM.0, SUN_CREAM.1, "pending"),
            owned(PEANUT.0, PEANUT.1, "pending"),
        ]
    );
}

#[test]
fn ctrl_c_at_the_first_prompt_changes_nothing() {
    let (env, _server) = three_adds();
    let mut p = spawn_pty(env.pty_cmd(&["check"]));
    expect_prompt(&mut p, 1, 3, "Divine Milk Chocolate");
    p.send_control('c').expect("send Ctrl-C");
    let (rest, status) = finish(&mut p);
    assert!(matches!(status, Some(130) | Some(0)), "{status:?}\n{rest}");
    assert_no_crash(&rest);
    assert_eq!(basket_ids(&env), Vec::<String>::new());
    assert_eq!(decisions(&env), vec![]);
}

/// dialoguer hides the cursor while a prompt is up; console turns Ctrl-C at a
/// prompt into SIGINT. Unhandled, that ended basket with the shopper's cursor
/// still hidden (dialoguer issues 77 and 92: the program must handle Ctrl-C).
#[test]
fn ctrl_c_at_a_prompt_gives_the_terminal_its_cursor_back() {
    const HIDE: &str = "\x1b[?25l";
    const SHOW: &str = "\x1b[?25h";
    let (env, _server) = three_adds();
    // Escape codes kept: the cursor's state is what this test is about.
    let options = Options::new().timeout_ms(Some(PTY_TIMEOUT_MS));
    let mut p = spawn_with_options(env.pty_cmd(&["check"]), options)
        .expect("start basket on a pseudo-terminal");
    let mut transcript = String::new();
    for needle in ["(1/3)", "skip (decide later)"] {
        transcript += &p.exp_string(needle).expect("the first prompt");
    }
    send(&mut p, ENTER);
    for needle in ["(2/3)", "skip (decide later)"] {
        transcript += &p.exp_string(needle).expect("the second prompt");
    }
    p.send_control('c').expect("send Ctrl-C");
    transcript += &p.exp_eof().expect("basket ends after Ctrl-C");
    let hidden = transcript.rfind(HIDE).expect("the prompt hides the cursor");
    assert!(
        transcript[hidden..].contains(SHOW),
        "the cursor is still hidden when basket ends; output after hiding it: {:?}",
        &transcript[hidden..]
    );
    assert_eq!(basket_ids(&env), vec![CHOCOLATE.1.to_string()]);
}

/// Puts two grocer products in the basket by hand.
fn two_items(env: &TestEnv) {
    env.run(&["add", "grocer/GR-1001"]).assert_ok();
    env.run(&["add", "grocer/GR-7001"]).assert_ok();
    assert_eq!(basket_ids(env).len(), 2);
}

#[test]
fn clear_on_a_terminal_asks_first_and_no_keeps_the_basket() {
    let (env, _server) = three_adds();
    two_items(&env);
    let mut p = spawn_pty(env.pty_cmd(&["clear"]));
    expect(&mut p, "Remove all 2 items from the basket?");
    send(&mut p, "n");
    expect(&mut p, "Nothing removed.");
    let (rest, status) = finish(&mut p);
    assert_no_crash(&rest);
    assert_eq!(status, Some(0));
    assert_eq!(basket_ids(&env), vec!["GR-1001", "GR-7001"]);
}

#[test]
fn clear_on_a_terminal_answered_yes_empties_the_basket() {
    let (env, _server) = three_adds();
    two_items(&env);
    let mut p = spawn_pty(env.pty_cmd(&["clear"]));
    expect(&mut p, "Remove all 2 items from the basket?");
    send(&mut p, "y");
    expect(&mut p, "removed 2 items");
    let (rest, status) = finish(&mut p);
    assert_no_crash(&rest);
    assert_eq!(status, Some(0));
    assert!(basket_ids(&env).is_empty());
    assert!(env
        .run(&["list"])
        .assert_ok()
        .stdout
        .contains("The basket is empty."));
}

#[test]
fn demo_on_a_terminal_asks_about_each_proposal_and_shows_the_basket_after() {
    let env = TestEnv::new();
    let mut p = spawn_pty(env.pty_cmd(&["demo"]));
    let before = expect(&mut p, "(1/6)");
    assert!(
        before.contains("Basket before: 1 × Choco Spread 400g"),
        "the demo starts from its own basket:\n{before}"
    );
    expect(&mut p, "skip (decide later)");
    send(&mut p, ENTER); // approve
    for n in 2..=6 {
        expect_prompt(&mut p, n, 6, "");
        send(&mut p, ENTER); // approve
    }
    expect(&mut p, "6 approved, 0 declined, 0 left pending");
    expect(&mut p, "Basket after:");
    let after = decoded(&p.read_line().expect("the basket-after line"));
    let (rest, status) = finish(&mut p);
    assert_no_crash(&rest);
    assert_eq!(status, Some(0), "demo should succeed; tail:\n{rest}");

    // Three adds, two swaps and a removal, all approved.
    for now_in in [
        "Divine Dark Chocolate 70% 90g",
        "Sun Cream SPF 30 200ml",
        "Chelsea Boot Black Size 42",
        "Nocciolata Organic Hazelnut Spread 270g",
        "Sunflower Seed Butter 250g",
    ] {
        assert!(after.contains(now_in), "{now_in} should be in: {after}");
    }
    for gone in [
        "Choco Spread 400g",
        "Crunchy Peanut Butter",
        "Advent Calendar",
    ] {
        assert!(!after.contains(gone), "{gone} should be gone: {after}");
    }
    assert!(
        !rest.contains("Not a terminal"),
        "on a terminal the demo asks:\n{rest}"
    );
    assert!(
        !env.db_path().exists(),
        "the demo never touches the real basket"
    );
}
