use unicode_width::UnicodeWidthStr;

use super::*;

fn table(width: Option<u16>, header: &[&str], rows: &[&[&str]]) -> String {
    let mut t = Table::new(width);
    t.set_header(header.iter().copied());
    for r in rows {
        t.add_row(r.iter().copied());
    }
    t.to_string()
}

/// Every line of a table is as wide as its top border.
fn assert_rectangular(s: &str) {
    let widths: Vec<usize> = s.lines().map(UnicodeWidthStr::width).collect();
    assert!(widths.iter().all(|&w| w == widths[0]), "{s}\n{widths:?}");
}

#[test]
fn a_table_that_fits_is_as_wide_as_its_content() {
    let s = table(
        Some(100),
        &["when", "price", "availability"],
        &[&["2026-10-01", "16.00", "in stock"], &["10-02", "9.5", "-"]],
    );
    assert_eq!(
        s,
        "┌────────────┬───────┬──────────────┐\n\
         │ when       ┆ price ┆ availability │\n\
         ╞════════════╪═══════╪══════════════╡\n\
         │ 2026-10-01 ┆ 16.00 ┆ in stock     │\n\
         │ 10-02      ┆ 9.5   ┆ -            │\n\
         └────────────┴───────┴──────────────┘"
    );
}

#[test]
fn a_table_too_wide_wraps_its_widest_column_at_spaces() {
    let s = table(
        Some(40),
        &["product", "qty"],
        &[&["Wild Thyme Value Cat Litter 400g and more words", "1"]],
    );
    assert_rectangular(&s);
    assert!(s.lines().all(|l| UnicodeWidthStr::width(l) <= 40), "{s}");
    let text: Vec<&str> = s
        .lines()
        .skip(3)
        .flat_map(|l| l.split(['│', '┆']).nth(1))
        .flat_map(str::split_whitespace)
        .collect();
    assert_eq!(
        text.join(" "),
        "Wild Thyme Value Cat Litter 400g and more words"
    );
}

#[test]
fn narrow_columns_keep_their_width_and_the_wide_ones_share_the_rest() {
    let long = "a long reason that explains why this was proposed at all";
    let also = "another product name that is rather long too";
    let s = table(Some(60), &["#", "product", "reason"], &[&["1", also, long]]);
    assert_rectangular(&s);
    let top = s.lines().next().expect("a top border");
    assert!((50..=60).contains(&UnicodeWidthStr::width(top)), "{s}");
    // The words are all there, in order, none split.
    let text: Vec<&str> = s
        .lines()
        .skip(3)
        .flat_map(|l| l.split(['│', '┆']).nth(3))
        .flat_map(str::split_whitespace)
        .collect();
    assert_eq!(text.join(" "), long);
    assert!(s.contains("│ 1 ┆"), "{s}");
}

#[test]
fn words_wider_than_the_column_are_broken_and_wide_characters_counted() {
    let s = table(
        Some(20),
        &["id", "name"],
        &[&["shop/SKU000000000001", "日本茶 tea"]],
    );
    assert_rectangular(&s);
    assert!(s.lines().all(|l| UnicodeWidthStr::width(l) <= 20), "{s}");
    let id: String = s
        .lines()
        .skip(3)
        .filter_map(|l| l.split(['│', '┆']).nth(1))
        .map(str::trim)
        .collect();
    assert_eq!(id, "shop/SKU000000000001");
}

#[test]
fn lines_within_a_cell_and_missing_cells() {
    let s = table(None, &["a", "b"], &[&["one\ntwo"], &["x", "y"]]);
    assert_eq!(
        s,
        "┌─────┬───┐\n\
         │ a   ┆ b │\n\
         ╞═════╪═══╡\n\
         │ one ┆   │\n\
         │ two ┆   │\n\
         │ x   ┆ y │\n\
         └─────┴───┘"
    );
}

#[test]
fn a_terminal_too_narrow_for_any_text_still_gives_a_table() {
    let s = table(Some(5), &["product", "price"], &[&["tea", "1.00"]]);
    assert_rectangular(&s);
    assert!(s.contains('t') && s.contains('1'), "{s}");
}

#[test]
fn no_control_character_reaches_the_terminal_from_a_cell() {
    let s = table(
        Some(60),
        &["product", "rule"],
        &[&[
            "Evil \u{1b}[2J\u{1b}[31mRed\ttea\r",
            "tab\there\u{9b}31m\nnext\r\nline",
        ]],
    );
    assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
    assert_rectangular(&s);
    for word in ["Evil", "Red", "tea", "tab", "here", "next", "line"] {
        assert!(s.contains(word), "{word}: {s}");
    }
}

proptest::proptest! {
    /// Whatever the cells and the width: no control character but the line
    /// breaks is printed, every line is as wide as the others, no wider than
    /// asked when each column can have two terminal columns (a wide
    /// character's), and every other character of every cell is printed.
    #[test]
    fn any_table_is_rectangular_within_its_width_and_keeps_its_text(
        header in proptest::collection::vec("[a-z ]{0,8}", 1..5),
        rows in proptest::collection::vec(
            proptest::collection::vec("[a-z0-9 é日\u{301}\n\t\r\u{1b}\u{9b}❤\u{fe0f}🙂\u{3000}\u{a0}]{0,30}", 0..6), 0..6),
        width in 5u16..120,
    ) {
        let mut t = Table::new(Some(width));
        t.set_header(header.iter().map(String::as_str));
        for r in &rows {
            t.add_row(r.iter().map(String::as_str));
        }
        let s = t.to_string();
        proptest::prop_assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{:?}", s);
        let line_widths: Vec<usize> = s.lines().map(UnicodeWidthStr::width).collect();
        proptest::prop_assert!(line_widths.iter().all(|&w| w == line_widths[0]), "{}", s);
        let columns = rows.iter().map(Vec::len).chain([header.len()]).max().unwrap_or(0);
        // `│ ` + text + ` ` per column, and the closing `│`.
        if usize::from(width) >= 3 * columns + 1 + 2 * columns {
            proptest::prop_assert!(line_widths[0] <= usize::from(width), "{}", s);
        }
        let mut printed: Vec<char> = s
            .chars()
            .filter(|c| !c.is_whitespace() && !"┌┬┐│┆╞═╪╡└┴┘─├┼┤╌".contains(*c))
            .collect();
        let mut given: Vec<char> = header
            .iter()
            .chain(rows.iter().flatten())
            .flat_map(|c| c.chars())
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect();
        printed.sort_unstable();
        given.sort_unstable();
        proptest::prop_assert_eq!(printed, given);
    }
}

#[test]
fn a_wide_character_in_a_one_column_share_keeps_the_table_rectangular() {
    // Found by the property test: left to itself, comfy-table gives the
    // column one terminal column and prints `日` in it anyway.
    let s = table(Some(5), &[""], &[&["日"]]);
    assert_rectangular(&s);
    assert!(s.contains('日'), "{s}");
}

#[test]
fn a_blank_column_does_not_take_the_table_past_its_width() {
    // Found by the property test: comfy-table counts the blank column as 0
    // columns wide while sharing out the width, and draws it 1 wide.
    let s = table(
        Some(27),
        &["", "", "", "     "],
        &[&["aéé", "日é日", "0a日0"]],
    );
    assert_rectangular(&s);
    assert!(s.lines().all(|l| UnicodeWidthStr::width(l) <= 27), "{s}");
}
