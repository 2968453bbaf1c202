//! A price-over-time chart for the terminal (`basket prices`), drawn with box
//! characters. Pure functions of their input: no terminal, no clock.
//!
//! History is stored only when something changes, so a price holds until the
//! next point: the chart is a step line. Time runs left to right in proportion,
//! except that every point gets a column of its own when there is room, so a
//! one-hour dip in a month is still seen. With more points than columns, a
//! column shows the lowest or highest price of its points when it holds the
//! overall minimum or maximum, else its last price, so the extremes never vanish.
//!
//! ```text
//! 16.00 ┤      ╭──────╮
//!       │      │      │
//! 14.50 ┤──────╯      │      ╭────●
//!       │             │      │
//! 12.00 ┤             ╰──────╯
//!       └──────────────────××××××─
//!        2026-10-01      2026-10-08
//!        × out of stock
//! ```
//!
//! The y axis labels the top row (the maximum), the bottom row (the minimum) and
//! the row of the current price; `●` is the current price. Out-of-stock periods
//! are dotted (`┄`) in the line, or left blank when there was no price, and
//! marked `×` on the time axis.

use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::model::money;

/// One point of the chart: from `at` on, the price was `price` (`None`: unknown,
/// nothing drawn) and the product was out of stock or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartPoint {
    pub at: DateTime<Utc>,
    pub price: Option<Decimal>,
    pub out_of_stock: bool,
}

/// Fewest columns the plot gets, however narrow the terminal: room for the first
/// and the last date under it.
const MIN_PLOT_WIDTH: usize = 22;

/// Draws prices over time, `width` characters wide in all (labels included) and
/// `height` rows for the plot (at least 2), plus the time axis and its dates.
/// Points need not be sorted. Empty input draws nothing. (The unit tests draw
/// plain price lists through it.)
#[cfg(test)]
pub fn render_chart(points: &[(DateTime<Utc>, Decimal)], width: usize, height: usize) -> String {
    let points: Vec<ChartPoint> = points
        .iter()
        .map(|&(at, price)| ChartPoint {
            at,
            price: Some(price),
            out_of_stock: false,
        })
        .collect();
    render_history_chart(&points, width, height)
}

/// Draws prices over time (see `render_chart`), with unknown prices and
/// out-of-stock periods.
pub fn render_history_chart(points: &[ChartPoint], width: usize, height: usize) -> String {
    let mut points = points.to_vec();
    points.sort_by_key(|p| p.at);
    let prices: Vec<Decimal> = points.iter().filter_map(|p| p.price).collect();
    let (Some(&first), Some(&last)) = (points.first(), points.last()) else {
        return String::new();
    };
    let min = prices.iter().copied().min();
    let max = prices.iter().copied().max();
    let current = points.iter().rev().find_map(|p| p.price);

    // Rows: a flat history is one row; otherwise `height`, top = max.
    let rows = match (min, max) {
        (Some(lo), Some(hi)) if lo < hi => height.max(2),
        _ => 1,
    };
    let row_of = |v: Decimal| -> usize {
        match (min, max) {
            (Some(lo), Some(hi)) if lo < hi => {
                let scaled = (hi - v) * Decimal::from(rows - 1) / (hi - lo);
                scaled.round().to_usize().unwrap_or(0).min(rows - 1)
            }
            _ => 0,
        }
    };

    // Labels: max at the top, min at the bottom, the current price on its row.
    let mut labels = vec![String::new(); rows];
    if let (Some(lo), Some(hi)) = (min, max) {
        labels[0] = money(hi);
        labels[rows - 1] = money(lo);
    }
    if let Some(now) = current {
        let r = row_of(now);
        if labels[r].is_empty() {
            labels[r] = money(now);
        }
    }
    let gutter = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let plot_width = width.saturating_sub(gutter + 2).max(MIN_PLOT_WIDTH);

    let columns = columns(&points, first.at, last.at, plot_width, min, max);

    let mut grid = vec![vec![' '; plot_width]; rows];
    let mut previous: Option<usize> = None;
    for (c, col) in columns.iter().enumerate() {
        let Some(v) = col.price else {
            previous = None;
            continue;
        };
        let r = row_of(v);
        match previous {
            Some(p) if p < r => {
                // Down (rows grow downwards).
                grid[p][c] = '╮';
                for row in grid.iter_mut().take(r).skip(p + 1) {
                    row[c] = '│';
                }
                grid[r][c] = '╰';
            }
            Some(p) if p > r => {
                grid[p][c] = '╯';
                for row in grid.iter_mut().take(p).skip(r + 1) {
                    row[c] = '│';
                }
                grid[r][c] = '╭';
            }
            _ => grid[r][c] = if col.out_of_stock { '┄' } else { '─' },
        }
        previous = Some(r);
    }
    // The current price, unless the last column is a step (its corner says more).
    if let Some(now) = current {
        let cell = &mut grid[row_of(now)][plot_width - 1];
        if matches!(*cell, '─' | '┄') {
            *cell = '●';
        }
    }

    let mut out = String::new();
    for (r, row) in grid.iter().enumerate() {
        let label = &labels[r];
        let axis = if label.is_empty() { '│' } else { '┤' };
        let line: String = row.iter().collect();
        out.push_str(&format!("{label:>gutter$} {axis}{}\n", line.trim_end()));
    }
    let axis: String = columns
        .iter()
        .map(|c| if c.out_of_stock { '×' } else { '─' })
        .collect();
    out.push_str(&format!("{:gutter$} └{axis}\n", ""));
    out.push_str(&format!(
        "{:gutter$}  {}\n",
        "",
        date_axis(first.at, last.at, plot_width)
    ));
    if columns.iter().any(|c| c.out_of_stock) {
        out.push_str(&format!("{:gutter$}  × out of stock\n", ""));
    }
    out
}

/// What one column of the plot shows.
#[derive(Debug, Clone, Copy)]
struct Column {
    price: Option<Decimal>,
    out_of_stock: bool,
}

/// Maps the (sorted) points to `width` columns; see the module note.
fn columns(
    points: &[ChartPoint],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    width: usize,
    min: Option<Decimal>,
    max: Option<Decimal>,
) -> Vec<Column> {
    let span = (to - from).num_seconds().max(0) as f64;
    let last_col = width - 1;
    let mut at: Vec<usize> = points
        .iter()
        .map(|p| {
            if span == 0.0 {
                0
            } else {
                let frac = (p.at - from).num_seconds() as f64 / span;
                ((frac * last_col as f64).round() as usize).min(last_col)
            }
        })
        .collect();
    if points.len() <= width {
        // Every point a column: push crowded points right, then pull back from
        // the right edge.
        for i in 1..at.len() {
            at[i] = at[i].max(at[i - 1] + 1);
        }
        let n = at.len();
        for i in (0..n).rev() {
            let room = last_col - (n - 1 - i);
            at[i] = at[i].min(room);
            if i + 1 < n {
                at[i] = at[i].min(at[i + 1] - 1);
            }
        }
    }
    let mut out = Vec::with_capacity(width);
    let mut held = Column {
        price: None,
        out_of_stock: false,
    };
    let mut i = 0;
    for c in 0..width {
        let start = i;
        while i < points.len() && at[i] == c {
            i += 1;
        }
        let bucket = &points[start..i];
        if let Some(last) = bucket.last() {
            let prices = || bucket.iter().filter_map(|p| p.price);
            let shown = if min.is_some() && prices().any(|p| Some(p) == min) {
                min
            } else if max.is_some() && prices().any(|p| Some(p) == max) {
                max
            } else {
                last.price
            };
            out.push(Column {
                price: shown,
                out_of_stock: bucket.iter().any(|p| p.out_of_stock),
            });
            held = Column {
                price: last.price,
                out_of_stock: last.out_of_stock,
            };
        } else {
            out.push(held);
        }
    }
    out
}

/// The first date at the left, the last at the right (one date when they are
/// the same day). The plot is never narrower than two dates and a space.
fn date_axis(from: DateTime<Utc>, to: DateTime<Utc>, width: usize) -> String {
    let (a, b) = (
        from.format("%Y-%m-%d").to_string(),
        to.format("%Y-%m-%d").to_string(),
    );
    if a == b {
        return a;
    }
    let gap = width.saturating_sub(a.len() + b.len()).max(1);
    format!("{a}{:gap$}{b}", "")
}

/// A horizontal bar `width` cells long at most, for `value` out of `max`,
/// drawn with the eighth blocks (`▏▎▍▌▋▊▉█`) so close amounts still differ.
/// Zero, a negative value or a zero `max` draws nothing.
pub fn bar(value: Decimal, max: Decimal, width: usize) -> String {
    const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    if value <= Decimal::ZERO || max <= Decimal::ZERO {
        return String::new();
    }
    let eighths = (value.min(max) / max * Decimal::from(width * 8))
        .round()
        .to_usize()
        .unwrap_or(0)
        .max(1);
    let mut out = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        out.push(EIGHTHS[eighths % 8 - 1]);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn day(d: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-10-{d:02}T09:00:00Z"))
            .expect("time")
            .with_timezone(&Utc)
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn empty_history_draws_nothing() {
        assert_eq!(render_chart(&[], 40, 5), "");
    }

    #[test]
    fn a_dip_and_recovery_is_a_step_line() {
        let points = [
            (day(1), dec("16")),
            (day(3), dec("12")),
            (day(5), dec("14.5")),
        ];
        let chart = render_chart(&points, 29, 3);
        assert_eq!(
            chart,
            "\
16.00 ┤───────────╮
14.50 ┤           │         ╭
12.00 ┤           ╰─────────╯
      └──────────────────────
       2026-10-01  2026-10-05
"
        );
    }

    #[test]
    fn each_line_fits_the_width() {
        let points: Vec<_> = (1..=9)
            .map(|d| (day(d), Decimal::from(10 + (d % 3))))
            .collect();
        for width in [30, 50, 80] {
            let chart = render_chart(&points, width, 4);
            for line in chart.lines() {
                assert!(line.chars().count() <= width, "{width}: {line:?}");
            }
            assert!(chart.contains("2026-10-01") && chart.contains("2026-10-09"));
            // The plot runs to the right edge.
            assert_eq!(chart.lines().nth(3).map(|l| l.chars().count()), Some(width));
        }
    }

    #[test]
    fn a_flat_history_is_one_labelled_row() {
        let chart = render_chart(&[(day(1), dec("2.1")), (day(4), dec("2.10"))], 30, 6);
        assert_eq!(
            chart,
            "\
2.10 ┤───────────────────────●
     └────────────────────────
      2026-10-01    2026-10-04
"
        );
    }

    #[test]
    fn a_single_point_is_a_single_date() {
        let chart = render_chart(&[(day(2), dec("3"))], 20, 4);
        assert!(chart.ends_with("\n      2026-10-02\n"), "{chart}");
        assert!(chart.starts_with("3.00 ┤"), "{chart}");
    }

    #[test]
    fn a_short_dip_in_a_long_span_keeps_its_column() {
        // One hour at 9.00 in a month at 10.00: time-proportional columns alone
        // would lose it.
        let dip = day(15);
        let points = [
            (day(1), dec("10")),
            (dip, dec("9")),
            (dip + chrono::Duration::hours(1), dec("10")),
            (day(30), dec("10")),
        ];
        let chart = render_chart(&points, 40, 2);
        let bottom = chart.lines().nth(1).expect("two rows");
        assert!(bottom.starts_with(" 9.00 ┤"), "{chart}");
        assert!(bottom.contains('╰'), "{chart}");
    }

    #[test]
    fn more_points_than_columns_keep_the_extremes() {
        let mut points: Vec<_> = (0..200)
            .map(|h| (day(1) + chrono::Duration::hours(h), dec("5")))
            .collect();
        points[77].1 = dec("1");
        points[150].1 = dec("9");
        let chart = render_chart(&points, 30, 3);
        let lines: Vec<&str> = chart.lines().collect();
        assert!(
            lines[0].starts_with("9.00 ┤") && lines[0].contains('╭'),
            "{chart}"
        );
        assert!(
            lines[2].starts_with("1.00 ┤") && lines[2].contains('╰'),
            "{chart}"
        );
    }

    #[test]
    fn out_of_stock_is_dotted_or_blank_and_marked_on_the_axis() {
        let p = |d, price: Option<&str>, out_of_stock| ChartPoint {
            at: day(d),
            price: price.map(dec),
            out_of_stock,
        };
        let points = [
            p(1, Some("4"), false),
            p(3, None, true),
            p(5, Some("5"), true),
            p(7, Some("5"), false),
        ];
        let chart = render_history_chart(&points, 28, 2);
        assert_eq!(
            chart,
            "\
5.00 ┤              ┄┄┄┄┄┄┄●
4.00 ┤───────
     └───────××××××××××××××─
      2026-10-01  2026-10-07
      × out of stock
"
        );
    }
}
