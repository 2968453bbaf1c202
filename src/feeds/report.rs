//! What parsing a feed found: every record counted, a skipped one with its
//! reason, and the one-line warning a person reads.

/// What parsing a feed found: records seen, records skipped and the first few reasons.
#[derive(Debug, Clone, Default)]
pub struct FeedReport {
    pub feed: String,
    /// Every record seen, good or bad.
    pub records: usize,
    /// Records that were not turned into products.
    pub skipped: usize,
    /// The first [`MAX_PROBLEMS`] reasons, e.g. `line 88: price "abc" is not a number`.
    pub problems: Vec<String>,
    /// Records kept without a part they gave wrong (a unit pricing measure in
    /// an unknown unit), and the first few reasons.
    pub kept_without: usize,
    pub kept_problems: Vec<String>,
}

/// How many skip reasons a report keeps: enough to show the pattern, bounded for
/// a feed where every record is bad.
pub const MAX_PROBLEMS: usize = 3;

impl FeedReport {
    pub(super) fn new(feed: &str) -> FeedReport {
        FeedReport {
            feed: feed.to_string(),
            ..FeedReport::default()
        }
    }

    /// Counts a record that was kept.
    pub(super) fn kept(&mut self) {
        self.records += 1;
    }

    /// Counts a record that was skipped, keeping the reason if there is room.
    pub(super) fn skip(&mut self, problem: String) {
        self.records += 1;
        self.skipped += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        }
    }

    /// Counts a record that was kept, but without a part of it: the product
    /// is still worth having, so the run goes on and the shopper is told.
    pub(super) fn kept_without(&mut self, problem: String) {
        self.kept_without += 1;
        if self.kept_problems.len() < MAX_PROBLEMS {
            self.kept_problems.push(problem);
        }
    }

    /// The one-line warning for records kept without a part of them:
    /// `feed 'grocer': 1 of 29 records kept without a size: item 1: ...`.
    pub fn kept_warning(&self) -> Option<String> {
        let first = self.kept_problems.first()?;
        Some(format!(
            "feed '{}': {} of {} record{} kept without a size: {first}",
            self.feed,
            thousands(self.kept_without),
            thousands(self.records),
            if self.records == 1 { "" } else { "s" }
        ))
    }

    /// The one-line warning for skipped records, or `None` when nothing was skipped:
    /// `feed 'grocer': 3 of 1,204 records skipped: line 88: price "abc" is not a number`.
    pub fn warning(&self) -> Option<String> {
        if self.skipped == 0 {
            return None;
        }
        let noun = if self.records == 1 {
            "record"
        } else {
            "records"
        };
        let mut text = format!(
            "feed '{}': {} of {} {noun} skipped",
            self.feed,
            thousands(self.skipped),
            thousands(self.records)
        );
        if let Some(first) = self.problems.first() {
            text.push_str(": ");
            text.push_str(first);
        }
        Some(text)
    }
}

/// `1204` -> `1,204`: counts in warnings are read by people.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_counts_with_separators_and_shows_the_first_problem() {
        let report = FeedReport {
            feed: "grocer".into(),
            records: 1204,
            skipped: 3,
            kept_without: 0,
            kept_problems: Vec::new(),
            problems: vec![
                "line 88: price \"abc\" is not a number".into(),
                "line 90: no name".into(),
            ],
        };
        assert_eq!(
            report.warning().as_deref(),
            Some(
                "feed 'grocer': 3 of 1,204 records skipped: line 88: price \"abc\" is not a number"
            )
        );
        assert_eq!(FeedReport::new("x").warning(), None);
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn report_keeps_at_most_three_problems() {
        let mut r = FeedReport::new("f");
        for i in 0..5 {
            r.skip(format!("record {i}: bad"));
        }
        r.kept();
        assert_eq!(
            (r.records, r.skipped, r.problems.len()),
            (6, 5, MAX_PROBLEMS)
        );
    }
}
