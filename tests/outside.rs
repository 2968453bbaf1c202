//! What users see, pinned whole: insta snapshots of `check` (table, JSON,
//! `--explain`), `review`, `list`, `history`, `rules list` and the main error
//! messages, each with its exit status, through the real binary.
//!
//! These were written before the house was rearranged (issue 12) so that moving
//! code cannot change an output unnoticed: a refactor must leave every snapshot
//! as it is. Only the table renderer's exact bytes may change, and then the diff
//! is reviewed as a whole (`cargo insta review`).
//!
//! One shopper throughout: the grocer catalog and the Open-Meteo fixture served
//! from 127.0.0.1, a basket seeded by hand with a palm-oil spread and a sold-out
//! chocolate, and rules of each action kind (add, add on a warm day, swap,
//! remove, notify).

use crate::support::{Output, Reply, TestEnv, TestServer};

const FORECAST: &str = "open-meteo/frenck-forecast-daily-all-variables-TRIMMED.json";

const RULES: &str = r#"[settings]
currency = "GBP"
budget = "20.00"
location = { latitude = 52.27, longitude = 6.87, name = "Enschede" }

[weather]
url = "$SERVER/v1/forecast"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Favourite chocolate"
match = { brand = "Divine", category = "chocolate" }
add = { quantity = 1, prefer = "cheapest" }

[[rule]]
name = "Sun cream on warm days"
when.weather = { day = "monday", temp_max_c = { above = 22 } }
add = { product = { name = "sun cream spf 30" }, quantity = 1 }

[[rule]]
name = "No palm oil"
match = { in = "basket", contains = ["palm-oil"] }
swap = { without = ["palm-oil"], keep = ["category"], prefer = "closest_price" }

[[rule]]
name = "Drop what sold out"
match = { in = "catalog", available = false }
remove = {}

[[rule]]
name = "Pet supplies"
match = { category = "pet supplies" }
notify = { limit = 2 }

[[rule]]
name = "Bread when it is cold"
when.weather = { day = "today", temp_max_c = { below = 5 } }
add = { product = { name = "wholemeal bread" } }

[[rule]]
name = "Switched off"
enabled = false
match = { name = "panettone" }
add = {}
"#;

/// The shopper: rules written, the basket seeded with GR-3001 (palm oil) and
/// GR-1002 (sold out).
struct Shopper {
    env: TestEnv,
    server: TestServer,
}

impl Shopper {
    fn new() -> Shopper {
        let server = TestServer::start();
        server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
        server.set("/v1/forecast", Reply::fixture(FORECAST));
        let env = TestEnv::new();
        env.write_rules(&server.expand(RULES));
        let shopper = Shopper { env, server };
        shopper.run(&["add", "grocer/GR-3001"]).assert_ok();
        shopper
            .run(&["add", "grocer/GR-1002", "-n", "2"])
            .assert_ok();
        shopper
    }

    fn run(&self, args: &[&str]) -> Output {
        self.env.run(args)
    }

    /// Both streams and the status, with the temp dir and the server's port
    /// replaced so the snapshot is the same on every run.
    fn shot(&self, out: &Output) -> String {
        self.env
            .normalize(&out.streams())
            .replace(&self.server.base_url(), "$SERVER")
    }
}

#[test]
fn check_dry_run_table() {
    let s = Shopper::new();
    let out = s.run(&["check", "--dry-run"]);
    insta::assert_snapshot!(s.shot(&out));
}

#[test]
fn check_dry_run_json() {
    let s = Shopper::new();
    let out = s.run(&["check", "--dry-run", "--format", "json"]);
    insta::assert_snapshot!(s.shot(&out));
}

#[test]
fn check_explain() {
    let s = Shopper::new();
    let out = s.run(&["check", "--dry-run", "--explain"]);
    insta::assert_snapshot!(s.shot(&out));
}

#[test]
fn check_no_input_then_summary_and_review() {
    let s = Shopper::new();
    let pending = s.run(&["check", "--no-input"]);
    insta::assert_snapshot!("check_no_input", s.shot(&pending));
    let summary = s.run(&["check", "--no-input", "--format", "summary"]);
    insta::assert_snapshot!("check_summary_again", s.shot(&summary));
    let review = s.run(&["review"]);
    insta::assert_snapshot!("review_without_terminal", s.shot(&review));
    let review_json = s.run(&["review", "--format", "json"]);
    insta::assert_snapshot!("review_json", s.shot(&review_json));
}

#[test]
fn check_yes_then_list_and_history() {
    let s = Shopper::new();
    let yes = s.run(&["check", "--yes"]);
    insta::assert_snapshot!("check_yes", s.shot(&yes));
    insta::assert_snapshot!("list_table", s.shot(&s.run(&["list"])));
    insta::assert_snapshot!("list_json", s.shot(&s.run(&["list", "--format", "json"])));
    insta::assert_snapshot!("list_csv", s.shot(&s.run(&["list", "--format", "csv"])));
    insta::assert_snapshot!("history_table", s.shot(&s.run(&["history"])));
    insta::assert_snapshot!(
        "history_json",
        s.shot(&s.run(&["history", "--format", "json"]))
    );
    // A second run: what was decided is not asked again.
    let again = s.run(&["check", "--dry-run"]);
    insta::assert_snapshot!("check_after_yes", s.shot(&again));
}

#[test]
fn rules_list_and_check() {
    let s = Shopper::new();
    insta::assert_snapshot!("rules_list", s.shot(&s.run(&["rules", "list"])));
    insta::assert_snapshot!("rules_check", s.shot(&s.run(&["rules", "check"])));
}

// ------------------------------------------------------------ the main errors

/// An error run in a fresh environment with `rules` as the rules file.
fn error_shot(rules: Option<&str>, args: &[&str]) -> String {
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    let env = TestEnv::new();
    if let Some(rules) = rules {
        env.write_rules(&server.expand(rules));
    }
    let out = env.run(args);
    env.normalize(&out.streams())
        .replace(&server.base_url(), "$SERVER")
}

#[test]
fn error_no_rules_file() {
    insta::assert_snapshot!(error_shot(None, &["check"]));
}

#[test]
fn error_rules_typo_in_a_key() {
    let rules = "[feeds.grocer]\nkind = \"json\"\nurl = \"$SERVER/grocer.json\"\n\n\
                 [[rule]]\nname = \"Typo\"\nmatch = { brnd = \"Divine\" }\nadd = {}\n";
    insta::assert_snapshot!(error_shot(Some(rules), &["check"]));
}

#[test]
fn error_rules_unknown_feed() {
    let rules = "[feeds.grocer]\nkind = \"json\"\nurl = \"$SERVER/grocer.json\"\n\n\
                 [[rule]]\nname = \"Typo\"\nmatch = { feed = \"grocr\" }\nadd = {}\n";
    insta::assert_snapshot!(error_shot(Some(rules), &["rules", "check"]));
}

#[test]
fn error_rules_not_toml() {
    insta::assert_snapshot!(error_shot(
        Some("[settings\ncurrency = \"GBP\"\n"),
        &["check"]
    ));
}

#[test]
fn error_every_feed_failed() {
    let rules = "[feeds.grocer]\nkind = \"json\"\nurl = \"$SERVER/gone.json\"\n\n\
                 [[rule]]\nname = \"Any\"\nmatch = { name = \"tea\" }\nadd = {}\n";
    insta::assert_snapshot!(error_shot(Some(rules), &["check", "--no-input"]));
}

#[test]
fn error_add_unknown_product() {
    let rules = "[feeds.grocer]\nkind = \"json\"\nurl = \"$SERVER/grocer.json\"\n";
    insta::assert_snapshot!(error_shot(Some(rules), &["add", "grocer/NOPE-1"]));
}

#[test]
fn error_bad_clock() {
    let server = TestServer::start();
    let mut env = TestEnv::new();
    env.write_rules(&server.expand("[settings]\ncurrency = \"GBP\"\n"));
    env.set_now("next tuesday");
    let out = env.run(&["list"]);
    insta::assert_snapshot!(env.normalize(&out.streams()));
}

#[test]
fn error_unknown_flag() {
    insta::assert_snapshot!(error_shot(None, &["check", "--frobnicate"]));
}
