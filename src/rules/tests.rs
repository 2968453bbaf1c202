//! Bad rules files, one mistake at a time: each test pins where the problem is
//! reported (line, column, caret width), what it says, and the hint that tells the
//! shopper how to fix it. A file with several mistakes lists every one.

use std::path::Path;

use super::diagnostic::Diagnostic;
use super::{parse_str, Channel, RulesError, SmtpTls, WebhookFormat};

/// A feed and a settings block most tests build on, so only the rule under test
/// can be wrong. Lines 1-6.
const HEAD: &str = "\
[settings]
currency = \"GBP\"
location = { latitude = 51.5, longitude = -0.12 }
[feeds.grocer]
kind = \"json\"
url = \"http://127.0.0.1:9/grocer.json\"
";

/// The diagnostics of a file that must be rejected.
#[track_caller]
fn problems(text: &str) -> Vec<Diagnostic> {
    match parse_str(Path::new("rules.toml"), text) {
        Err(RulesError::Invalid { diagnostics, .. }) => diagnostics,
        Err(other) => panic!("expected diagnostics, got {other}"),
        Ok(set) => panic!("accepted an invalid file ({} rules)", set.rules.len()),
    }
}

/// The single diagnostic of a file with exactly one mistake.
#[track_caller]
fn problem(text: &str) -> Diagnostic {
    let mut all = problems(text);
    assert_eq!(all.len(), 1, "expected one problem, got {all:#?}");
    all.remove(0)
}

/// `HEAD` followed by `rule` (which starts on line 7).
fn with_head(rule: &str) -> String {
    format!("{HEAD}{rule}")
}

/// Checks where a diagnostic points: its line, column and the underlined text.
#[track_caller]
fn at(d: &Diagnostic, line: usize, column: usize, underlined: &str) {
    assert_eq!((d.line, d.column), (line, column), "{d:#?}");
    let caret: String = d
        .source_line
        .chars()
        .skip(column - 1)
        .take(d.width)
        .collect();
    assert_eq!(caret, underlined, "{d:#?}");
}

#[track_caller]
fn hint(d: &Diagnostic) -> &str {
    d.hint
        .as_deref()
        .unwrap_or_else(|| panic!("no hint: {d:#?}"))
}

#[test]
fn unclosed_table_header_is_invalid_toml_at_the_line() {
    let d = problem("[settings\ncurrency = \"GBP\"\n");
    assert_eq!(d.line, 1, "{d:#?}");
    assert_eq!(d.source_line, "[settings");
    assert!(d.message.starts_with("invalid TOML: "), "{}", d.message);
    assert!(d.message.contains("expected `]`"), "{}", d.message);
    assert_eq!(
        hint(&d),
        "check quotes, brackets and `=` signs on this line"
    );
}

#[test]
fn unclosed_string_is_invalid_toml_at_the_line() {
    let d = problem("[settings]\ncurrency = \"GBP\n");
    assert_eq!(d.line, 2, "{d:#?}");
    assert_eq!(d.source_line, "currency = \"GBP");
    assert!(d.message.starts_with("invalid TOML: "), "{}", d.message);
    assert!(d.message.contains('"'), "{}", d.message);
}

#[test]
fn misspelt_comparison_key_suggests_below() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Boots\"\nmatch = { price = { bellow = 15 } }\nadd = {}\n",
    ));
    at(&d, 9, 21, "bellow");
    assert_eq!(
        d.message,
        "unknown key 'bellow' in the comparison for price"
    );
    assert_eq!(hint(&d), "did you mean 'below'?");
}

#[test]
fn misspelt_weather_comparison_suggests_above() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Hot\"\nwhen.weather = { day = \"tomorrow\", temp_max_c = { abve = 22 } }\nadd = { product = { name = \"sun cream\" } }\n",
    ));
    at(&d, 9, 51, "abve");
    assert_eq!(
        d.message,
        "unknown key 'abve' in the comparison for temp_max_c"
    );
    assert_eq!(hint(&d), "did you mean 'above'?");
}

#[test]
fn misspelt_top_level_table_suggests_settings() {
    let d = problem("[setings]\ncurrency = \"GBP\"\n");
    at(&d, 1, 2, "setings");
    assert_eq!(d.message, "unknown key 'setings' in the rules file");
    assert_eq!(hint(&d), "did you mean 'settings'?");
}

#[test]
fn misspelt_name_in_a_rule_is_reported_and_the_rule_has_no_name() {
    let all = problems(&with_head(
        "[[rule]]\nnmae = \"Boots\"\nmatch = { name = \"boot\" }\nadd = {}\n",
    ));
    assert_eq!(all.len(), 2, "{all:#?}");
    at(&all[0], 7, 1, "[[rule]]");
    assert_eq!(all[0].message, "a rule has no name");
    at(&all[1], 8, 1, "nmae");
    assert_eq!(all[1].message, "unknown key 'nmae' in a rule");
    assert_eq!(hint(&all[1]), "did you mean 'name'?");
}

#[test]
fn a_rule_with_two_actions_points_at_the_second() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Both\"\nmatch = { name = \"tea\" }\nadd = {}\nnotify = true\n",
    ));
    at(&d, 11, 10, "true");
    assert_eq!(
        d.message,
        "rule 'Both' has 2 actions (add, notify); a rule has exactly one"
    );
    assert_eq!(
        hint(&d),
        "split it into one rule per action, or remove 'notify'"
    );
}

#[test]
fn a_rule_with_no_action_points_at_its_header() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Idle\"\nmatch = { name = \"tea\" }\n",
    ));
    at(&d, 7, 1, "[[rule]]");
    assert_eq!(d.message, "rule 'Idle' has no action");
    assert_eq!(hint(&d), "add one of add, remove, swap or notify");
}

#[test]
fn unknown_feed_in_a_selector_suggests_the_defined_one() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Tea\"\nmatch = { feed = \"grocr\" }\nadd = {}\n",
    ));
    at(&d, 9, 18, "\"grocr\"");
    assert_eq!(d.message, "unknown feed 'grocr'");
    assert_eq!(hint(&d), "did you mean 'grocer'?");
}

#[test]
fn unknown_feed_far_from_any_lists_the_defined_feeds() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Tea\"\nmatch = { feed = \"zzz\" }\nadd = {}\n",
    ));
    assert_eq!(d.message, "unknown feed 'zzz'");
    assert_eq!(hint(&d), "defined feeds: grocer");
}

#[test]
fn a_quantity_written_as_a_word_is_refused() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Tea\"\nmatch = { name = \"tea\" }\nadd = { quantity = \"two\" }\n",
    ));
    at(&d, 10, 20, "\"two\"");
    assert_eq!(d.message, "quantity \"two\" is not a number");
    assert_eq!(
        d.hint.as_deref(),
        Some("write a whole number (quantity = 2), or \"up to N\" to restock to N")
    );
}

#[test]
fn enabled_as_a_quoted_word_asks_for_a_bare_boolean() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Tea\"\nenabled = \"yes\"\nmatch = { name = \"tea\" }\nadd = {}\n",
    ));
    at(&d, 9, 11, "\"yes\"");
    assert_eq!(d.message, "enabled must be true or false, found a string");
    assert_eq!(hint(&d), "write it without quotes: true or false");
}

#[test]
fn duplicate_rule_names_point_at_the_second_rule() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Tea\"\nmatch = { name = \"tea\" }\nadd = {}\n\
         [[rule]]\nname = \"Tea\"\nmatch = { name = \"green tea\" }\nadd = {}\n",
    ));
    at(&d, 11, 1, "[[rule]]");
    assert_eq!(d.message, "duplicate rule name 'Tea'");
    assert!(hint(&d).contains("give each rule its own name"), "{d:#?}");
}

#[test]
fn a_rule_without_a_name_is_refused() {
    let d = problem(&with_head(
        "[[rule]]\nmatch = { name = \"tea\" }\nadd = {}\n",
    ));
    at(&d, 7, 1, "[[rule]]");
    assert_eq!(d.message, "a rule has no name");
    assert!(hint(&d).starts_with("add name = \"...\""), "{d:#?}");
}

#[test]
fn an_empty_rule_name_is_refused() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"  \"\nmatch = { name = \"tea\" }\nadd = {}\n",
    ));
    at(&d, 8, 8, "\"  \"");
    assert_eq!(d.message, "name must not be empty");
}

#[test]
fn a_weather_rule_without_a_location_says_where_to_add_it() {
    let d = problem(
        "[[rule]]\nname = \"Hot\"\nwhen.weather = { day = \"tomorrow\", temp_max_c = { above = 22 } }\nadd = { product = { name = \"sun cream\" } }\n",
    );
    at(&d, 1, 1, "[[rule]]");
    assert_eq!(
        d.message,
        "rule 'Hot' uses the weather, but [settings] has no location"
    );
    assert!(hint(&d).contains("under [settings]"), "{d:#?}");
}

#[test]
fn a_weather_condition_without_a_metric_compares_nothing() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Hot\"\nwhen.weather = { day = \"tomorrow\" }\nadd = { product = { name = \"sun cream\" } }\n",
    ));
    at(&d, 9, 16, "{ day = \"tomorrow\" }");
    assert_eq!(d.message, "when.weather compares nothing");
    assert!(hint(&d).contains("temp_max_c"), "{d:#?}");
}

#[test]
fn a_misspelt_day_suggests_tomorrow() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Hot\"\nwhen.weather = { day = \"tomorow\", temp_max_c = { above = 22 } }\nadd = { product = { name = \"sun cream\" } }\n",
    ));
    at(&d, 9, 24, "\"tomorow\"");
    assert_eq!(d.message, "unknown day 'tomorow'");
    assert_eq!(hint(&d), "did you mean 'tomorrow'?");
}

#[test]
fn a_weather_condition_without_a_day_is_refused() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Hot\"\nwhen.weather = { temp_max_c = { above = 22 } }\nadd = { product = { name = \"sun cream\" } }\n",
    ));
    assert_eq!(d.message, "when.weather needs a day");
    assert!(hint(&d).contains("day = \"tomorrow\""), "{d:#?}");
}

#[test]
fn a_cooldown_in_words_is_not_a_duration() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Tea\"\nmatch = { name = \"tea\" }\nadd = {}\ncooldown = \"a week\"\n",
    ));
    at(&d, 11, 12, "\"a week\"");
    assert_eq!(d.message, "cooldown \"a week\" is not a duration");
    assert!(hint(&d).contains("\"7d\""), "{d:#?}");
}

#[test]
fn a_cooldown_as_a_bare_number_is_refused() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Tea\"\nmatch = { name = \"tea\" }\nadd = {}\ncooldown = 7\n",
    ));
    at(&d, 11, 12, "7");
    assert_eq!(d.message, "cooldown must be a string, found a whole number");
}

#[test]
fn an_overflowing_cooldown_is_an_error_not_a_panic() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Tea\"\nmatch = { name = \"tea\" }\nadd = {}\ncooldown = \"99999999999999999999d\"\n",
    ));
    assert_eq!(
        d.message,
        "cooldown \"99999999999999999999d\" is not a duration"
    );
}

#[test]
fn a_currency_that_is_not_iso_4217_is_refused() {
    for (written, width) in [("pounds", 8), ("£££", 5), ("GB", 4)] {
        let d = problem(&format!("[settings]\ncurrency = \"{written}\"\n"));
        assert_eq!((d.line, d.column, d.width), (2, 12, width), "{d:#?}");
        assert_eq!(
            d.message,
            format!("currency \"{written}\" is not an ISO 4217 code")
        );
        assert!(hint(&d).contains("\"GBP\""), "{d:#?}");
    }
}

#[test]
fn add_cannot_prefer_the_closest_price() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Tea\"\nmatch = { name = \"tea\" }\nadd = { prefer = \"closest_price\" }\n",
    ));
    at(&d, 10, 18, "\"closest_price\"");
    assert_eq!(
        d.message,
        "prefer = \"closest_price\" needs an item to compare prices with"
    );
    assert_eq!(
        hint(&d),
        "it applies to swap; for add use \"cheapest\" or \"first\""
    );
}

#[test]
fn a_misspelt_preference_suggests_cheapest() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Tea\"\nmatch = { name = \"tea\" }\nadd = { prefer = \"cheepest\" }\n",
    ));
    assert_eq!(d.message, "unknown preference 'cheepest'");
    assert_eq!(hint(&d), "did you mean 'cheapest'?");
}

#[test]
fn a_swap_with_nothing_to_avoid_is_refused() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Swap\"\nmatch = { in = \"basket\", name = \"spread\" }\nswap = { keep = [\"category\"] }\n",
    ));
    at(&d, 10, 8, "{ keep = [\"category\"] }");
    assert_eq!(d.message, "swap says nothing to avoid");
    assert!(hint(&d).contains("without = [\"palm-oil\"]"), "{d:#?}");
}

#[test]
fn notify_on_a_channel_that_is_not_configured_is_refused() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Deals\"\nmatch = { on_sale = true }\nnotify = { channels = [\"email\"] }\n",
    ));
    // The name itself, not the whole list (issue 17).
    at(&d, 10, 24, "\"email\"");
    assert_eq!(d.message, "channel 'email' is not configured");
    assert_eq!(
        hint(&d),
        "add a [notify.email] table, or drop 'email' from channels"
    );
}

#[test]
fn notify_on_an_unknown_channel_is_refused() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Deals\"\nmatch = { on_sale = true }\nnotify = { channels = [\"sms\"] }\n",
    ));
    assert_eq!(d.message, "unknown channel 'sms'");
    let d = problem(&with_head(
        "[[rule]]\nname = \"Deals\"\nmatch = { on_sale = true }\nnotify = { channels = [\"telegarm\"] }\n",
    ));
    at(&d, 10, 24, "\"telegarm\"");
    assert_eq!(d.message, "unknown channel 'telegarm'");
    assert_eq!(hint(&d), "did you mean 'telegram'?");
}

/// `[notify.email]` for the notify tests; `tls` is the one line that varies (line 5).
fn email_with_tls(tls: &str) -> String {
    format!(
        "[notify.email]\nsmtp = \"smtp.example.com\"\nfrom = \"b@example.com\"\nto = [\"me@example.com\"]\n{tls}\n\
         [[rule]]\nname = \"Deals\"\nmatch = {{ on_sale = true }}\nnotify = {{ channels = [\"email\"] }}\n"
    )
}

#[test]
fn every_tls_mode_is_read_and_an_unknown_one_is_refused_where_written() {
    for (written, mode) in [
        ("starttls", SmtpTls::StartTls),
        ("tls", SmtpTls::Tls),
        ("none", SmtpTls::Plain),
    ] {
        let set = parse_str(
            Path::new("rules.toml"),
            &email_with_tls(&format!("tls = \"{written}\"")),
        )
        .unwrap_or_else(|e| panic!("{written}: {e}"));
        assert_eq!(set.notify.email.and_then(|e| e.tls), Some(mode));
    }
    // The only problem: the channel still counts as configured for the rule.
    let d = problem(&email_with_tls("tls = \"ssl\""));
    at(&d, 5, 7, "\"ssl\"");
    assert_eq!(d.message, "unknown tls mode 'ssl'");
    assert!(hint(&d).contains("\"starttls\" (port 587)"), "{d:#?}");
}

#[test]
fn a_webhook_format_is_json_ntfy_or_a_located_mistake() {
    let webhook = |format: &str| {
        format!(
            "[notify.webhook]\nurl = \"http://127.0.0.1:9/hook\"\n{format}\n\
             [[rule]]\nname = \"Deals\"\nmatch = {{ on_sale = true }}\nnotify = {{ channels = [\"webhook\"] }}\n"
        )
    };
    for (written, format) in [
        ("", WebhookFormat::Json),
        ("format = \"json\"", WebhookFormat::Json),
        ("format = \"ntfy\"", WebhookFormat::Ntfy),
    ] {
        let set = parse_str(Path::new("rules.toml"), &webhook(written))
            .unwrap_or_else(|e| panic!("{written}: {e}"));
        assert_eq!(set.notify.webhook.map(|w| w.format), Some(format));
    }
    let d = problem(&webhook("format = \"nfty\""));
    at(&d, 3, 10, "\"nfty\"");
    assert_eq!(d.message, "unknown webhook format 'nfty'");
    assert_eq!(hint(&d), "did you mean 'ntfy'?");
    let d = problem(&webhook("format = \"xml\""));
    assert_eq!(d.message, "unknown webhook format 'xml'");
    assert_eq!(hint(&d), "format is \"json\" (the default) or \"ntfy\"");
}

#[test]
fn configured_channels_keep_the_names_the_outbox_stores() {
    let set = parse_str(
        Path::new("rules.toml"),
        &format!(
            "{}[notify.webhook]\nurl = \"http://127.0.0.1:9/hook\"\n",
            email_with_tls("")
        ),
    )
    .expect("valid");
    assert_eq!(set.notify.configured(), [Channel::Email, Channel::Webhook]);
    assert_eq!(set.notify.channels(), ["email", "webhook"]);
    for c in Channel::ALL {
        assert_eq!(Channel::parse(c.as_str()), Some(c));
    }
}

#[test]
fn an_empty_file_suggests_basket_init() {
    for text in ["", "\n\n", "# just a comment\n"] {
        let d = problem(text);
        assert_eq!((d.line, d.column), (1, 1), "{text:?}: {d:#?}");
        assert_eq!(d.message, "the rules file is empty");
        assert!(hint(&d).contains("basket init"), "{d:#?}");
    }
}

#[test]
fn rule_as_a_plain_table_asks_for_double_brackets() {
    let d = problem("[rule]\nname = \"Tea\"\n");
    at(&d, 1, 1, "[rule]");
    assert_eq!(
        d.message,
        "'rule' must be an array of tables, found a table"
    );
    assert_eq!(hint(&d), "start each rule with a [[rule]] header");
}

#[test]
fn a_duplicate_key_is_invalid_toml() {
    let d = problem("[settings]\ncurrency = \"GBP\"\ncurrency = \"EUR\"\n");
    assert_eq!(d.line, 3, "{d:#?}");
    assert!(d.message.starts_with("invalid TOML: "), "{}", d.message);
    assert!(d.message.contains("duplicate key"), "{}", d.message);
}

#[test]
fn a_price_with_a_currency_sign_is_not_a_number() {
    let d = problem(&with_head(
        "[[rule]]\nname = \"Boots\"\nmatch = { price = { below = \"£15\" } }\nadd = {}\n",
    ));
    at(&d, 9, 29, "\"£15\"");
    assert_eq!(d.message, "price.below \"£15\" is not a number");
    assert!(hint(&d).contains("without a currency sign"), "{d:#?}");
}

#[test]
fn a_latitude_out_of_range_is_refused() {
    let d = problem("[settings]\nlocation = { latitude = 91, longitude = 0 }\n");
    at(&d, 2, 25, "91");
    assert_eq!(d.message, "latitude must be between -90 and 90");
}

#[test]
fn nan_and_infinite_coordinates_are_not_finite_numbers() {
    let all = problems("[settings]\nlocation = { latitude = nan, longitude = -inf }\n");
    let seen: Vec<(usize, &str)> = all.iter().map(|d| (d.column, d.message.as_str())).collect();
    assert_eq!(
        seen,
        vec![
            (25, "latitude must be a finite number"),
            (42, "longitude must be a finite number"),
        ]
    );
}

#[test]
fn a_coordinate_written_as_text_is_not_a_number() {
    let d = problem("[settings]\nlocation = { latitude = \"51.5\", longitude = 0 }\n");
    at(&d, 2, 25, "\"51.5\"");
    assert_eq!(d.message, "latitude must be a number, found a string");
}

#[test]
fn columns_count_characters_not_bytes() {
    // "é" is two bytes; the caret must still sit under `bellow`.
    let d = problem(&with_head(
        "[[rule]]\nname = \"Thé\"\nmatch = { name = \"thé\", price = { bellow = 5 } }\nadd = {}\n",
    ));
    at(&d, 9, 35, "bellow");
}

#[test]
fn crlf_line_endings_do_not_shift_lines_or_leak_into_the_quote() {
    let text =
        with_head("[[rule]]\nname = \"Tea\"\nmatch = { price = { bellow = 5 } }\nadd = {}\n")
            .replace('\n', "\r\n");
    let d = problem(&text);
    at(&d, 9, 21, "bellow");
    assert!(!d.source_line.contains('\r'), "{d:#?}");
}

#[test]
fn every_problem_in_the_file_is_listed_in_file_order() {
    let text = "\
[setings]
currency = \"GBP\"

[feeds.grocer]
kind = \"json\"
url = \"http://127.0.0.1:9/grocer.json\"

[[rule]]
name = \"One\"
match = { feed = \"grocr\", price = { bellow = 15 } }
add = { quantity = \"two\" }

[[rule]]
name = \"Two\"
enabled = \"yes\"
match = { name = \"tea\" }
add = {}
notify = true

[[rule]]
nmae = \"Three\"
match = { name = \"jam\" }
add = { prefer = \"closest_price\" }
cooldown = \"soon\"
";
    let all = problems(text);
    let seen: Vec<(usize, usize, &str)> = all
        .iter()
        .map(|d| (d.line, d.column, d.message.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, 2, "unknown key 'setings' in the rules file"),
            (10, 18, "unknown feed 'grocr'"),
            (10, 37, "unknown key 'bellow' in the comparison for price"),
            (11, 20, "quantity \"two\" is not a number"),
            (15, 11, "enabled must be true or false, found a string"),
            (
                18,
                10,
                "rule 'Two' has 2 actions (add, notify); a rule has exactly one"
            ),
            (20, 1, "a rule has no name"),
            (21, 1, "unknown key 'nmae' in a rule"),
            (
                23,
                18,
                "prefer = \"closest_price\" needs an item to compare prices with"
            ),
            (24, 12, "cooldown \"soon\" is not a duration"),
        ]
    );
}

#[test]
fn the_rendered_error_quotes_each_line_and_counts_the_problems() {
    let text =
        "[setings]\n[[rule]]\nname = \"Tea\"\nmatch = { price = { bellow = 5 } }\nadd = {}\n";
    let err = parse_str(Path::new("rules.toml"), text).expect_err("two mistakes");
    assert_eq!(
        err.to_string(),
        "rules.toml:1:2: unknown key 'setings' in the rules file\n  |\n1 | [setings]\n  |  ^^^^^^^\n  = hint: did you mean 'settings'?\n\n\
         rules.toml:4:21: unknown key 'bellow' in the comparison for price\n  |\n4 | match = { price = { bellow = 5 } }\n  |                     ^^^^^^\n  = hint: did you mean 'below'?\n\n\
         rules.toml: 2 problems found; nothing was fetched or changed"
    );
}

#[test]
fn a_valid_file_still_parses() {
    // The fixtures above are broken one key at a time from this shape.
    let set = parse_str(
        Path::new("rules.toml"),
        &with_head("[[rule]]\nname = \"Tea\"\nmatch = { feed = \"grocer\", price = { below = 5 } }\nadd = { quantity = 2 }\n"),
    )
    .expect("valid");
    assert_eq!((set.rules.len(), set.feeds.len()), (1, 1));
}

#[test]
fn a_missing_file_is_said_once_and_known_as_missing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rules.toml");
    let err = super::load(&path).expect_err("no file");
    assert!(err.is_missing_file());
    assert!(
        err.to_string()
            .starts_with(&format!("cannot read the rules file {}: ", path.display())),
        "{err}"
    );
    // The reason is in the message; as a source too, it would be printed again
    // on a "caused by:" line.
    assert!(std::error::Error::source(&err).is_none());
}

#[test]
fn open_prices_feed_needs_no_url_and_is_not_a_catalog() {
    let text = format!("{HEAD}[feeds.prices]\nkind = \"open-prices\"\n");
    let set = parse_str(Path::new("rules.toml"), &text).expect("valid");
    let feed = set.feed("prices").expect("the feed is kept");
    assert_eq!(feed.kind, crate::feeds::FeedKind::OpenPrices);
    assert_eq!(feed.url, crate::feeds::open_prices::DEFAULT_URL);
    let catalogs: Vec<String> = set.catalog_feeds().into_iter().map(|f| f.name).collect();
    assert_eq!(catalogs, ["grocer"]);
}
