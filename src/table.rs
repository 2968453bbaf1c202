//! The tables basket prints (`list`, `check`'s proposals, `history`, `prices`,
//! `rules list`): a header, rows of text, box-drawing borders, fitted to the
//! terminal's width by wrapping the widest columns at spaces.
//!
//! Written here rather than taken from a table crate because of issue 6's
//! start-up target: `basket list` with 1,000 items must print in under 20 ms,
//! and comfy-table spent about 6,700 instructions per cell (its styles,
//! constraints and per-cell line vectors, none of which basket uses), 62% of
//! the whole run. This one keeps every cell's text where it is and writes
//! the borders and slices of it straight into the output. Where a table
//! fits, it prints what comfy-table printed; where one does not, the widest
//! columns wrap at spaces.

use std::borrow::Cow;
use std::fmt;

use unicode_width::UnicodeWidthStr;

/// A header and rows of cells, each cell any text (a `\n` starts a new line
/// within it). Cells borrow where they can: a long basket is not copied.
#[derive(Debug, Clone, Default)]
pub struct Table<'a> {
    header: Vec<Cow<'a, str>>,
    rows: Vec<Vec<Cow<'a, str>>>,
    /// The widest the table may be, borders included; `None`: as wide as its
    /// content.
    width: Option<usize>,
}

/// Space and border around each column: `│ ` + text + ` ` per column, and
/// the closing `│`.
const PER_COLUMN: usize = 3;

impl<'a> Table<'a> {
    /// An empty table at most `width` columns wide (as wide as it needs without).
    pub fn new(width: Option<u16>) -> Table<'a> {
        Table {
            width: width.map(usize::from),
            ..Table::default()
        }
    }

    pub fn set_header<C: Into<Cow<'a, str>>>(&mut self, cells: impl IntoIterator<Item = C>) {
        self.header = cells.into_iter().map(Into::into).collect();
    }

    pub fn add_row<C: Into<Cow<'a, str>>>(&mut self, cells: impl IntoIterator<Item = C>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    fn columns(&self) -> usize {
        self.rows
            .iter()
            .map(Vec::len)
            .chain([self.header.len()])
            .max()
            .unwrap_or(0)
    }

    /// Every line, header first: a row's cells and the cells it lacks.
    fn all_rows(&self) -> impl Iterator<Item = &[Cow<'a, str>]> {
        std::iter::once(self.header.as_slice()).chain(self.rows.iter().map(Vec::as_slice))
    }

    /// The widest line of every cell, row by row (header first), `columns`
    /// to a row (0 for a cell the row lacks): measured once, used by every
    /// fitting pass.
    fn cell_widths(&self, columns: usize) -> Vec<usize> {
        let mut widths = vec![0; columns * (self.rows.len() + 1)];
        for (row, out) in self.all_rows().zip(widths.chunks_exact_mut(columns)) {
            for (cell, w) in row.iter().zip(out) {
                *w = widest_line(cell);
            }
        }
        widths
    }

    /// Each column's text width: as wide as its widest line when that fits,
    /// else the width is shared out and the widest columns wrap.
    fn column_widths(&self, columns: usize) -> Vec<usize> {
        let cell_widths = self.cell_widths(columns);
        let mut natural = vec![0; columns];
        for row in cell_widths.chunks_exact(columns) {
            for (n, &w) in natural.iter_mut().zip(row) {
                *n = (*n).max(w);
            }
        }
        let Some(width) = self.width else {
            return natural;
        };
        let room = width.saturating_sub(PER_COLUMN * columns + 1);
        let mut widths = share_out(&natural, room);
        // A wrapped column is often narrower than its share (it breaks at
        // spaces); what it leaves over goes to the columns still wrapping.
        for _ in 0..3 {
            let used = self.wrapped_widths(&widths, &cell_widths);
            let spare: usize = widths
                .iter()
                .zip(&used)
                .map(|(w, u)| w.saturating_sub(*u))
                .sum();
            let wrapping: Vec<usize> = (0..columns)
                .filter(|&i| used[i] == widths[i] && widths[i] < natural[i])
                .collect();
            widths = used;
            if spare == 0 || wrapping.is_empty() {
                break;
            }
            for (n, &i) in wrapping.iter().enumerate() {
                let extra = spare / wrapping.len() + usize::from(n < spare % wrapping.len());
                widths[i] = (widths[i] + extra).min(natural[i]);
            }
        }
        widths
    }

    /// The widest line of each column once wrapped to `widths`.
    fn wrapped_widths(&self, widths: &[usize], cell_widths: &[usize]) -> Vec<usize> {
        let mut used = vec![0; widths.len()];
        for (row, row_widths) in self.all_rows().zip(cell_widths.chunks_exact(widths.len())) {
            for (((u, &w), cell), &cell_width) in
                used.iter_mut().zip(widths).zip(row).zip(row_widths)
            {
                if cell_width <= w {
                    *u = (*u).max(cell_width);
                } else {
                    wrap(cell, w, |_, line_width| *u = (*u).max(line_width));
                }
            }
        }
        used
    }
}

/// `natural` widths within `room`: each column gets what it needs if that
/// is at most an equal share of what is left, the narrowest first; the rest
/// split what remains (at least one column each).
fn share_out(natural: &[usize], room: usize) -> Vec<usize> {
    if natural.iter().sum::<usize>() <= room {
        return natural.to_vec();
    }
    let mut order: Vec<usize> = (0..natural.len()).collect();
    order.sort_by_key(|&i| natural[i]);
    let mut widths = natural.to_vec();
    let mut left = room;
    for (k, &i) in order.iter().enumerate() {
        let columns_left = order.len() - k;
        if natural[i] <= left / columns_left {
            left -= natural[i];
            continue;
        }
        let share = left / columns_left;
        let extra = left % columns_left;
        for (n, &j) in order[k..].iter().enumerate() {
            // The odd columns of room to the widest, which wrap most.
            widths[j] = (share + usize::from(n >= columns_left - extra)).max(1);
        }
        break;
    }
    widths
}

/// Terminal columns `s` takes.
fn text_width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.width()
    }
}

fn widest_line(cell: &str) -> usize {
    cell.lines().map(text_width).max().unwrap_or(0)
}

/// Calls `line` with each line of `cell` wrapped to `width` columns and its
/// width: broken at spaces, and a word wider than the column broken where it
/// reaches the edge. Lines are slices of `cell`, spaces inside them kept.
fn wrap<'t>(cell: &'t str, width: usize, mut line: impl FnMut(&'t str, usize)) {
    let width = width.max(1);
    for text in cell.lines() {
        let text_columns = text_width(text);
        if text_columns <= width {
            line(text, text_columns);
            continue;
        }
        // The line being filled: where it starts and ends in `text`, and its width.
        let mut current: Option<(usize, usize, usize)> = None;
        let mut rest = text;
        let mut offset = 0;
        while !rest.is_empty() {
            let gap = rest.len() - rest.trim_start_matches(' ').len();
            let word_len = rest[gap..].find(' ').unwrap_or(rest.len() - gap);
            let (word_start, word_end) = (offset + gap, offset + gap + word_len);
            let word = &text[word_start..word_end];
            let word_width = text_width(word);
            offset = word_end;
            rest = &text[word_end..];
            if word.is_empty() {
                break;
            }
            if let Some((start, end, w)) = current {
                if w + gap + word_width <= width {
                    current = Some((start, word_end, w + gap + word_width));
                    continue;
                }
                line(&text[start..end], w);
            }
            if word_width <= width {
                current = Some((word_start, word_end, word_width));
                continue;
            }
            // Too long for any line: in pieces as wide as the column.
            let mut piece_start = word_start;
            let mut piece_width = 0;
            for (i, c) in word.char_indices() {
                let c_width = text_width(c.encode_utf8(&mut [0; 4]));
                if piece_width + c_width > width && piece_width > 0 {
                    line(&text[piece_start..word_start + i], piece_width);
                    piece_start = word_start + i;
                    piece_width = 0;
                }
                piece_width += c_width;
            }
            current = Some((piece_start, word_end, piece_width));
        }
        if let Some((start, end, w)) = current {
            line(&text[start..end], w);
        }
    }
}

/// Appends `text` and then spaces up to `width` columns.
fn pad(out: &mut String, text: &str, text_width: usize, width: usize) {
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(text_width)));
}

fn rule(out: &mut String, widths: &[usize], [left, fill, cross, right]: [char; 4]) {
    out.push(left);
    for (i, &w) in widths.iter().enumerate() {
        if i > 0 {
            out.push(cross);
        }
        out.extend(std::iter::repeat_n(fill, w + 2));
    }
    out.push(right);
    out.push('\n');
}

impl fmt::Display for Table<'_> {
    /// The table without a newline after its last line, like other `Display`s.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let columns = self.columns();
        if columns == 0 {
            return Ok(());
        }
        let widths = self.column_widths(columns);
        let line_width = widths.iter().sum::<usize>() + PER_COLUMN * columns + 1;
        let mut out = String::with_capacity(line_width * 4 * (self.rows.len() + 4));
        rule(&mut out, &widths, ['┌', '─', '┬', '┐']);
        // Reused from row to row: each cell's lines and their widths.
        let mut lines: Vec<Vec<(&str, usize)>> = vec![Vec::new(); columns];
        for (n, row) in self.all_rows().enumerate() {
            for (i, cell_lines) in lines.iter_mut().enumerate() {
                cell_lines.clear();
                let cell = row.get(i).map_or("", |c| c.as_ref());
                wrap(cell, widths[i], |text, w| cell_lines.push((text, w)));
            }
            let height = lines.iter().map(Vec::len).max().unwrap_or(0).max(1);
            for k in 0..height {
                out.push('│');
                for (i, cell_lines) in lines.iter().enumerate() {
                    if i > 0 {
                        out.push('┆');
                    }
                    out.push(' ');
                    let (text, w) = cell_lines.get(k).copied().unwrap_or(("", 0));
                    pad(&mut out, text, w, widths[i]);
                    out.push(' ');
                }
                out.push_str("│\n");
            }
            if n == 0 {
                rule(&mut out, &widths, ['╞', '═', '╪', '╡']);
            }
        }
        rule(&mut out, &widths, ['└', '─', '┴', '┘']);
        out.pop();
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
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
        // 40 columns leave 33 for the product, and its lines need only 27.
        let s = table(
            Some(40),
            &["product", "qty"],
            &[&["Wild Thyme Value Cat Litter 400g and more words", "1"]],
        );
        assert_rectangular(&s);
        assert!(s.lines().all(|l| UnicodeWidthStr::width(l) <= 40), "{s}");
        assert_eq!(
            s,
            "┌─────────────────────────────┬─────┐\n\
             │ product                     ┆ qty │\n\
             ╞═════════════════════════════╪═════╡\n\
             │ Wild Thyme Value Cat Litter ┆ 1   │\n\
             │ 400g and more words         ┆     │\n\
             └─────────────────────────────┴─────┘"
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

    proptest::proptest! {
        /// Whatever the cells and the width: every line is as wide as the
        /// others, no wider than asked when each column can have a character
        /// (two for wide ones), and every character of every cell is printed.
        #[test]
        fn any_table_is_rectangular_within_its_width_and_keeps_its_text(
            header in proptest::collection::vec("[a-z ]{0,8}", 1..5),
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-z0-9 é日\n]{0,30}", 0..6), 0..6),
            width in 5u16..120,
        ) {
            let mut t = Table::new(Some(width));
            t.set_header(header.iter().map(String::as_str));
            for r in &rows {
                t.add_row(r.iter().map(String::as_str));
            }
            let s = t.to_string();
            let line_widths: Vec<usize> = s.lines().map(UnicodeWidthStr::width).collect();
            proptest::prop_assert!(line_widths.iter().all(|&w| w == line_widths[0]), "{}", s);
            let columns = t.columns();
            if usize::from(width) >= PER_COLUMN * columns + 1 + 2 * columns {
                proptest::prop_assert!(line_widths[0] <= usize::from(width), "{}", s);
            }
            let mut printed: Vec<char> = s
                .chars()
                .filter(|c| !c.is_whitespace() && !"┌┬┐│┆╞═╪╡└┴┘─".contains(*c))
                .collect();
            let mut given: Vec<char> = header
                .iter()
                .chain(rows.iter().flatten())
                .flat_map(|c| c.chars())
                .filter(|c| !c.is_whitespace())
                .collect();
            printed.sort_unstable();
            given.sort_unstable();
            proptest::prop_assert_eq!(printed, given);
        }
    }

    #[test]
    fn share_out_gives_the_narrow_columns_what_they_need() {
        assert_eq!(share_out(&[3, 50, 40], 100), [3, 50, 40]);
        assert_eq!(share_out(&[3, 50, 40], 43), [3, 20, 20]);
        assert_eq!(share_out(&[3, 50, 40], 44), [3, 21, 20]);
        assert_eq!(share_out(&[10, 10], 4), [2, 2]);
        assert_eq!(share_out(&[10, 10, 10], 0), [1, 1, 1]);
    }
}
