//! A digest written in one service's markup (Telegram's HTML, Slack's mrkdwn,
//! Discord's markdown, plain text) and cut to its length limit between two
//! products, never inside one: what does not fit is counted as "and N more".

use super::{escape, Entry, Message};

/// How one service writes text: its escaping and its emphasis.
pub(super) trait Markup {
    /// Escapes text so that the service shows it as written.
    fn text(&self, s: &str) -> String;
    /// The message's title, emphasised.
    fn bold(&self, s: &str) -> String;
    /// One product line, linked when it has a URL.
    fn entry(&self, e: &Entry) -> String;
}

/// Plain text: Gotify, Pushover, Matrix's `body`.
pub(super) struct Plain;

impl Markup for Plain {
    fn text(&self, s: &str) -> String {
        s.to_string()
    }
    fn bold(&self, s: &str) -> String {
        s.to_string()
    }
    fn entry(&self, e: &Entry) -> String {
        let link = e.url.as_ref().map(|u| format!(" {u}")).unwrap_or_default();
        format!("- {} ({}){link}", e.name, e.detail)
    }
}

/// HTML as Telegram's `parse_mode = "HTML"` and Matrix's `formatted_body` take
/// it: `<b>` and `<a href>`, everything else escaped.
pub(super) struct Html;

impl Markup for Html {
    fn text(&self, s: &str) -> String {
        escape(s)
    }
    fn bold(&self, s: &str) -> String {
        format!("<b>{}</b>", escape(s))
    }
    fn entry(&self, e: &Entry) -> String {
        let name = match &e.url {
            Some(u) => format!("<a href=\"{}\">{}</a>", escape(u), escape(&e.name)),
            None => escape(&e.name),
        };
        format!("• {name} ({})", escape(&e.detail))
    }
}

/// The text of `msg` in `markup`, at most `limit` characters: the title, each
/// section's products while they fit, "… and N more" for the rest, and the
/// footer. A message without sections (a test message) is its text.
pub(super) fn compose(msg: &Message, markup: &dyn Markup, limit: usize) -> String {
    let head = markup.bold(&msg.subject);
    if msg.sections.is_empty() {
        return truncate(&format!("{head}\n\n{}", markup.text(&msg.text)), limit);
    }
    let footer = msg
        .footer
        .as_ref()
        .map(|f| format!("\n\n{}", markup.text(f)))
        .unwrap_or_default();
    let total: usize = msg.sections.iter().map(|s| s.entries.len()).sum();
    let more = |n: usize| format!("\n{}", markup.text(&format!("… and {n} more")));
    // Everything, if it fits; else room is kept for the longest "and N more".
    let reserve = chars(&more(total)) + chars(&footer);
    let (full, _) = layout(msg, markup, &head, usize::MAX);
    if chars(&full) + chars(&footer) <= limit {
        return format!("{full}{footer}");
    }
    let (mut out, shown) = layout(msg, markup, &head, limit.saturating_sub(reserve));
    if shown < total {
        out.push_str(&more(total - shown));
    }
    out.push_str(&footer);
    truncate(&out, limit)
}

/// The title and the products in order while the text stays within `room`
/// characters; how many products made it.
fn layout(msg: &Message, markup: &dyn Markup, head: &str, room: usize) -> (String, usize) {
    let mut out = head.to_string();
    let mut used = chars(&out);
    let mut shown = 0;
    'sections: for s in &msg.sections {
        let title = format!("\n\n{}", markup.bold(&s.title));
        for (i, e) in s.entries.iter().enumerate() {
            let line = format!("\n{}", markup.entry(e));
            // A section's title goes with its first product, never alone.
            let add = if i == 0 {
                format!("{title}{line}")
            } else {
                line
            };
            let n = chars(&add);
            if used + n > room {
                break 'sections;
            }
            out.push_str(&add);
            used += n;
            shown += 1;
        }
    }
    (out, shown)
}

pub(super) fn chars(s: &str) -> usize {
    s.chars().count()
}

/// At most `limit` characters, cut between characters (never inside an emoji's
/// bytes), with "…" when cut. For text with no product boundary to cut at.
pub(super) fn truncate(s: &str, limit: usize) -> String {
    if chars(s) <= limit {
        return s.to_string();
    }
    let mut out: String = s.chars().take(limit.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Entry, Section};
    use super::*;

    fn msg(n: usize) -> Message {
        Message {
            subject: "basket: Deals".into(),
            text: String::new(),
            html: String::new(),
            json: serde_json::Value::Null,
            sections: vec![Section {
                title: "Deals".into(),
                entries: (0..n)
                    .map(|i| Entry {
                        name: format!("Product {i}"),
                        detail: "1.00 GBP".into(),
                        url: None,
                    })
                    .collect(),
            }],
            footer: None,
        }
    }

    #[test]
    fn a_short_digest_is_whole() {
        let out = compose(&msg(2), &Plain, 1000);
        assert_eq!(
            out,
            "basket: Deals\n\nDeals\n- Product 0 (1.00 GBP)\n- Product 1 (1.00 GBP)"
        );
    }

    #[test]
    fn a_long_digest_is_cut_between_products_with_and_n_more() {
        let out = compose(&msg(100), &Plain, 200);
        assert!(chars(&out) <= 200, "{out}");
        assert!(out.ends_with(" more"), "{out}");
        let shown = out.matches("- Product").count();
        assert!(
            out.ends_with(&format!("… and {} more", 100 - shown)),
            "{out}"
        );
        // Every line shown is whole.
        assert!(out
            .lines()
            .filter(|l| l.starts_with("- "))
            .all(|l| l.ends_with("GBP)")));
    }

    #[test]
    fn truncation_never_splits_a_character() {
        assert_eq!(truncate("😀😀😀", 2), "😀…");
    }
}
