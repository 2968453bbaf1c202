//! The commands other than the interactive check, run plainly (no terminal, stdin
//! closed), the way scripts and cron run them: what they print, what they leave in
//! the basket and the rules file, and the exit codes of docs/cli.md.

use std::path::Path;

use serde_json::Value;

use crate::support::{Reply, TestEnv, TestServer};

/// The annotated example that `basket init` must write, byte for byte.
fn example_rules() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules.example.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A feed to look products up in, and no rules: enough for `add` and `list`.
const GROCER_ONLY: &str = r#"
[settings]
currency = "GBP"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"
"#;

fn grocer() -> (TestEnv, TestServer) {
    let server = TestServer::start();
    server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
    let env = TestEnv::new();
    env.write_rules(&server.expand(GROCER_ONLY));
    (env, server)
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

// ----------------------------------------------------------------------------
// init, rules check, rules list

#[test]
fn init_writes_the_example_rules_and_says_where() {
    let env = TestEnv::new();
    let out = env.run(&["init"]);
    out.assert_ok();
    assert_eq!(env.read_rules(), example_rules());
    assert!(
        out.stdout.contains(&env.rules_path().display().to_string()),
        "init names the file it wrote:\n{}",
        out.streams()
    );
}

#[test]
fn init_without_basket_rules_writes_to_the_config_dir() {
    let mut env = TestEnv::new();
    env.remove_env("BASKET_RULES");
    env.run(&["init"]).assert_ok();
    let written = std::fs::read_to_string(env.default_rules_path()).expect("the default rules");
    assert_eq!(written, example_rules());
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let env = TestEnv::new();
    let mine = "# my own rules, hand-written\n[settings]\ncurrency = \"EUR\"\n";
    env.write_rules(mine);
    let out = env.run(&["init"]);
    out.assert_code(1);
    assert_eq!(env.read_rules(), mine, "the shopper's file is untouched");
    assert!(
        out.stderr.contains("already exists") && out.stderr.contains("--force"),
        "says why and how to overwrite:\n{}",
        out.streams()
    );
    // The rename-into-place leaves no temporary file beside it either.
    let beside: Vec<_> = std::fs::read_dir(env.config_dir())
        .expect("read the config dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("rules.toml")]);
}

#[test]
fn init_force_replaces_the_file_with_the_example() {
    let env = TestEnv::new();
    env.write_rules("# my own rules\n");
    env.run(&["init", "--force"]).assert_ok();
    assert_eq!(env.read_rules(), example_rules());
}

#[test]
fn the_example_that_init_writes_passes_rules_check() {
    let env = TestEnv::new();
    env.run(&["init"]).assert_ok();
    let example = example_rules();
    let rules = example.lines().filter(|l| l.trim() == "[[rule]]").count();
    let feeds = example.lines().filter(|l| l.starts_with("[feeds.")).count();
    assert!(rules > 1 && feeds > 1, "the example has rules and feeds");
    let out = env.run(&["rules", "check"]);
    out.assert_ok();
    assert_eq!(
        out.stdout.trim(),
        format!("ok: {rules} rules, {feeds} feeds")
    );
}

#[test]
fn rules_check_names_the_line_of_a_mistake_and_exits_2() {
    let env = TestEnv::new();
    env.write_rules(
        r#"[feeds.grocer]
kind = "json"
url = "http://127.0.0.1:9/grocer.json"

[[rule]]
name = "Typo"
match = { feed = "grocr" }
add = {}
"#,
    );
    let out = env.run(&["rules", "check"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("rules.toml:7"),
        "the error points at the line:\n{}",
        out.streams()
    );
    assert!(out.stdout.is_empty(), "no `ok` line:\n{}", out.streams());
}

#[test]
fn a_missing_rules_file_says_so_once_and_suggests_init() {
    let env = TestEnv::new();
    let out = env.run(&["rules", "check"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(&env.rules_path().display().to_string())
            && out.stderr.contains("basket init"),
        "names the file and the fix:\n{}",
        out.streams()
    );
    assert_eq!(
        out.stderr.matches("No such file or directory").count(),
        1,
        "the cause is told once, not repeated:\n{}",
        out.streams()
    );
}

#[test]
fn rules_list_shows_one_line_per_rule_with_its_action() {
    let env = TestEnv::new();
    env.run(&["init"]).assert_ok();
    let out = env.run(&["rules", "list"]);
    out.assert_ok();
    let expected = [
        ("Favourite chocolate", "add"),
        ("Sun cream on warm days", "add"),
        ("Boots under £15", "add"),
        ("No palm oil", "swap"),
        ("Peanut allergy", "swap"),
        ("Pet supplies deals", "notify"),
        ("Drop what sold out", "remove"),
        ("Rainy weekend soup", "add"),
    ];
    for (rule, action) in expected {
        let lines: Vec<&str> = out.stdout.lines().filter(|l| l.contains(rule)).collect();
        assert_eq!(lines.len(), 1, "one line for {rule}:\n{}", out.stdout);
        let cells: Vec<&str> = lines[0].split(['│', '┆']).map(str::trim).collect();
        assert!(
            cells.contains(&action),
            "{rule} should show its action {action}: {}",
            lines[0]
        );
    }
    // Disabled rules say so.
    let sold_out = out
        .stdout
        .lines()
        .find(|l| l.contains("Drop what sold out"))
        .expect("the sold-out rule");
    assert!(sold_out.contains(" no "), "disabled: {sold_out}");
    // What it watches includes the availability its rule matches on, so the line
    // does not read as "every catalog product". The cell wraps onto the lines
    // below, whose first cell is empty.
    let watches: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.contains("Drop what sold out"))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || l.split('┆').next().is_some_and(|c| c.trim() == "│"))
        .filter_map(|(_, l)| l.split('┆').nth(2).map(str::trim))
        .collect();
    assert!(
        watches
            .join(" ")
            .contains(r#"{ in = "catalog", available = false }"#),
        "watches unavailable products: {watches:?}"
    );
}

// ----------------------------------------------------------------------------
// list, add, remove, clear

#[test]
fn list_of_an_empty_basket_says_so_in_every_format() {
    let (env, _server) = grocer();
    let table = env.run(&["list"]);
    table.assert_ok();
    assert_eq!(table.stdout.trim(), "The basket is empty.");
    let json = list_json(&env);
    assert_eq!(json["items"], serde_json::json!([]));
    assert_eq!(json["totals"], serde_json::json!({}));
    let csv = env.run(&["list", "--format", "csv"]);
    csv.assert_ok();
    assert_eq!(
        csv.stdout.trim(),
        "feed,id,gtin,name,brand,price,currency,quantity,added_by,added_at"
    );
}

#[test]
fn list_shows_items_and_a_total_per_currency_in_table_json_and_csv() {
    let (env, _server) = grocer();
    env.run(&["add", "grocer/GR-1001", "--quantity", "2"])
        .assert_ok();
    env.run(&["add", "grocer/GR-7001"]).assert_ok();
    // A euro-priced product gets a total of its own.
    env.run(&["add", "grocer/GR-6001"]).assert_ok();

    let json = list_json(&env);
    let items = json["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    let first = &items[0];
    for key in [
        "feed", "id", "gtin", "name", "brand", "price", "currency", "quantity", "added_by",
        "added_at",
    ] {
        assert!(first.get(key).is_some(), "item lacks {key}: {first:#}");
    }
    assert_eq!(first["feed"], "grocer");
    assert_eq!(first["id"], "GR-1001");
    assert_eq!(first["gtin"], "5012345001012");
    assert_eq!(first["name"], "Divine Dark Chocolate 70% 90g");
    assert_eq!(first["brand"], "Divine");
    assert_eq!(first["price"], "2.10");
    assert_eq!(first["currency"], "GBP");
    assert_eq!(first["quantity"], 2);
    assert_eq!(first["added_by"], "manual");
    assert_eq!(first["added_at"], "2026-10-03T09:00:00Z");
    // 2 × 2.10 + 1.45 = 5.65 GBP; 8.90 EUR.
    assert_eq!(
        json["totals"],
        serde_json::json!({ "EUR": "8.90", "GBP": "5.65" })
    );

    let table = env.run(&["list"]);
    table.assert_ok();
    for text in [
        "Divine Dark Chocolate 70% 90g",
        "grocer/GR-7001",
        "total: 5.65 GBP",
        "total: 8.90 EUR",
    ] {
        assert!(table.stdout.contains(text), "{text}:\n{}", table.stdout);
    }

    let csv = env.run(&["list", "--format", "csv"]);
    csv.assert_ok();
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "header and three rows:\n{}", csv.stdout);
    assert_eq!(
        lines[1],
        "grocer,GR-1001,5012345001012,Divine Dark Chocolate 70% 90g,Divine,2.10,GBP,2,manual,2026-10-03T09:00:00Z"
    );
}

/// Issue 13, bug 4: a second hand add of a product already in the basket
/// used to print "added 3 × ..." and leave the line at 1.
#[test]
fn a_manual_add_of_a_product_already_in_the_basket_raises_its_quantity() {
    let (env, _server) = grocer();
    env.run(&["add", "grocer/GR-1001"]).assert_ok();
    let again = env.run(&["add", "grocer/GR-1001", "-n", "3"]);
    again.assert_ok();
    assert_eq!(
        again.stdout.trim(),
        "added 3 × Divine Dark Chocolate 70% 90g (2.10 GBP); 4 in the basket now"
    );
    let items = list_json(&env)["items"].clone();
    assert_eq!(
        items.as_array().map(Vec::len),
        Some(1),
        "one line:\n{items}"
    );
    assert_eq!(items[0]["quantity"], 4);
    // Both adds are in the history, as the shopper made them.
    let history = env.run(&["history", "--format", "json"]).assert_ok().json();
    let adds = history["decisions"]
        .as_array()
        .or_else(|| history.as_array())
        .map_or(0, |d| d.iter().filter(|r| r["rule"] == "manual").count());
    assert_eq!(adds, 2, "{history}");
}

#[test]
fn a_rule_named_manual_is_refused_with_its_line() {
    let (env, server) = grocer();
    let mut rules = server.expand(GROCER_ONLY);
    rules.push_str("\n[[rule]]\nname = \"manual\"\nmatch = { name = \"tea\" }\nadd = {}\n");
    env.write_rules(&rules);
    let out = env.run(&["rules", "check"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("rules.toml:10:8")
            && out.stderr.contains("reserved for changes made by hand"),
        "{}",
        out.streams()
    );
}

#[test]
fn add_finds_a_product_by_barcode_and_by_name_words() {
    let (env, _server) = grocer();
    // The GTIN-13 of the milk, written as a shopper might scan or type it.
    let out = env.run(&["add", "5012345007014"]);
    out.assert_ok();
    assert!(
        out.stdout.contains("Grocer's Own Semi-Skimmed Milk"),
        "{}",
        out.streams()
    );
    // Words of the name, in any order and case.
    env.run(&["add", "bread WHOLEMEAL"]).assert_ok();
    assert_eq!(basket_ids(&env), vec!["GR-7001", "GR-7002"]);
    // The hand changes are in the history, as rule "manual".
    let history = env.run(&["history", "--format", "json"]).assert_ok().json();
    let rules: Vec<&str> = history
        .as_array()
        .expect("history")
        .iter()
        .map(|r| r["rule"].as_str().expect("rule"))
        .collect();
    assert_eq!(rules, vec!["manual", "manual"]);
}

#[test]
fn add_of_an_ambiguous_query_without_a_terminal_lists_the_candidates_and_exits_2() {
    let (env, _server) = grocer();
    let out = env.run(&["add", "peanut butter"]);
    out.assert_code(2);
    for candidate in ["grocer/GR-4001", "grocer/GR-4002"] {
        assert!(
            out.stderr.contains(candidate),
            "lists {candidate}:\n{}",
            out.streams()
        );
    }
    assert!(out.stderr.contains("feed/id"), "hint:\n{}", out.streams());
    assert!(basket_ids(&env).is_empty(), "nothing added");
}

#[test]
fn add_of_an_unknown_product_fails_and_adds_nothing() {
    let (env, _server) = grocer();
    let out = env.run(&["add", "caviar"]);
    out.assert_code(1);
    assert!(out.stderr.contains("\"caviar\""), "{}", out.streams());
    assert!(basket_ids(&env).is_empty());
}

#[test]
fn remove_takes_an_item_out_by_feed_id_or_name() {
    let (env, _server) = grocer();
    for id in ["grocer/GR-1001", "grocer/GR-7001", "grocer/GR-7002"] {
        env.run(&["add", id]).assert_ok();
    }
    let out = env.run(&["remove", "grocer/GR-7001"]);
    out.assert_ok();
    assert!(out
        .stdout
        .contains("removed Grocer's Own Semi-Skimmed Milk"));
    env.run(&["remove", "wholemeal"]).assert_ok();
    assert_eq!(basket_ids(&env), vec!["GR-1001"]);

    let missing = env.run(&["remove", "grocer/GR-7001"]);
    missing.assert_code(1);
    assert!(
        missing.stderr.contains("basket list"),
        "{}",
        missing.streams()
    );
    assert_eq!(basket_ids(&env), vec!["GR-1001"]);
}

#[test]
fn remove_of_an_ambiguous_item_exits_2_and_keeps_both() {
    let (env, _server) = grocer();
    env.run(&["add", "grocer/GR-7001"]).assert_ok();
    env.run(&["add", "grocer/GR-7002"]).assert_ok();
    let out = env.run(&["remove", "grocer's own"]);
    out.assert_code(2);
    assert!(out.stderr.contains("grocer/GR-7001") && out.stderr.contains("grocer/GR-7002"));
    assert_eq!(basket_ids(&env).len(), 2);
}

#[test]
fn clear_yes_empties_the_basket() {
    let (env, _server) = grocer();
    env.run(&["add", "grocer/GR-7001"]).assert_ok();
    env.run(&["add", "grocer/GR-7002"]).assert_ok();
    let out = env.run(&["clear", "--yes"]);
    out.assert_ok();
    assert!(out.stdout.contains("removed 2 items"), "{}", out.streams());
    assert!(basket_ids(&env).is_empty());
    let again = env.run(&["clear", "--yes"]);
    again.assert_ok();
    assert!(again.stdout.contains("already empty"));
}

#[test]
fn clear_without_a_terminal_and_without_yes_refuses() {
    let (env, _server) = grocer();
    env.run(&["add", "grocer/GR-7001"]).assert_ok();
    let out = env.run_with_stdin(&["clear"], "y\n");
    out.assert_code(2);
    assert!(out.stderr.contains("--yes"), "{}", out.streams());
    assert_eq!(basket_ids(&env), vec!["GR-7001"], "nothing removed");
}

// ----------------------------------------------------------------------------
// history

#[test]
fn history_is_newest_first_and_limit_keeps_the_latest() {
    let (mut env, _server) = grocer();
    env.run(&["add", "grocer/GR-7001"]).assert_ok();
    env.set_now("2026-10-03T10:00:00Z");
    env.run(&["add", "grocer/GR-7002"]).assert_ok();
    env.set_now("2026-10-03T11:00:00Z");
    env.run(&["remove", "grocer/GR-7001"]).assert_ok();

    let all = env.run(&["history", "--format", "json"]).assert_ok().json();
    let all = all.as_array().expect("history");
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["action"], "remove");
    assert_eq!(all[0]["product_id"], "GR-7001");
    assert_eq!(all[2]["product_id"], "GR-7001");
    assert_eq!(all[2]["action"], "add");

    let last = env
        .run(&["history", "--limit", "1", "--format", "json"])
        .assert_ok()
        .json();
    assert_eq!(last.as_array().expect("history").len(), 1);
    assert_eq!(last[0], all[0]);

    let table = env.run(&["history", "--limit", "2"]);
    table.assert_ok();
    assert!(table.stdout.contains("2026-10-03 11:00"));
    assert!(table.stdout.contains("2026-10-03 10:00"));
    assert!(
        !table.stdout.contains("2026-10-03 09:00"),
        "{}",
        table.stdout
    );
}

#[test]
fn history_with_no_decisions_says_so() {
    let env = TestEnv::new();
    let out = env.run(&["history"]);
    out.assert_ok();
    assert_eq!(out.stdout.trim(), "No decisions yet.");
}

// ----------------------------------------------------------------------------
// completions, --version

#[test]
fn completions_bash_prints_a_completion_script() {
    let env = TestEnv::new();
    let out = env.run(&["completions", "bash"]);
    out.assert_ok();
    assert!(out.stdout.contains("complete -F"), "{}", out.streams());
    for sub in ["check", "review", "demo", "completions"] {
        assert!(out.stdout.contains(sub), "completes {sub}");
    }
}

#[test]
fn version_prints_the_crate_version() {
    let env = TestEnv::new();
    let out = env.run(&["--version"]);
    out.assert_ok();
    assert_eq!(
        out.stdout.trim(),
        format!("basket {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn an_unknown_subcommand_is_a_usage_error() {
    let env = TestEnv::new();
    env.run(&["frobnicate"]).assert_code(2);
}

// ----------------------------------------------------------------------------
// demo

/// The demo's throwaway directory goes to TMPDIR; pointing that into the test's
/// root lets the test see that it is deleted afterwards.
fn demo_env() -> (TestEnv, std::path::PathBuf) {
    let mut env = TestEnv::new();
    let tmp = env.root().join("tmp");
    std::fs::create_dir_all(&tmp).expect("create the tmp dir");
    env.set_env("TMPDIR", &tmp);
    (env, tmp)
}

#[test]
fn demo_without_a_terminal_shows_every_kind_and_leaves_nothing_behind() {
    let (env, tmp) = demo_env();
    let out = env.run(&["demo"]);
    out.assert_ok();
    // Every kind of proposal, and a notification.
    for text in [
        "┆ add ",
        "┆ remove ",
        "┆ swap ",
        "notify Pet supplies deals",
    ] {
        assert!(out.stdout.contains(text), "{text}:\n{}", out.streams());
    }
    assert!(out.stdout.contains("Basket before:") && out.stdout.contains("Basket after:"));
    // Issue 15: a product at the shopper's store with click-and-collect (the
    // demo grocer's local inventory), and a swap by the price per kilo.
    assert!(
        out.stdout
            .contains("notify Cat food to collect at my store")
            && out
                .stdout
                .contains("in stock at store 0042, 3.40 GBP there, pickup same_day"),
        "{}",
        out.streams()
    );
    let json = env.run(&["demo", "--format", "json"]).assert_ok().json();
    let peanut = json["proposals"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["rule"] == "Peanut allergy"))
        .cloned()
        .unwrap_or_default();
    assert!(
        peanut["reason"]
            .as_str()
            .is_some_and(|r| r.contains("cheapest per unit at 12.80 GBP/kg")),
        "{peanut}"
    );
    assert!(
        out.stdout.contains("Not a terminal"),
        "says why nothing was asked:\n{}",
        out.streams()
    );
    assert!(!env.db_path().exists(), "no basket.db in the data dir");
    assert_eq!(
        std::fs::read_dir(&tmp).expect("read tmp").count(),
        0,
        "the throwaway basket is deleted"
    );
}

#[test]
fn demo_format_json_has_all_four_kinds() {
    let (env, _tmp) = demo_env();
    let report = env.run(&["demo", "--format", "json"]).assert_ok().json();
    let actions: Vec<&str> = report["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .map(|p| p["action"].as_str().expect("action"))
        .collect();
    for kind in ["add", "remove", "swap"] {
        assert!(actions.contains(&kind), "{kind} in {actions:?}");
    }
    let notifications = report["notifications"].as_array().expect("notifications");
    assert!(!notifications.is_empty(), "a notify rule fired: {report:#}");
    assert!(notifications[0]["products"]
        .as_array()
        .is_some_and(|p| !p.is_empty()));
    assert!(!env.db_path().exists());
}

// ----------------------------------------------------------------------------
// man page, completions, a closed pipe

#[test]
fn man_prints_a_man_page_naming_every_command() {
    let env = TestEnv::new();
    let out = env.run(&["man"]);
    out.assert_ok();
    assert!(
        out.stdout.contains(".TH basket 1"),
        "a roff man page:\n{}",
        out.streams()
    );
    for command in [
        "check", "review", "list", "add", "history", "prices", "rules", "demo",
    ] {
        assert!(
            out.stdout.contains(&format!("basket\\-{command}")) || out.stdout.contains(command),
            "the man page names `{command}`"
        );
    }
}

#[test]
fn completions_for_bash_zsh_and_fish_know_the_commands() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = env.run(&["completions", shell]);
        out.assert_ok();
        assert!(
            out.stdout.contains("review") && out.stdout.contains("dry-run"),
            "{shell} completions list commands and flags:\n{}",
            out.streams()
        );
    }
}

/// `basket check --format json | head -1`: the reader going away is not an
/// error, in JSON as in a table.
#[test]
fn json_into_a_closed_pipe_exits_0_without_an_error() {
    let (env, server) = grocer();
    let mut rules = server.expand(GROCER_ONLY);
    rules.push_str(
        "\n[[rule]]\nname = \"Chocolate\"\nmatch = { name = \"chocolate\" }\nnotify = true\n",
    );
    env.write_rules(&rules);
    let mut cmd = env.cmd(&["check", "--dry-run", "--format", "json"]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn basket");
    // Closed before basket has fetched anything, so its first write fails.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for basket");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(!stderr.contains("error"), "no error printed:\n{stderr}");
}
