//! The tables basket prints (`list`, `check`'s proposals, `history`, `prices`,
//! `rules list`): a header, rows of text, box-drawing borders, fitted to the
//! terminal's width by wrapping the widest columns at spaces.
//!
//! A thin layer over comfy-table, so every table has the same look and the
//! commands keep short table code: the `UTF8_FULL_CONDENSED` preset, the
//! width given by the caller ([`table_width`]: `COLUMNS`, else the
//! terminal's, else 100, so a pipe gets a table as wide as a terminal would),
//! and content arranged dynamically within it. comfy-table decides the exact
//! bytes. A basket holds tens of items; what comfy-table costs a list of
//! 1,000 is in BENCHMARKS.md (`basket list`).

use std::fmt;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ColumnConstraint, ContentArrangement, Row, Width};
use unicode_width::UnicodeWidthStr;

use crate::text;

/// A header and rows of cells, each cell any text (a `\n` starts a new line
/// within it).
#[derive(Debug, Clone)]
pub struct Table {
    inner: comfy_table::Table,
    /// What each column holds, so far: see [`Table::constrain`].
    columns: Vec<Holds>,
}

/// What a column's cells hold, as far as fitting it goes; each kind wins
/// over the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Holds {
    /// Nothing but spaces and line breaks (or no cell yet).
    Blank,
    /// Text no character of which is wider than one terminal column.
    Narrow,
    /// A line at least two terminal columns wide that is not plain ASCII:
    /// perhaps a wide character (CJK, an emoji).
    Wide,
}

impl Holds {
    fn of(cell: &str) -> Holds {
        if cell.bytes().all(|b| b == b' ' || b == b'\n') {
            Holds::Blank
        } else if !cell.is_ascii() && cell.split('\n').any(|l| l.width() >= 2) {
            Holds::Wide
        } else {
            Holds::Narrow
        }
    }

    /// Where comfy-table, left to itself, would draw a line wider than the
    /// others or than the table's width, the column constraint that keeps
    /// it from doing so. comfy-table's `Width::Fixed` counts the space
    /// either side of the text (2).
    ///
    /// - A wide character in a column given one terminal column is printed
    ///   anyway, and its line comes out a column wider than the rest (its
    ///   `split_line` says so): such a column is given at least two. Where
    ///   the table fits, this changes nothing, since that column's content
    ///   is two columns wide or more.
    /// - A blank column is counted as 0 columns wide while the others share
    ///   the width, and drawn 1 wide: the table comes out a column wider
    ///   than asked. So it is given its 1 column from the start.
    fn constraint(self) -> Option<ColumnConstraint> {
        match self {
            Holds::Blank => Some(ColumnConstraint::Absolute(Width::Fixed(1 + 2))),
            Holds::Narrow => None,
            Holds::Wide => Some(ColumnConstraint::LowerBoundary(Width::Fixed(2 + 2))),
        }
    }
}

impl Table {
    /// An empty table at most `width` columns wide (as wide as it needs without).
    pub fn new(width: Option<u16>) -> Table {
        let mut inner = comfy_table::Table::new();
        inner.load_preset(UTF8_FULL_CONDENSED);
        if let Some(width) = width {
            inner
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(width);
        }
        Table {
            inner,
            columns: Vec::new(),
        }
    }

    pub fn set_header<C: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = C>) {
        let row = self.row(cells);
        self.inner.set_header(row);
        self.constrain();
    }

    pub fn add_row<C: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = C>) {
        let row = self.row(cells);
        self.inner.add_row(row);
        self.constrain();
    }

    /// The cells made printable, and what they add to what their columns hold.
    fn row<C: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = C>) -> Row {
        let mut row = Vec::new();
        for (i, cell) in cells.into_iter().enumerate() {
            let cell = printable(cell.as_ref());
            if self.columns.len() <= i {
                self.columns.push(Holds::Blank);
            }
            self.columns[i] = self.columns[i].max(Holds::of(&cell));
            row.push(cell);
        }
        Row::from(row)
    }

    /// Each column's constraint ([`Holds::constraint`]) as its cells so far
    /// call for; only a table fitted to a width needs any.
    fn constrain(&mut self) {
        if self.inner.width().is_none() {
            return;
        }
        for (column, holds) in self.inner.column_iter_mut().zip(&self.columns) {
            let wanted = holds.constraint();
            if column.constraint() != wanted.as_ref() {
                match wanted {
                    Some(c) => column.set_constraint(c),
                    None => column.remove_constraint(),
                };
            }
        }
    }
}

/// A cell's text as comfy-table should get it: comfy-table prints a cell's
/// characters as they are, and a tab, `\r` or escape sequence would move the
/// cursor or restyle the terminal and bend the table's borders. Feed text is
/// made printable when it is read (`Product::make_printable`), but a cell
/// may also hold a rule's name or an item stored before that; so each line
/// (`\n` still starts one) goes through [`text::make_printable`] here too.
fn printable(cell: &str) -> String {
    if !text::has_control(cell) {
        return cell.to_string();
    }
    let lines: Vec<String> = cell
        .split('\n')
        .map(|line| {
            let mut line = line.to_string();
            text::make_printable(&mut line);
            line
        })
        .collect();
    lines.join("\n")
}

impl fmt::Display for Table {
    /// The table without a newline after its last line, like other `Display`s.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

#[cfg(test)]
mod tests;

/// Terminal width for tables: `COLUMNS`, else the terminal's, else 100.
pub fn table_width() -> Option<u16> {
    if let Some(c) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(c);
    }
    dialoguer::console::Term::stdout()
        .size_checked()
        .map(|(_, w)| w)
        .or(Some(100))
}
