//! Bad input, end to end: a broken rules file, feeds that fail in every way a
//! server or file can, a forecast that fails, a data directory or `basket.db`
//! basket must not touch, a bad clock and bad arguments. Each test checks what the
//! shopper sees (the message, its file or feed, the hint), the exit code of
//! docs/cli.md, that nothing panicked, and that the basket is as it was.

use std::path::Path;

use crate::support::{Output, Reply, TestEnv, TestServer};

/// A valid rules file: one JSON feed on the test server and one rule that
/// proposes the panettone from it.
const GOOD_RULES: &str = r#"
[settings]
currency = "GBP"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Panettone"
match = { feed = "grocer", name = "panettone" }
add = {}
"#;

/// A test's world with one item already in the basket, so "unchanged" means
/// something: the test server serving the grocer fixture, and the basket as
/// `list --format json` showed it after seeding.
struct World {
    env: TestEnv,
    server: TestServer,
    basket: String,
}

impl World {
    fn new() -> World {
        let env = TestEnv::new();
        let server = TestServer::start();
        server.set("/grocer.json", Reply::fixture("catalog/grocer.json"));
        env.write_rules(&server.expand(GOOD_RULES));
        let added = env.run(&["add", "grocer/GR-1001"]);
        added.assert_ok();
        let basket = list_json(&env);
        let items = serde_json::from_str::<serde_json::Value>(&basket).expect("list is JSON")
            ["items"]
            .as_array()
            .map(Vec::len);
        assert_eq!(items, Some(1), "seeded basket: {basket}");
        World {
            env,
            server,
            basket,
        }
    }

    /// Writes `rules` with `$SERVER` and `$ROOT` (the temp directory) filled in.
    fn write_rules(&self, rules: &str) {
        let root = self.env.root().display().to_string();
        self.env
            .write_rules(&self.server.expand(rules).replace("$ROOT", &root));
    }

    /// Runs `args` and checks it never panicked.
    fn run(&self, args: &[&str]) -> Output {
        let out = self.env.run(args);
        assert_no_panic(&out);
        out
    }

    #[track_caller]
    fn assert_basket_unchanged(&self) {
        assert_eq!(list_json(&self.env), self.basket, "the basket changed");
    }

    /// stderr with the temp directory as `$ROOT` and the server as `$SERVER`.
    fn stderr(&self, out: &Output) -> String {
        self.env
            .normalize(&out.stderr)
            .replace(&self.server.base_url(), "$SERVER")
    }
}

fn list_json(env: &TestEnv) -> String {
    let out = env.run(&["list", "--format", "json"]);
    out.assert_ok();
    out.stdout
}

#[track_caller]
fn assert_no_panic(out: &Output) {
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!out.stderr.contains(bad), "{bad}:\n{}", out.streams());
    }
}

/// docs/cli.md: every error in one or two lines.
#[track_caller]
fn assert_short_error(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.is_empty()).collect();
    assert!(
        (1..=2).contains(&lines.len()),
        "expected one or two lines:\n{stderr}"
    );
    assert!(lines[0].starts_with("error: "), "{stderr}");
}

// ---------------------------------------------------------------------------
// The rules file

/// `check` on `rules` is refused with exit 2, prints each of `expected` (after
/// `$ROOT/config/rules.toml:` for diagnostics), fetches nothing and leaves the
/// basket alone. Returns the normalised stderr for further checks.
#[track_caller]
fn assert_rules_rejected(rules: &str, expected: &[&str]) -> String {
    let w = World::new();
    w.write_rules(rules);
    let hits = w.server.total_hits();
    let out = w.run(&["check", "--no-input"]);
    out.assert_code(2);
    let stderr = w.stderr(&out);
    for e in expected {
        assert!(stderr.contains(e), "missing {e:?} in:\n{stderr}");
    }
    assert_eq!(out.stdout, "", "nothing is shown for an invalid file");
    assert_eq!(w.server.total_hits(), hits, "fetched with an invalid file");
    w.assert_basket_unchanged();
    stderr
}

const P: &str = "$ROOT/config/rules.toml";

#[test]
fn unclosed_bracket_is_invalid_toml_with_the_line_quoted() {
    let stderr = assert_rules_rejected(
        "[settings\ncurrency = \"GBP\"\n",
        &[&format!(
            "{P}:1:10: invalid TOML: unclosed table, expected `]`\n  |\n1 | [settings\n  |          ^\n  = hint: check quotes, brackets and `=` signs on this line\n\n{P}: 1 problem found; nothing was fetched or changed\n"
        )],
    );
    assert!(stderr.starts_with(&format!("{P}:1:10:")), "{stderr}");
}

#[test]
fn unclosed_quote_is_invalid_toml_with_the_line_quoted() {
    assert_rules_rejected(
        "[settings]\ncurrency = \"GBP\n",
        &[
            &format!("{P}:2:16: invalid TOML: invalid basic string, expected `\"`"),
            "2 | currency = \"GBP\n",
            "  |                ^\n",
        ],
    );
}

#[test]
fn bellow_in_a_price_comparison_suggests_below() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Cheap chocolate"
match = { feed = "grocer", price = { bellow = 2 } }
add = {}
"#,
        &[&format!(
            "{P}:8:38: unknown key 'bellow' in the comparison for price\n  |\n8 | match = {{ feed = \"grocer\", price = {{ bellow = 2 }} }}\n  |                                      ^^^^^^\n  = hint: did you mean 'below'?"
        )],
    );
}

#[test]
fn a_misspelt_settings_table_suggests_settings() {
    assert_rules_rejected(
        "[setings]\ncurrency = \"GBP\"\n",
        &[
            &format!("{P}:1:2: unknown key 'setings' in the rules file"),
            "= hint: did you mean 'settings'?",
        ],
    );
}

#[test]
fn nmae_in_a_rule_suggests_name() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
nmae = "Panettone"
match = { name = "panettone" }
add = {}
"#,
        &[
            &format!("{P}:7:1: unknown key 'nmae' in a rule"),
            "= hint: did you mean 'name'?",
            &format!("{P}:6:1: a rule has no name"),
        ],
    );
}

#[test]
fn a_rule_with_two_actions_is_rejected() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Both"
match = { name = "panettone" }
add = {}
notify = true
"#,
        &[
            &format!("{P}:10:10: rule 'Both' has 2 actions (add, notify); a rule has exactly one"),
            "= hint: split it into one rule per action, or remove 'notify'",
        ],
    );
}

#[test]
fn a_rule_with_no_action_is_rejected() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Idle"
match = { name = "panettone" }
"#,
        &[
            &format!("{P}:6:1: rule 'Idle' has no action"),
            "= hint: add one of add, remove, swap or notify",
        ],
    );
}

#[test]
fn an_unknown_feed_in_a_selector_suggests_the_real_one() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Panettone"
match = { feed = "grocr", name = "panettone" }
add = {}
"#,
        &[
            &format!("{P}:8:18: unknown feed 'grocr'"),
            "= hint: did you mean 'grocer'?",
        ],
    );
}

#[test]
fn wrong_types_are_named_with_what_was_found() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Panettone"
enabled = "yes"
match = { name = "panettone" }
add = { quantity = "two" }
"#,
        &[
            &format!("{P}:8:11: enabled must be true or false, found a string"),
            "= hint: write it without quotes: true or false",
            &format!("{P}:10:20: quantity \"two\" is not a number"),
            "2 problems found",
        ],
    );
}

#[test]
fn duplicate_rule_names_are_rejected() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Panettone"
match = { name = "panettone" }
add = {}

[[rule]]
name = "Panettone"
match = { name = "bread" }
add = {}
"#,
        &[&format!("{P}:11:1: duplicate rule name 'Panettone'")],
    );
}

#[test]
fn a_weather_rule_without_a_location_is_rejected() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Sun cream"
when.weather = { day = "tomorrow", temp_max_c = { above = 22 } }
add = { product = { name = "sun cream" } }
"#,
        &[
            &format!("{P}:6:1: rule 'Sun cream' uses the weather, but [settings] has no location"),
            "under [settings]",
        ],
    );
}

#[test]
fn an_unknown_day_suggests_tomorrow() {
    assert_rules_rejected(
        r#"
[settings]
location = { latitude = 51.5, longitude = -0.12 }

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Sun cream"
when.weather = { day = "tomorow", temp_max_c = { above = 22 } }
add = { product = { name = "sun cream" } }
"#,
        &[
            &format!("{P}:11:24: unknown day 'tomorow'"),
            "= hint: did you mean 'tomorrow'?",
        ],
    );
}

#[test]
fn a_bad_cooldown_is_rejected() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Panettone"
match = { name = "panettone" }
add = {}
cooldown = "a week"
"#,
        &[
            &format!("{P}:10:12: cooldown \"a week\" is not a duration"),
            "\"7d\"",
        ],
    );
}

#[test]
fn a_bad_currency_is_rejected() {
    assert_rules_rejected(
        r#"
[settings]
currency = "pounds"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Panettone"
match = { name = "panettone" }
add = {}
"#,
        &[
            &format!("{P}:3:12: currency \"pounds\" is not an ISO 4217 code"),
            "\"GBP\"",
        ],
    );
}

#[test]
fn add_preferring_the_closest_price_is_rejected() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Panettone"
match = { name = "panettone" }
add = { prefer = "closest_price" }
"#,
        &[
            &format!("{P}:9:18: prefer = \"closest_price\" needs an item to compare prices with"),
            "for add use \"cheapest\" or \"first\"",
        ],
    );
}

#[test]
fn a_swap_with_nothing_to_avoid_is_rejected() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Swap"
match = { in = "basket", name = "chocolate" }
swap = {}
"#,
        &[
            &format!("{P}:9:8: swap says nothing to avoid"),
            "without = [\"palm-oil\"]",
        ],
    );
}

#[test]
fn notify_on_an_unconfigured_channel_is_rejected() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Deals"
match = { on_sale = true }
notify = { channels = ["webhook"] }
"#,
        &[
            &format!("{P}:9:24: channel 'webhook' is not configured"),
            "add a [notify.webhook] table",
        ],
    );
}

#[test]
fn an_empty_rules_file_suggests_basket_init() {
    assert_rules_rejected(
        "",
        &[&format!("{P}:1:1: the rules file is empty"), "basket init"],
    );
}

#[test]
fn a_binary_rules_file_is_refused_with_a_hint() {
    let w = World::new();
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((0u8..=255).rev());
    std::fs::write(w.env.rules_path(), &bytes).expect("write binary rules");
    let hits = w.server.total_hits();
    for args in [&["check", "--no-input"][..], &["rules", "check"][..]] {
        let out = w.run(args);
        out.assert_code(2);
        let stderr = w.stderr(&out);
        assert_short_error(&stderr);
        assert!(
            stderr.starts_with(&format!(
                "error: the rules file {P} is not UTF-8 text (invalid byte at offset 0)\nhint: save the rules as UTF-8 text"
            )),
            "{stderr}"
        );
    }
    assert_eq!(w.server.total_hits(), hits);
    w.assert_basket_unchanged();
}

#[test]
fn a_missing_rules_file_suggests_basket_init_in_two_lines() {
    let w = World::new();
    std::fs::remove_file(w.env.rules_path()).expect("remove rules");
    let hits = w.server.total_hits();
    for args in [&["check", "--no-input"][..], &["rules", "check"][..]] {
        let out = w.run(args);
        out.assert_code(2);
        let stderr = w.stderr(&out);
        assert_short_error(&stderr);
        assert_eq!(
            stderr,
            format!(
                "error: cannot read the rules file {P}: No such file or directory (os error 2)\n\
                 hint: run `basket init` to write an annotated example there, or pass --rules PATH\n"
            )
        );
    }
    assert_eq!(w.server.total_hits(), hits);
    w.assert_basket_unchanged();
}

#[test]
fn a_10_mb_rules_file_is_refused_unparsed_with_a_hint() {
    // A log or a dump passed as --rules by mistake: refused by its size, after
    // reading 1 MiB of it, not parsed line by line into ten million problems.
    let w = World::new();
    let mut big = String::from("[settings]\ncurrency = \"GBP\"\n");
    let line = "# padding padding padding padding padding padding padding padding\n";
    while big.len() < 10 * 1024 * 1024 {
        big.push_str(line);
    }
    std::fs::write(w.env.rules_path(), &big).expect("write big rules");
    let hits = w.server.total_hits();
    for args in [&["check", "--no-input"][..], &["rules", "check"][..]] {
        let out = w.run(args);
        out.assert_code(2);
        assert_eq!(
            w.stderr(&out),
            format!(
                "error: the rules file {P} is larger than 1 MiB; a rules file is a few kilobytes of TOML\n\
                 hint: pass --rules PATH if this is not your rules file\n"
            )
        );
        assert_eq!(out.stdout, "");
    }
    assert_eq!(w.server.total_hits(), hits);
    w.assert_basket_unchanged();
}

/// `depth` nested `not` tables written inline, on one line.
fn nested_nots(depth: usize) -> String {
    format!(
        "[[rule]]\nname = \"Deep\"\nwhen = {}{{ basket = {{ has = {{ name = \"tea\" }} }} }}{}\nmatch = {{ name = \"tea\" }}\nadd = {{}}\n",
        "{ not = ".repeat(depth),
        " }".repeat(depth)
    )
}

#[test]
fn ten_thousand_nested_nots_are_an_error_not_a_stack_overflow() {
    let stderr = assert_rules_rejected(
        &nested_nots(10_000),
        &[
            &format!("{P}:3:"),
            ": invalid TOML: tables or arrays nested too deeply\n",
            "  = hint: conditions need only a few levels of `all`, `any` and `not`; flatten this\n",
            &format!("{P}: 1 problem found; nothing was fetched or changed\n"),
        ],
    );
    // The 100 KB line is quoted as a window around the caret, not whole.
    assert!(stderr.len() < 1_000, "{} bytes:\n{stderr}", stderr.len());
    let quoted = stderr.lines().nth(2).expect("the quoted line");
    assert!(
        quoted.starts_with("3 | ...") && quoted.ends_with("..."),
        "{quoted}"
    );
}

#[test]
fn ten_thousand_nested_dotted_keys_are_an_error_not_a_stack_overflow() {
    let rules = format!(
        "[[rule]]\nname = \"Deep\"\nmatch = {{ name = \"tea\" }}\nadd = {{}}\nwhen.{}.basket.has.name = \"tea\"\n",
        vec!["not"; 10_000].join(".")
    );
    assert_rules_rejected(
        &rules,
        &[
            ": invalid TOML: tables or arrays nested too deeply\n",
            "= hint: conditions need only a few levels",
        ],
    );
}

#[test]
fn a_few_nested_nots_are_still_fine() {
    let w = World::new();
    w.write_rules(&format!(
        "[feeds.grocer]\nkind = \"json\"\nurl = \"$SERVER/grocer.json\"\n{}",
        nested_nots(20)
    ));
    let out = w.run(&["rules", "check"]);
    out.assert_ok();
}

#[test]
fn a_without_list_on_an_add_says_it_belongs_to_swap() {
    assert_rules_rejected(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Biscuits"
match = { feed = "grocer", name = "biscuits" }
add = { without = ["palm-oil"], without_allergens = ["gluten"] }
"#,
        &[
            &format!(
                "{P}:9:9: 'without' belongs to swap, not add\n  |\n9 | add = {{ without = [\"palm-oil\"], without_allergens = [\"gluten\"] }}\n  |         ^^^^^^^\n  = hint: add has no list of things to avoid; use a swap rule to replace basket items that contain them\n"
            ),
            &format!("{P}:9:33: 'without_allergens' belongs to swap, not add\n"),
            &format!("{P}: 2 problems found; nothing was fetched or changed\n"),
        ],
    );
}

/// Ten mistakes in one file: every one is listed, in file order, and counted.
const MANY_MISTAKES: &str = r#"[setings]
currency = "GBP"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "One"
match = { feed = "grocr", price = { bellow = 15 } }
add = { quantity = "two" }

[[rule]]
name = "Two"
enabled = "yes"
match = { name = "tea" }
add = {}
notify = true

[[rule]]
nmae = "Three"
match = { name = "jam" }
add = { prefer = "closest_price" }
cooldown = "soon"
"#;

const MANY_HEADERS: &[&str] = &[
    "1:2: unknown key 'setings' in the rules file",
    "10:18: unknown feed 'grocr'",
    "10:37: unknown key 'bellow' in the comparison for price",
    "11:20: quantity \"two\" is not a number",
    "15:11: enabled must be true or false, found a string",
    "18:10: rule 'Two' has 2 actions (add, notify); a rule has exactly one",
    "20:1: a rule has no name",
    "21:1: unknown key 'nmae' in a rule",
    "23:18: prefer = \"closest_price\" needs an item to compare prices with",
    "24:12: cooldown \"soon\" is not a duration",
];

fn headers(stderr: &str) -> Vec<String> {
    let prefix = format!("{P}:");
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
        .collect()
}

#[test]
fn several_problems_are_all_listed_and_nothing_is_fetched() {
    let stderr = assert_rules_rejected(
        MANY_MISTAKES,
        &[&format!(
            "{P}: 10 problems found; nothing was fetched or changed"
        )],
    );
    assert_eq!(headers(&stderr), MANY_HEADERS);
    // Each problem quotes its line with a caret.
    assert_eq!(
        stderr.matches(" | ").count(),
        2 * MANY_HEADERS.len(),
        "{stderr}"
    );
}

#[test]
fn rules_check_reports_ok_with_the_counts() {
    let w = World::new();
    w.write_rules(
        r#"
[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[feeds.boots]
kind = "csv"
url = "$SERVER/boots.csv"

[[rule]]
name = "Panettone"
match = { name = "panettone" }
add = {}

[[rule]]
name = "Boots"
match = { feed = "boots", price = { below = 15 } }
add = {}
"#,
    );
    let hits = w.server.total_hits();
    let out = w.run(&["rules", "check"]);
    out.assert_ok();
    assert_eq!(out.stdout, "ok: 2 rules, 2 feeds\n");
    assert_eq!(out.stderr, "");
    assert_eq!(w.server.total_hits(), hits, "rules check runs nothing");

    w.write_rules(GOOD_RULES);
    let out = w.run(&["rules", "check"]);
    out.assert_ok();
    assert_eq!(out.stdout, "ok: 1 rule, 1 feed\n");
}

#[test]
fn rules_check_lists_every_problem_and_exits_2() {
    let w = World::new();
    w.write_rules(MANY_MISTAKES);
    let hits = w.server.total_hits();
    let out = w.run(&["rules", "check"]);
    out.assert_code(2);
    assert_eq!(out.stdout, "");
    let stderr = w.stderr(&out);
    assert_eq!(headers(&stderr), MANY_HEADERS);
    assert!(
        stderr.ends_with(&format!(
            "{P}: 10 problems found; nothing was fetched or changed\n"
        )),
        "{stderr}"
    );
    assert_eq!(w.server.total_hits(), hits);
    w.assert_basket_unchanged();
}

// ---------------------------------------------------------------------------
// Feeds

/// The good grocer feed plus a feed `bad` of `kind` at `url`.
fn two_feeds(kind: &str, url: &str) -> String {
    format!(
        r#"
[feeds.bad]
kind = "{kind}"
url = "{url}"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Panettone"
match = {{ feed = "grocer", name = "panettone" }}
add = {{}}
"#
    )
}

/// Only the feed `bad`.
fn one_feed(kind: &str, url: &str) -> String {
    format!(
        r#"
[feeds.bad]
kind = "{kind}"
url = "{url}"

[[rule]]
name = "Anything"
match = {{ name = "panettone" }}
add = {{}}
"#
    )
}

/// With another feed working, a failing `bad` feed is a warning naming it and
/// the run succeeds; alone, the run fails with exit 1. The basket never changes.
#[track_caller]
fn assert_feed_fails(kind: &str, url: &str, reply: Option<Reply>, warning: &str) {
    let w = World::new();
    if let Some(reply) = reply {
        w.server.set("/bad", reply);
    }

    w.write_rules(&two_feeds(kind, url));
    let out = w.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    let report = out.json();
    let warnings: Vec<String> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|v| {
            v.as_str()
                .expect("a warning is text")
                .replace(&w.server.base_url(), "$SERVER")
                .replace(&w.env.root().display().to_string(), "$ROOT")
        })
        .collect();
    assert_eq!(
        warnings,
        vec![format!(
            "feed 'bad': {warning}; rules that need it were skipped"
        )],
        "{}",
        out.streams()
    );
    let proposed: Vec<&str> = report["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .filter_map(|p| p["product"]["id"].as_str())
        .collect();
    assert_eq!(proposed, ["GR-6001"], "the working feed is still used");
    w.assert_basket_unchanged();

    w.write_rules(&one_feed(kind, url));
    let out = w.run(&["check", "--no-input"]);
    out.assert_code(1);
    let stderr = w.stderr(&out);
    assert_eq!(
        stderr,
        format!(
            "warning: feed 'bad': {warning}; rules that need it were skipped\n\
             error: every feed failed (1 of 1); nothing was evaluated and the basket is unchanged\n\
             hint: check the feed URLs in the rules file and your connection, then run again\n"
        )
    );
    assert_eq!(out.stdout, "");
    w.assert_basket_unchanged();
}

/// A feed is text from someone else that ends up in the shopper's terminal:
/// the control characters in what it lists (an escape sequence that would
/// clear the screen or recolour it, a title change, a bell, a tab, a C1
/// CSI) come out as spaces, in the proposals, the basket and what is stored.
#[test]
fn control_characters_in_a_feed_never_reach_the_terminal() {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set(
        "/shop.csv",
        Reply::csv(
            "id,name,brand,price,currency,categories\n\
             T1,\"Evil \x1b[2J\x1b[31mRed\x1b[0m\tTea\x07\",\"Acme\x1b]0;pwned\x07\",\
             1.00,GBP,Drinks > \x1b[5mTea\n",
        ),
    );
    server.set(
        "/shop.json",
        Reply::json(
            // JSON Lines: a line with escapes, and one without.
            r#"{"id": "J1", "name": "Green\u001b[2J Tea\u009b", "price": "2.00", "currency": "GBP"}
{"id": "J2", "name": "Plain Tea", "price": "3.00", "currency": "GBP"}
"#,
        ),
    );
    env.write_rules(&server.expand(
        r#"
[settings]
currency = "GBP"

[feeds.csvshop]
kind = "csv"
url = "$SERVER/shop.csv"

[feeds.jsonshop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "Tea"
match = { name = "tea" }
add = { limit = 5 }
"#,
    ));
    let check = env.run(&["check", "--yes"]);
    check.assert_ok();
    let table = env.run(&["list"]);
    table.assert_ok();
    let json = env.run(&["list", "--format", "json"]);
    json.assert_ok();
    for (what, text) in [
        ("check", check.streams()),
        ("list", table.streams()),
        ("list --format json", json.streams()),
    ] {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{what} printed a control character:\n{text:?}"
        );
    }
    let listed = json.json();
    let names: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["Evil  [2J [31mRed [0m Tea", "Green [2J Tea", "Plain Tea"]
    );
    assert_eq!(listed["items"][0]["brand"], "Acme ]0;pwned");
}

#[test]
fn a_feed_answering_500_is_a_warning_naming_it() {
    assert_feed_fails(
        "json",
        "$SERVER/bad",
        Some(Reply::status(500, "oops")),
        "HTTP 500 Internal Server Error from $SERVER/bad",
    );
}

#[test]
fn a_feed_answering_404_is_a_warning_naming_it() {
    assert_feed_fails(
        "csv",
        "$SERVER/bad",
        None,
        "HTTP 404 Not Found from $SERVER/bad",
    );
}

#[test]
fn a_feed_answering_an_html_page_is_a_warning_naming_it() {
    assert_feed_fails(
        "json",
        "$SERVER/bad",
        Some(Reply::html(
            "<!doctype html>\n<html><body><form>Sign in</form></body></html>\n",
        )),
        "answered with an HTML page, not JSON",
    );
    assert_feed_fails(
        "csv",
        "$SERVER/bad",
        Some(Reply::html("  <html><body>Moved</body></html>")),
        "answered with an HTML page, not CSV",
    );
}

#[test]
fn a_feed_with_truncated_json_is_a_warning_naming_it() {
    assert_feed_fails(
        "json",
        "$SERVER/bad",
        Some(Reply::json(
            r#"{"products": [{"id": "1", "name": "Tea", "pri"#,
        )),
        "not valid JSON at line 1, column 45: EOF while parsing a string",
    );
}

#[test]
fn a_feed_with_an_empty_body_is_a_warning_naming_it() {
    assert_feed_fails(
        "json",
        "$SERVER/bad",
        Some(Reply::json("")),
        "empty response",
    );
    assert_feed_fails(
        "csv",
        "$SERVER/bad",
        Some(Reply::csv("\n  \n")),
        "empty response",
    );
}

#[test]
fn a_feed_at_a_missing_file_is_a_warning_naming_it() {
    assert_feed_fails(
        "csv",
        "$ROOT/feeds/missing.csv",
        None,
        "cannot read $ROOT/feeds/missing.csv: No such file or directory",
    );
}

#[test]
fn a_feed_at_a_missing_file_url_is_a_warning_naming_it() {
    let w = World::new();
    let path = w.env.root().join("gone.json");
    let url = format!("file://{}", path.display());
    w.write_rules(&two_feeds("json", &url));
    let out = w.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    let warnings = out.json()["warnings"].clone();
    assert_eq!(
        warnings,
        serde_json::json!([format!(
            "feed 'bad': cannot read {}: No such file or directory; rules that need it were skipped",
            path.display()
        )])
    );
    w.assert_basket_unchanged();
}

#[test]
fn a_record_with_a_bad_price_is_skipped_and_counted() {
    let w = World::new();
    w.server.set(
        "/bad",
        Reply::json(
            r#"[
  {"id": "T-1", "name": "Earl Grey Tea", "price": "2.50", "currency": "GBP"},
  {"id": "T-2", "name": "Green Tea", "price": "abc", "currency": "GBP"},
  {"id": "T-3", "name": "Mint Tea", "price": "1.75", "currency": "GBP"}
]"#,
        ),
    );
    w.write_rules(
        r#"
[feeds.bad]
kind = "json"
url = "$SERVER/bad"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Tea"
match = { feed = "bad", name = "tea" }
add = { limit = 3 }
"#,
    );
    let out = w.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    let report = out.json();
    assert_eq!(
        report["warnings"],
        serde_json::json!([
            "feed 'bad': 1 of 3 records skipped: record 2: price \"abc\" is not a number"
        ])
    );
    let mut proposed: Vec<&str> = report["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .filter_map(|p| p["product"]["id"].as_str())
        .collect();
    proposed.sort_unstable();
    assert_eq!(proposed, ["T-1", "T-3"], "the good records are used");
    w.assert_basket_unchanged();

    // In the table view the same warning goes to stderr.
    let out = w.run(&["check", "--no-input"]);
    out.assert_ok();
    assert!(
        out.stderr.contains(
            "warning: feed 'bad': 1 of 3 records skipped: record 2: price \"abc\" is not a number\n"
        ),
        "{}",
        out.streams()
    );
}

#[test]
fn an_absurd_price_is_skipped_not_a_crash() {
    // Decimal's largest value: a discount or a total on it used to overflow,
    // which is a panic.
    let w = World::new();
    w.server.set(
        "/bad",
        Reply::json(
            r#"[
  {"id": "T-1", "name": "Earl Grey Tea", "price": "2.00", "regular_price": "2.50", "currency": "GBP"},
  {"id": "T-2", "name": "Gold Tea", "price": "1", "regular_price": "79228162514264337593543950335", "currency": "GBP"},
  {"id": "T-3", "name": "Saffron Tea", "price": "79228162514264337593543950335", "currency": "GBP"}
]"#,
        ),
    );
    w.write_rules(
        r#"
[settings]
budget = "100"

[feeds.bad]
kind = "json"
url = "$SERVER/bad"

[[rule]]
name = "Tea deals"
match = { name = "tea", discount_pct = { at_least = 10 } }
add = { quantity = 1000, limit = 3 }
"#,
    );
    let out = w.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    let report = out.json();
    assert_eq!(
        report["warnings"],
        serde_json::json!([
            "feed 'bad': 2 of 3 records skipped: record 2: regular_price \"79228162514264337593543950335\" is too large to be a price"
        ])
    );
    let proposed: Vec<&str> = report["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .filter_map(|p| p["product"]["id"].as_str())
        .collect();
    assert_eq!(proposed, ["T-1"]);
    w.assert_basket_unchanged();
}

#[test]
fn a_csv_row_with_too_few_fields_is_skipped_and_counted() {
    let w = World::new();
    w.server.set(
        "/bad.csv",
        Reply::csv("id,name,price,currency\nB-1,Oat Biscuits,1.20,GBP\nB-2,Rye Biscuits\nB-3,Spelt Biscuits,1.40,GBP\n"),
    );
    w.write_rules(
        r#"
[feeds.bad]
kind = "csv"
url = "$SERVER/bad.csv"

[[rule]]
name = "Biscuits"
match = { name = "biscuits" }
add = { limit = 3 }
"#,
    );
    let out = w.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    let report = out.json();
    assert_eq!(
        report["warnings"],
        serde_json::json!(["feed 'bad': 1 of 3 records skipped: line 3: 2 fields, expected 4"])
    );
    let mut proposed: Vec<&str> = report["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .filter_map(|p| p["product"]["id"].as_str())
        .collect();
    proposed.sort_unstable();
    assert_eq!(proposed, ["B-1", "B-3"]);
    w.assert_basket_unchanged();
}

/// Runs a check with the grocer feed and a feed `bad` of `kind` answering
/// `reply`, and a rule adding up to ten teas from `bad`. Returns the warnings
/// and the proposed `bad` products as `id name price currency`.
fn bad_feed_outcome(kind: &str, reply: Reply) -> (Vec<String>, Vec<String>) {
    let w = World::new();
    w.server.set("/bad", reply);
    w.write_rules(&format!(
        r#"
[settings]
currency = "GBP"

[feeds.bad]
kind = "{kind}"
url = "$SERVER/bad"

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[[rule]]
name = "Tea"
match = {{ feed = "bad", name = "tea" }}
add = {{ limit = 10 }}
"#
    ));
    let out = w.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    let report = out.json();
    let warnings = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|v| v.as_str().expect("text").to_string())
        .collect();
    let mut proposed: Vec<String> = report["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .map(|p| {
            let p = &p["product"];
            format!(
                "{} {} {} {}",
                p["id"].as_str().unwrap_or("-"),
                p["name"].as_str().unwrap_or("-"),
                p["price"].as_str().unwrap_or("-"),
                p["currency"].as_str().unwrap_or("-")
            )
        })
        .collect();
    proposed.sort();
    w.assert_basket_unchanged();
    (warnings, proposed)
}

const DTD_NOTE: &str = "(only XML's predefined entities are expanded, never a DTD's)";

#[test]
fn a_billion_laughs_merchant_feed_skips_the_item_and_expands_nothing() {
    let mut xml =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "&lol;".to_string()
        } else {
            format!("&lol{};", i - 1)
        };
        xml.push_str(&format!(" <!ENTITY lol{i} \"{}\">\n", prev.repeat(10)));
    }
    xml.push_str(
        "]>\n<rss version=\"2.0\" xmlns:g=\"http://base.google.com/ns/1.0\"><channel>\n\
         <item><g:id>A-1</g:id><title>Tea &lol9;</title><g:price>2.50 GBP</g:price></item>\n\
         <item><g:id>A-2</g:id><title>Green Tea &amp; Mint</title><g:price>1.50 GBP</g:price></item>\n\
         </channel></rss>\n",
    );
    let (warnings, proposed) = bad_feed_outcome("merchant", Reply::xml(xml));
    assert_eq!(
        warnings,
        [format!("feed 'bad': 1 of 2 records skipped: item 1 (id A-1): uses the entity &lol9; {DTD_NOTE}")]
    );
    assert_eq!(proposed, ["A-2 Green Tea & Mint 1.50 GBP"]);
}

#[test]
fn an_external_entity_in_a_merchant_feed_is_never_read() {
    let secret = std::env::temp_dir().join(format!("basket-xxe-{}.txt", std::process::id()));
    std::fs::write(&secret, "TOP-SECRET-XXE").expect("write the local file");
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE r [ <!ENTITY xxe SYSTEM \"file://{}\"> ]>\n\
         <rss version=\"2.0\" xmlns:g=\"http://base.google.com/ns/1.0\"><channel>\n\
         <item><g:id>A-1</g:id><title>Tea &xxe;</title><g:price>2.50 GBP</g:price></item>\n\
         <item><g:id>A-2</g:id><title>Mint Tea</title><g:price>1.50 GBP</g:price></item>\n\
         </channel></rss>\n",
        secret.display()
    );
    let (warnings, proposed) = bad_feed_outcome("merchant", Reply::xml(xml));
    let _ = std::fs::remove_file(&secret);
    assert_eq!(
        warnings,
        [format!(
            "feed 'bad': 1 of 2 records skipped: item 1 (id A-1): uses the entity &xxe; {DTD_NOTE}"
        )]
    );
    assert_eq!(proposed, ["A-2 Mint Tea 1.50 GBP"]);
}

#[test]
fn a_latin_1_json_feed_says_it_is_not_utf_8() {
    let body = "[{\"id\": \"T-1\", \"name\": \"Caf\u{e9} Tea\", \"price\": \"2.50\"}]";

    assert_feed_fails(
        "json",
        "$SERVER/bad",
        Some(Reply::json(latin1(body))),
        "not UTF-8 text: byte 0xE9 at line 1, column 28 (is it Latin-1?)",
    );
}

/// `text` as Latin-1 bytes (every char is below U+0100), as an old export
/// writes it.
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character"))
        .collect()
}

#[test]
fn a_latin_1_line_in_json_lines_or_csv_skips_that_record_only() {
    let jsonl = latin1(
        "{\"id\": \"T-1\", \"name\": \"Mint Tea\", \"price\": \"1.50\"}\n{\"id\": \"T-2\", \"name\": \"Caf\u{e9} Tea\", \"price\": \"2.50\"}\n",
    );
    let (warnings, proposed) = bad_feed_outcome("json", Reply::json(jsonl));
    assert_eq!(
        warnings,
        ["feed 'bad': 1 of 2 records skipped: line 2: not UTF-8 text: byte 0xE9 at column 27"]
    );
    assert_eq!(proposed, ["T-1 Mint Tea 1.50 GBP"]);

    let csv = latin1("id,name,price\nT-1,Caf\u{e9} Tea,2.50\nT-2,Mint Tea,1.50\n");
    let (warnings, proposed) = bad_feed_outcome("csv", Reply::csv(csv));
    assert_eq!(
        warnings,
        ["feed 'bad': 1 of 2 records skipped: line 2: not valid UTF-8"]
    );
    assert_eq!(proposed, ["T-2 Mint Tea 1.50 GBP"]);
}

#[test]
fn a_bom_crlf_and_quoted_newlines_are_read_as_meant() {
    let (warnings, proposed) = bad_feed_outcome(
        "json",
        Reply::json(
            b"\xEF\xBB\xBF[{\"id\": \"T-1\", \"name\": \"Tea\", \"price\": \"2.50\"}]\r\n".to_vec(),
        ),
    );
    assert_eq!(
        (warnings, proposed),
        (vec![], vec!["T-1 Tea 2.50 GBP".to_string()])
    );

    let (warnings, proposed) = bad_feed_outcome(
        "csv",
        Reply::csv(
            b"\xEF\xBB\xBFid,name,price,currency\r\nT-1,Tea,2.50,GBP\r\nT-2,\"Mint\r\nTea, \"\"fresh\"\"\",1.50,GBP\r\n"
                .to_vec(),
        ),
    );
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(
        proposed,
        // The quoted line break is kept as what it means in a name: a space
        // (a name printed on two lines would break the table and the prompt).
        ["T-1 Tea 2.50 GBP", "T-2 Mint Tea, \"fresh\" 1.50 GBP"]
    );

    let (warnings, proposed) = bad_feed_outcome(
        "merchant",
        Reply::new(
            200,
            "text/tab-separated-values",
            b"\xEF\xBB\xBFid\ttitle\tprice\r\nM-1\tTea\t3.00 GBP\r\n".to_vec(),
        ),
    );
    assert_eq!(
        (warnings, proposed),
        (vec![], vec!["M-1 Tea 3.00 GBP".to_string()])
    );
}

#[test]
fn a_csv_with_an_unclosed_quote_or_missing_columns_is_named() {
    assert_feed_fails(
        "csv",
        "$SERVER/bad",
        Some(Reply::csv("id,price\nT-1,2.50\n")),
        "missing column 'name'",
    );
    assert_feed_fails(
        "csv",
        "$SERVER/bad",
        Some(Reply::csv("name,price\nTea,2.50\n")),
        "missing column 'id' (or 'gtin')",
    );
    // An unclosed quote swallows the rest of the file into one field: the
    // record is short of fields and skipped, the one before it is kept.
    let (warnings, proposed) = bad_feed_outcome(
        "csv",
        Reply::csv("id,name,price\nT-1,Tea,2.50\nT-2,\"Mint Tea,1.50\nT-3,Green Tea,1.00\n"),
    );
    assert_eq!(
        warnings,
        ["feed 'bad': 1 of 2 records skipped: line 3: 2 fields, expected 3"]
    );
    assert_eq!(proposed, ["T-1 Tea 2.50 GBP"]);
}

#[test]
fn negative_and_absurd_prices_are_skipped_and_counted() {
    let (warnings, proposed) = bad_feed_outcome(
        "json",
        Reply::json(
            r#"[{"id": "T-1", "name": "Tea", "price": "-2.50"},
                {"id": "T-2", "name": "Mint Tea", "price": "1e400"},
                {"id": "T-3", "name": "Rare Tea", "price": 1e15},
                {"id": "T-4", "name": "Green Tea", "price": "1.00", "regular_price": "-0"}]"#,
        ),
    );
    assert_eq!(
        warnings,
        ["feed 'bad': 3 of 4 records skipped: record 1: price \"-2.50\" is negative"]
    );
    assert_eq!(proposed, ["T-4 Green Tea 1.00 GBP"]);

    let (warnings, proposed) = bad_feed_outcome(
        "csv",
        Reply::csv("id,name,price\nT-1,Tea,1e400\nT-2,Mint Tea,1.50\n"),
    );
    assert_eq!(
        warnings,
        ["feed 'bad': 1 of 2 records skipped: line 2: price \"1e400\" is not a number"]
    );
    assert_eq!(proposed, ["T-2 Mint Tea 1.50 GBP"]);
}

#[test]
fn an_unknown_currency_skips_the_record() {
    let (warnings, proposed) = bad_feed_outcome(
        "json",
        Reply::json(
            r#"[{"id": "T-1", "name": "Tea", "price": "2.50", "currency": "zorkmids"},
                {"id": "T-2", "name": "Mint Tea", "price": "1.50", "currency": "XYZ"},
                {"id": "T-3", "name": "Green Tea", "price": "1.00", "currency": "eur"}]"#,
        ),
    );
    assert_eq!(
        warnings,
        ["feed 'bad': 2 of 3 records skipped: record 1: currency \"zorkmids\" is not an ISO 4217 code"]
    );
    assert_eq!(proposed, ["T-3 Green Tea 1.00 EUR"]);
}

#[test]
fn when_every_feed_fails_each_is_named_and_the_run_fails() {
    let w = World::new();
    w.server.set("/a", Reply::status(503, "busy"));
    w.server.set("/b", Reply::html("<html>login</html>"));
    w.write_rules(
        r#"
[feeds.alpha]
kind = "json"
url = "$SERVER/a"

[feeds.beta]
kind = "csv"
url = "$SERVER/b"

[[rule]]
name = "Anything"
match = { name = "panettone" }
add = {}
"#,
    );
    let out = w.run(&["check", "--yes"]);
    out.assert_code(1);
    let stderr = w.stderr(&out);
    assert!(
        stderr.contains(
            "warning: feed 'alpha': HTTP 503 Service Unavailable from $SERVER/a; rules that need it were skipped\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "warning: feed 'beta': answered with an HTML page, not CSV; rules that need it were skipped\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: every feed failed (2 of 2); nothing was evaluated and the basket is unchanged\n"),
        "{stderr}"
    );
    w.assert_basket_unchanged();
}

// ---------------------------------------------------------------------------
// HTTP

#[test]
fn a_redirect_loop_is_a_clear_warning() {
    assert_feed_fails(
        "json",
        "$SERVER/bad",
        Some(Reply::status(302, "").with_header("Location", "/bad")),
        "request to $SERVER/bad failed: redirect loop: it leads back to a URL already visited",
    );
}

#[test]
fn a_redirect_to_a_local_file_is_refused_and_the_file_never_read() {
    let w = World::new();
    let local = w.env.root().join("private.json");
    std::fs::write(
        &local,
        r#"[{"id": "SECRET-1", "name": "Panettone from the disk", "price": "1.00"}]"#,
    )
    .expect("write the local file");
    let target = format!("file://{}", local.display());
    assert_feed_fails(
        "json",
        "$SERVER/bad",
        Some(Reply::status(302, "").with_header("Location", &target)),
        "HTTP 302 Found from $SERVER/bad: redirected to a file: URL; a feed may only redirect to http or https",
    );
}

#[test]
fn a_tls_error_is_a_warning_naming_the_feed() {
    // https:// to a server that answers in plain HTTP at once: the TLS
    // handshake fails on its first record.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
            );
        }
    });
    let url = format!("https://127.0.0.1:{port}/bad");
    let w = World::new();
    w.write_rules(&two_feeds("json", &url));
    let out = w.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    let warnings = out.json()["warnings"].clone();
    assert_eq!(
        warnings,
        serde_json::json!([format!(
            "feed 'bad': cannot connect to {url}: received corrupt message of type InvalidContentType; rules that need it were skipped"
        )])
    );
    w.assert_basket_unchanged();
}

/// A bare TCP server on 127.0.0.1 for answers tiny_http will not give: a
/// `Content-Length` of 2 GB, a body without end. Each connection gets its own
/// thread running `answer` once the request's head is read; it stops when
/// dropped (the threads end when basket hangs up).
struct RawServer {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl RawServer {
    fn start(answer: fn(&mut std::net::TcpStream) -> std::io::Result<()>) -> RawServer {
        use std::io::Read;
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("addr").port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            while !stopped.load(Ordering::SeqCst) {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    continue;
                };
                std::thread::spawn(move || {
                    let _ = stream.set_nonblocking(false);
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let _ = answer(&mut stream);
                });
            }
        });
        RawServer { port, stop }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Writes zeros until the client hangs up.
fn endless(stream: &mut std::net::TcpStream) -> std::io::Result<()> {
    use std::io::Write;
    let block = vec![b'0'; 64 * 1024];
    loop {
        stream.write_all(&block)?;
    }
}

#[test]
fn a_2_gb_body_is_refused_by_its_length_before_reading_it() {
    let raw = RawServer::start(|s| {
        use std::io::Write;
        s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n[",
        )?;
        endless(s)
    });
    let started = std::time::Instant::now();
    assert_feed_fails(
        "json",
        &raw.url("/huge.json"),
        None,
        // Catalog feeds stream to disk (never into memory), capped at 1 GiB.
        "response larger than the 1 GiB limit",
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn an_endless_body_without_a_length_stops_at_the_cap() {
    let raw = RawServer::start(|s| {
        use std::io::Write;
        s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[",
        )?;
        endless(s)
    });
    assert_feed_fails(
        "json",
        &raw.url("/endless.json"),
        None,
        "response larger than the 1 GiB limit",
    );
}

// ---------------------------------------------------------------------------
// Weather

#[test]
fn a_failing_forecast_skips_weather_rules_and_runs_the_others() {
    let w = World::new();
    w.server.set("/v1/forecast", Reply::status(500, "oops"));
    w.write_rules(
        r#"
[settings]
currency = "GBP"
location = { latitude = 51.5072, longitude = -0.1276, name = "London" }

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[weather]
url = "$SERVER/v1/forecast"

[[rule]]
name = "Sun cream"
when.weather = { day = "today", temp_max_c = { above = -100 } }
add = { product = { name = "sun cream spf 30" } }

[[rule]]
name = "Panettone"
match = { name = "panettone" }
add = {}
"#,
    );
    let out = w.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    // Asked (and, being a 500, retried): the failure is the server's, not a skip.
    assert!(w.server.hits("/v1/forecast") >= 1);
    let report = out.json();
    let warnings = report["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = warnings[0]
        .as_str()
        .expect("text")
        .replace(&w.server.base_url(), "$SERVER");
    assert!(
        warning.starts_with("weather: HTTP 500 Internal Server Error from $SERVER/v1/forecast?"),
        "{warning}"
    );
    assert!(
        warning.ends_with("; rules that need the forecast were skipped"),
        "{warning}"
    );
    let rules: Vec<&str> = report["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .filter_map(|p| p["rule"].as_str())
        .collect();
    assert_eq!(rules, ["Panettone"], "only the rule without weather ran");

    let out = w.run(&["check", "--dry-run", "--explain"]);
    out.assert_ok();
    assert!(
        out.stdout.contains(
            "Sun cream: no, skipped: the weather forecast failed: HTTP 500 Internal Server Error"
        ),
        "{}",
        out.streams()
    );
    w.assert_basket_unchanged();
}

#[test]
fn a_forecast_that_is_not_json_skips_weather_rules() {
    let w = World::new();
    w.server
        .set("/v1/forecast", Reply::html("<html>rate limited</html>"));
    w.write_rules(
        r#"
[settings]
location = { latitude = 51.5, longitude = -0.12 }

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[weather]
url = "$SERVER/v1/forecast"

[[rule]]
name = "Sun cream"
when.weather = { day = "today", temp_max_c = { above = -100 } }
add = { product = { name = "sun cream spf 30" } }
"#,
    );
    let out = w.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    let report = out.json();
    assert_eq!(report["proposals"], serde_json::json!([]));
    let warnings = report["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = warnings[0].as_str().expect("text");
    assert!(warning.starts_with("weather: "), "{warning}");
    assert!(
        warning.ends_with("; rules that need the forecast were skipped"),
        "{warning}"
    );
    w.assert_basket_unchanged();
}

#[test]
fn a_huge_within_days_is_evaluated_not_a_crash() {
    let w = World::new();
    w.server.set(
        "/v1/forecast",
        Reply::fixture("open-meteo/frenck-forecast-daily-all-variables-TRIMMED.json"),
    );
    w.write_rules(
        r#"
[settings]
location = { latitude = 51.5, longitude = -0.12 }

[feeds.grocer]
kind = "json"
url = "$SERVER/grocer.json"

[weather]
url = "$SERVER/v1/forecast"

[[rule]]
name = "Deluge"
when.weather = { within_days = 4000000000, precipitation_mm = { above = 100000 } }
add = { product = { name = "panettone" } }
"#,
    );
    let out = w.run(&["check", "--dry-run", "--explain"]);
    out.assert_ok();
    assert!(out.stdout.contains("No proposals."), "{}", out.streams());
    assert!(
        out.stdout
            .contains("Deluge: no, not in the next 4000000000 days: "),
        "{}",
        out.streams()
    );
    w.assert_basket_unchanged();
}

// ---------------------------------------------------------------------------
// The store

/// Every command that opens the basket, on a world whose store is unusable.
const STORE_COMMANDS: &[&[&str]] = &[
    &["list"],
    &["list", "--format", "json"],
    &["check", "--no-input"],
    &["check", "--yes"],
    &["add", "grocer/GR-6001"],
    &["remove", "GR-1001"],
    &["clear", "--yes"],
    &["history"],
    &["review"],
];

/// Each command exits 1 with a short error naming `named`, and `file` keeps its
/// bytes. Returns one stderr for more checks.
#[track_caller]
fn assert_store_refused(w: &World, file: &Path, named: &str) -> String {
    let before = std::fs::read(file).expect("read the file before");
    let mut last = String::new();
    for args in STORE_COMMANDS {
        let out = w.run(args);
        out.assert_code(1);
        let stderr = w.stderr(&out);
        assert_short_error(&stderr);
        assert!(
            stderr.contains(named),
            "{args:?} does not name {named}:\n{stderr}"
        );
        assert_eq!(
            std::fs::read(file).expect("read the file after"),
            before,
            "{args:?} changed {}",
            file.display()
        );
        last = stderr;
    }
    last
}

#[test]
fn a_data_dir_under_a_regular_file_fails_clearly() {
    let mut w = World::new();
    let file = w.env.root().join("not-a-dir");
    std::fs::write(&file, "my notes\n").expect("write file");
    w.env.set_env("BASKET_DATA_DIR", file.join("data"));
    let stderr = assert_store_refused(&w, &file, "$ROOT/not-a-dir/data");
    assert!(
        stderr.starts_with("error: cannot create the data directory $ROOT/not-a-dir/data: "),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
}

#[test]
fn a_data_dir_that_is_a_regular_file_says_so() {
    let mut w = World::new();
    let file = w.env.root().join("basket-data");
    std::fs::write(&file, "my notes\n").expect("write file");
    w.env.set_env("BASKET_DATA_DIR", &file);
    let stderr = assert_store_refused(&w, &file, "$ROOT/basket-data");
    assert!(
        stderr.starts_with(
            "error: cannot create the data directory $ROOT/basket-data: it exists and is not a directory\n"
        ),
        "{stderr}"
    );
}

#[test]
fn a_basket_db_that_cannot_be_opened_fails_clearly() {
    // Tests run as root, for whom no mode makes a directory read-only: a
    // directory in basket.db's place is the unopenable store here.
    let w = World::new();
    let db = w.env.db_path();
    for extra in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{extra}", db.display()));
    }
    std::fs::create_dir(&db).expect("a directory named basket.db");
    std::fs::write(db.join("keep"), "mine").expect("a file in it");
    for args in STORE_COMMANDS {
        let out = w.run(args);
        out.assert_code(1);
        assert_eq!(
            w.stderr(&out),
            "error: cannot open $ROOT/data/basket.db: Is a directory (os error 21); check the data directory's permissions or pass --data-dir\n\
             hint: check that the data directory is writable, or pass --data-dir DIR\n",
            "{args:?}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(db.join("keep")).expect("kept"),
        "mine"
    );
}

#[test]
fn a_garbage_basket_db_is_refused_and_left_alone() {
    let w = World::new();
    let db = w.env.db_path();
    // Replace the seeded database (and its WAL) with bytes that are no database.
    for extra in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{extra}", db.display()));
    }
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + i / 13) as u8).collect();
    std::fs::write(&db, &garbage).expect("write garbage");
    let stderr = assert_store_refused(&w, &db, "$ROOT/data/basket.db");
    assert_eq!(
        stderr,
        "error: $ROOT/data/basket.db is not a basket database (file is not a database); move it aside or pass --data-dir\n"
    );
    let mut left: Vec<String> = std::fs::read_dir(w.env.data_dir())
        .expect("data dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        // basket.lock is check's lock file (src/lock.rs), not part of the database.
        .filter(|name| name != "basket.lock")
        .collect();
    left.sort();
    assert_eq!(left, ["basket.db"], "no journal or WAL left next to it");
}

#[test]
fn a_basket_db_from_a_newer_basket_is_refused_and_left_alone() {
    let w = World::new();
    let db = w.env.db_path();
    {
        let conn = rusqlite::Connection::open(&db).expect("open the seeded db");
        // Checkpoint the WAL into the file, then leave rollback mode so the file
        // alone is the whole database.
        conn.pragma_update(None, "journal_mode", "DELETE")
            .expect("leave WAL");
        conn.pragma_update(None, "user_version", 99)
            .expect("set user_version");
    }
    let stderr = assert_store_refused(&w, &db, "$ROOT/data/basket.db");
    assert_eq!(
        stderr,
        format!(
            "error: $ROOT/data/basket.db has schema version 99, newer than this basket supports ({}); upgrade basket or pass --data-dir\n",
            basket::api::store::SCHEMA_VERSION
        )
    );
}

// ---------------------------------------------------------------------------
// The clock and the command line

#[test]
fn an_invalid_basket_now_is_a_usage_error() {
    let mut w = World::new();
    for bad in ["yesterday", "2026-10-03", "2026-13-45T09:00:00Z"] {
        w.env.set_now(bad);
        for args in [&["list"][..], &["check", "--yes"][..]] {
            let out = w.run(args);
            out.assert_code(2);
            let stderr = w.stderr(&out);
            assert_short_error(&stderr);
            assert!(
                stderr.starts_with(&format!(
                    "error: BASKET_NOW \"{bad}\" is not an RFC 3339 time: "
                )),
                "{stderr}"
            );
            assert!(
                stderr.ends_with("hint: use a form like 2026-10-03T09:00:00Z, or unset it\n"),
                "{stderr}"
            );
            assert_eq!(out.stdout, "");
        }
    }
    w.env.set_now(crate::support::DEFAULT_NOW);
    w.assert_basket_unchanged();
}

#[test]
fn usage_errors_exit_2_and_change_nothing() {
    let w = World::new();
    let hits = w.server.total_hits();
    for (args, says) in [
        (
            &["frobnicate"][..],
            "error: unrecognized subcommand 'frobnicate'",
        ),
        (
            &["list", "--bogus"][..],
            "error: unexpected argument '--bogus' found",
        ),
        (
            &["--bogus", "list"][..],
            "error: unexpected argument '--bogus' found",
        ),
        (
            &["list", "--format", "xml"][..],
            "error: invalid value 'xml' for '--format <FORMAT>'",
        ),
        (
            &["add", "grocer/GR-6001", "--quantity", "0"][..],
            "error: invalid value '0' for '--quantity <QUANTITY>'",
        ),
        (
            &["check", "--yes", "--no-input"][..],
            "error: the argument '--yes' cannot be used with '--no-input'",
        ),
        (
            &["rules", "lint"][..],
            "error: unrecognized subcommand 'lint'",
        ),
        (&[][..], "Usage: basket [OPTIONS] <COMMAND>"),
    ] {
        let out = w.run(args);
        out.assert_code(2);
        assert!(out.stderr.contains(says), "{args:?}:\n{}", out.streams());
        assert_eq!(out.stdout, "", "{args:?}");
    }
    assert_eq!(w.server.total_hits(), hits, "a usage error fetches nothing");
    w.assert_basket_unchanged();
}
