//! Problems in a rules file, rendered the way compilers do: `path:line:column:
//! message`, the line quoted with a caret under the offending part, and a hint.

use std::ops::Range;
use std::path::PathBuf;

/// One problem, located in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
    pub hint: Option<String>,
    /// The offending line, without its newline.
    pub source_line: String,
    /// How many characters the caret underlines (at least 1).
    pub width: usize,
}

impl Diagnostic {
    pub fn new(src: &str, span: Range<usize>, message: String, hint: Option<String>) -> Self {
        let start = floor_char_boundary(src, span.start.min(src.len()));
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let line = src[..start].matches('\n').count() + 1;
        let column = src[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(src, span.end.clamp(start, line_end));
        let width = src[start..end].chars().count().max(1);
        Diagnostic {
            line,
            column,
            message,
            hint,
            source_line: src[line_start..line_end].trim_end_matches('\r').to_string(),
            width,
        }
    }

    /// Renders with the file path in front, as `rules check` prints it.
    pub fn render(&self, path: &str) -> String {
        let gutter = self.line.to_string().len();
        let (quoted, caret_at, width) = self.window();
        let mut out = format!(
            "{path}:{}:{}: {}\n{:>gutter$} |\n{} | {}\n{:>gutter$} | {}{}",
            self.line,
            self.column,
            self.message,
            "",
            self.line,
            quoted,
            "",
            " ".repeat(caret_at),
            "^".repeat(width),
        );
        if let Some(h) = &self.hint {
            out.push_str(&format!("\n{:>gutter$} = hint: {h}", ""));
        }
        out
    }
}

/// The longest source line quoted whole. A longer one (a minified or hostile
/// file: 10,000 nested tables on one line) is quoted as a window around the
/// caret, so an error stays a few lines instead of megabytes.
const MAX_QUOTED: usize = 120;

impl Diagnostic {
    /// The part of the line to quote, where the caret starts in it (in
    /// characters) and how wide it is.
    fn window(&self) -> (String, usize, usize) {
        let chars: Vec<char> = self.source_line.chars().collect();
        let caret = self.column - 1;
        if chars.len() <= MAX_QUOTED {
            return (self.source_line.clone(), caret, self.width);
        }
        let start = caret.saturating_sub(MAX_QUOTED / 2).min(chars.len());
        let end = (start + MAX_QUOTED).min(chars.len());
        let mut quoted = String::new();
        let mut caret_at = caret - start;
        if start > 0 {
            quoted.push_str("...");
            caret_at += 3;
        }
        quoted.extend(&chars[start..end]);
        if end < chars.len() {
            quoted.push_str("...");
        }
        let width = self.width.min(end.saturating_sub(caret)).max(1);
        (quoted, caret_at, width)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The I/O error is part of the message, not a `source()`: the command layer
    /// prints causes on lines of their own, and this one would be said twice.
    #[error("cannot read the rules file {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Over [`super::MAX_RULES_BYTES`]: not a rules file a person wrote.
    #[error("the rules file {} is larger than 1 MiB; a rules file is a few kilobytes of TOML", path.display())]
    TooLarge { path: PathBuf },
    #[error("the rules file {} is not UTF-8 text (invalid byte at offset {offset})", path.display())]
    NotUtf8 { path: PathBuf, offset: usize },
    #[error("{}", render_all(path, diagnostics))]
    Invalid {
        path: PathBuf,
        diagnostics: Vec<Diagnostic>,
    },
}

impl RulesError {
    /// The file does not exist: the caller suggests `basket init`.
    pub fn is_missing_file(&self) -> bool {
        matches!(self, RulesError::Read { error, .. } if error.kind() == std::io::ErrorKind::NotFound)
    }
}

fn render_all(path: &std::path::Path, diagnostics: &[Diagnostic]) -> String {
    let shown = path.display().to_string();
    let mut out: Vec<String> = diagnostics.iter().map(|d| d.render(&shown)).collect();
    let n = diagnostics.len();
    out.push(format!(
        "{shown}: {n} problem{} found; nothing was fetched or changed",
        if n == 1 { "" } else { "s" }
    ));
    out.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_line_and_column_in_characters() {
        let src = "a = 1\n# é\nprice = { bellow = 15 }\n";
        let at = src.find("bellow").expect("in source");
        let d = Diagnostic::new(
            src,
            at..at + 6,
            "unknown key 'bellow'".into(),
            Some("did you mean 'below'?".into()),
        );
        assert_eq!((d.line, d.column, d.width), (3, 11, 6));
        let shown = d.render("rules.toml");
        assert_eq!(
            shown,
            "rules.toml:3:11: unknown key 'bellow'\n  |\n3 | price = { bellow = 15 }\n  |           ^^^^^^\n  = hint: did you mean 'below'?"
        );
    }
}
