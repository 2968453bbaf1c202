//! Adding to the shopper's rules file (`basket feeds add`, `basket watch`)
//! without touching what is there: the new tables are appended as text, so
//! every byte before them (comments, blank lines, the order of keys) stays as
//! the shopper wrote it. `toml_edit` reads the file first (it must be TOML,
//! and the name must be free) and writes the new tables, quoting and escaping
//! their keys and values; then the whole new text is validated as a rules
//! file before anything is written.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use toml_edit::{value, DocumentMut, InlineTable, Item, Table};

use super::{parse_str, RuleSet, RulesError};

/// Why the rules file was left as it was.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("no rules file at {}", .0.display())]
    Missing(PathBuf),
    #[error("cannot read {}: {error}", .path.display())]
    Read { path: PathBuf, error: io::Error },
    #[error("{}:{line}:{column}: not valid TOML: {message}; the file was not changed", .path.display())]
    NotToml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{} already has a feed named '{name}'; the file was not changed", .path.display())]
    NameInUse { path: PathBuf, name: String },
    #[error("{} is read-only; the file was not changed", .path.display())]
    ReadOnly { path: PathBuf },
    /// The file with the new tables would not be valid rules.
    #[error("the rules file would not be valid with the new table; it was not changed")]
    Invalid(#[source] RulesError),
    #[error("cannot write {}: {error}", .path.display())]
    Write { path: PathBuf, error: io::Error },
}

/// A feed table to add: `[feeds.NAME]` with its keys in this order.
#[derive(Debug, Clone)]
pub struct NewFeed {
    pub name: String,
    pub kind: String,
    pub url: String,
}

/// A rule to add: `[[rule]]` with a name, a `match` and an action.
#[derive(Debug, Clone)]
pub struct NewRule {
    pub name: String,
    pub feed: String,
    pub condition: NewCondition,
    /// `notify = true` instead of `add = {}`.
    pub notify: bool,
}

/// The price condition of a rule made by `basket watch`.
#[derive(Debug, Clone)]
pub enum NewCondition {
    /// `price = { below = "15.00" }`
    Below(rust_decimal::Decimal),
    /// `price_drop_pct = { at_least = 20 }`
    Drop(rust_decimal::Decimal),
}

/// The rules file as it is: its text, parsed by `toml_edit`.
pub struct RulesFile {
    pub path: PathBuf,
    pub text: String,
    doc: DocumentMut,
}

impl RulesFile {
    /// Reads the file; it must exist and be TOML.
    pub fn open(path: &Path) -> Result<RulesFile, EditError> {
        let text = fs::read_to_string(path).map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => EditError::Missing(path.to_path_buf()),
            _ => EditError::Read {
                path: path.to_path_buf(),
                error,
            },
        })?;
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            let (line, column) = e
                .span()
                .map(|s| line_column(&text, s.start))
                .unwrap_or((1, 1));
            EditError::NotToml {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        Ok(RulesFile {
            path: path.to_path_buf(),
            text,
            doc,
        })
    }

    /// Whether `[feeds.NAME]` exists.
    pub fn has_feed(&self, name: &str) -> bool {
        self.doc
            .get("feeds")
            .and_then(|f| f.as_table_like())
            .is_some_and(|f| f.contains_key(name))
    }

    /// Whether a `[[rule]]` has this name.
    pub fn has_rule(&self, name: &str) -> bool {
        self.doc
            .get("rule")
            .and_then(Item::as_array_of_tables)
            .is_some_and(|rules| {
                rules
                    .iter()
                    .any(|r| r.get("name").and_then(Item::as_str) == Some(name))
            })
    }

    /// The text of the tables to append (starting with a blank line).
    pub fn addition(feed: &NewFeed, rule: Option<&NewRule>) -> String {
        let mut doc = DocumentMut::new();
        let mut table = Table::new();
        table.insert("kind", value(feed.kind.as_str()));
        table.insert("url", value(feed.url.as_str()));
        let mut feeds = Table::new();
        feeds.set_implicit(true);
        feeds.insert(&feed.name, Item::Table(table));
        doc.insert("feeds", Item::Table(feeds));
        let mut out = format!("\n{doc}");
        if let Some(rule) = rule {
            let mut doc = DocumentMut::new();
            let mut t = Table::new();
            t.insert("name", value(rule.name.as_str()));
            let mut matcher = InlineTable::new();
            matcher.insert("feed", rule.feed.as_str().into());
            let mut cond = InlineTable::new();
            match &rule.condition {
                NewCondition::Below(p) => {
                    cond.insert("below", crate::model::money(*p).into());
                    matcher.insert("price", cond.into());
                }
                NewCondition::Drop(pct) => {
                    let pct = pct.normalize();
                    let number = pct.to_string().parse::<i64>().map(toml_edit::Value::from);
                    cond.insert(
                        "at_least",
                        number.unwrap_or_else(|_| {
                            pct.to_string().parse::<f64>().unwrap_or(0.0).into()
                        }),
                    );
                    matcher.insert("price_drop_pct", cond.into());
                }
            }
            t.insert("match", value(matcher));
            if rule.notify {
                t.insert("notify", value(true));
            } else {
                t.insert("add", value(InlineTable::new()));
            }
            let mut rules = toml_edit::ArrayOfTables::new();
            rules.push(t);
            doc.insert("rule", Item::ArrayOfTables(rules));
            out.push('\n');
            out.push_str(&doc.to_string());
        }
        out
    }

    /// The file's text with `addition` appended, validated as rules; what
    /// would be written.
    pub fn with(&self, addition: &str) -> Result<(String, RuleSet), EditError> {
        let mut text = self.text.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(addition);
        let set = parse_str(&self.path, &text).map_err(EditError::Invalid)?;
        Ok((text, set))
    }

    /// Refuses a file the shopper cannot write: a rename would replace a
    /// read-only file all the same, so this asks first.
    pub fn check_writable(&self) -> Result<fs::Metadata, EditError> {
        let meta = fs::metadata(&self.path).map_err(|error| EditError::Read {
            path: self.path.clone(),
            error,
        })?;
        if meta.permissions().readonly()
            || fs::OpenOptions::new()
                .append(true)
                .open(&self.path)
                .is_err()
        {
            return Err(EditError::ReadOnly {
                path: self.path.clone(),
            });
        }
        Ok(meta)
    }

    /// Writes `text` over the file: refused for a read-only file; through a
    /// file beside it and a rename, so a crash leaves the old file or the new.
    pub fn write(&self, text: &str) -> Result<(), EditError> {
        let meta = self.check_writable()?;
        let write_error = |error| EditError::Write {
            path: self.path.clone(),
            error,
        };
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
        tmp.write_all(text.as_bytes()).map_err(write_error)?;
        tmp.as_file().sync_all().map_err(write_error)?;
        fs::set_permissions(tmp.path(), meta.permissions()).map_err(write_error)?;
        tmp.persist(&self.path).map_err(|e| write_error(e.error))?;
        Ok(())
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_addition_quotes_what_needs_quoting() {
        let feed = NewFeed {
            name: "tonys".into(),
            kind: "shopify".into(),
            url: "https://shop.example/a\"b".into(),
        };
        let rule = NewRule {
            name: "Boot under £15".into(),
            feed: "tonys".into(),
            condition: NewCondition::Below("15".parse().expect("decimal")),
            notify: false,
        };
        assert_eq!(
            RulesFile::addition(&feed, Some(&rule)),
            "\n[feeds.tonys]\nkind = \"shopify\"\nurl = 'https://shop.example/a\"b'\n\
             \n[[rule]]\nname = \"Boot under £15\"\nmatch = { feed = \"tonys\", price = { below = \"15.00\" } }\nadd = {}\n"
        );
    }
}
