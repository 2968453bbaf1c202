//! The digest of one run for one channel: what the `notify` rules found and the
//! proposals that became pending, composed once as a [`Message`] (subject, text,
//! HTML and the webhook's JSON) before it is queued.

use chrono::{DateTime, Utc};

use super::{escape, Entry, Message, Section};
use crate::model::{Notification, Proposal};
use crate::output::report::{price_of, NotificationView, ProposalView};

/// What is new this run, for one channel.
pub struct Digest<'a> {
    pub notifications: Vec<&'a Notification>,
    pub proposals: Vec<&'a Proposal>,
    pub now: DateTime<Utc>,
}

impl<'a> Digest<'a> {
    /// The digest for `channel`: the notifications of rules that send there, and
    /// the new proposals (which go to every channel).
    pub fn for_channel(
        channel: &str,
        notifications: &'a [Notification],
        proposals: &'a [Proposal],
        now: DateTime<Utc>,
    ) -> Digest<'a> {
        Digest {
            notifications: notifications
                .iter()
                .filter(|n| n.new && n.channels.iter().any(|c| c == channel))
                .collect(),
            proposals: proposals
                .iter()
                .filter(|p| p.status == crate::model::ProposalStatus::New)
                .collect(),
            now,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.notifications.is_empty() && self.proposals.is_empty()
    }

    pub fn message(&self) -> Message {
        let notifications: Vec<NotificationView> =
            self.notifications.iter().map(|n| (*n).into()).collect();
        let proposals: Vec<ProposalView> = self.proposals.iter().map(|p| (*p).into()).collect();
        Message {
            subject: subject(&notifications, &proposals),
            text: text_body(&notifications, &proposals),
            html: html_body(&notifications, &proposals),
            json: serde_json::json!({
                "source": "basket",
                "sent_at": self.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "notifications": notifications,
                "proposals": proposals,
            }),
            sections: sections(&notifications, &proposals),
            footer: (!proposals.is_empty()).then(|| "Decide with: basket review".to_string()),
        }
    }
}

fn subject(notifications: &[NotificationView], proposals: &[ProposalView]) -> String {
    let mut parts = Vec::new();
    if !proposals.is_empty() {
        parts.push(format!(
            "{} new proposal{}",
            proposals.len(),
            if proposals.len() == 1 { "" } else { "s" }
        ));
    }
    for n in notifications {
        parts.push(n.rule.clone());
    }
    format!("basket: {}", parts.join(", "))
}

/// The digest's products as sections, for the channels that lay them out
/// themselves and cut them at a product boundary.
fn sections(notifications: &[NotificationView], proposals: &[ProposalView]) -> Vec<Section> {
    let mut out: Vec<Section> = notifications
        .iter()
        .map(|n| Section {
            title: n.rule.clone(),
            entries: n
                .products
                .iter()
                .map(|p| {
                    let was = p
                        .regular_price
                        .as_ref()
                        .map(|r| format!(", was {r}"))
                        .unwrap_or_default();
                    Entry {
                        name: p.name.clone(),
                        detail: format!("{}{was}{}", price_of(p), at_store(p)),
                        url: p.url.clone(),
                    }
                })
                .collect(),
        })
        .collect();
    if !proposals.is_empty() {
        out.push(Section {
            title: "New proposals, waiting for your decision".into(),
            entries: proposals
                .iter()
                .map(|p| Entry {
                    name: match &p.replaces {
                        Some(r) => format!("swap {} for {}", r.name, p.product.name),
                        None => format!("{} {}", p.action, p.product.name),
                    },
                    detail: format!("{}: {} [{}]", price_of(&p.product), p.reason, p.rule),
                    url: p.product.url.clone(),
                })
                .collect(),
        });
    }
    out
}

/// `, in stock at store 1234, 72.50 GBP there` for a product an `at_store`
/// rule found, else nothing.
fn at_store(p: &crate::output::report::ProductView) -> String {
    p.at_store
        .as_ref()
        .map(|s| format!(", {s}"))
        .unwrap_or_default()
}

fn text_body(notifications: &[NotificationView], proposals: &[ProposalView]) -> String {
    let mut out = Vec::new();
    for n in notifications {
        out.push(format!("{}:", n.rule));
        for p in &n.products {
            let was = p
                .regular_price
                .as_ref()
                .map(|r| format!(", was {r}"))
                .unwrap_or_default();
            let link = p.url.as_ref().map(|u| format!(" {u}")).unwrap_or_default();
            out.push(format!(
                "  - {} ({}{was}{}){link}",
                p.name,
                price_of(p),
                at_store(p)
            ));
        }
        out.push(String::new());
    }
    if !proposals.is_empty() {
        out.push("New proposals, waiting for your decision:".into());
        for p in proposals {
            let what = match &p.replaces {
                Some(r) => format!("swap {} for {}", r.name, p.product.name),
                None => format!("{} {}", p.action, p.product.name),
            };
            out.push(format!(
                "  - {what} ({}): {} [{}]",
                price_of(&p.product),
                p.reason,
                p.rule
            ));
        }
        out.push(String::new());
        out.push("Decide with: basket review".into());
    }
    out.join("\n")
}

fn html_body(notifications: &[NotificationView], proposals: &[ProposalView]) -> String {
    let mut out = String::from("<html><body>");
    for n in notifications {
        out.push_str(&format!("<h3>{}</h3><table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr><th>product</th><th>price</th><th>was</th></tr>", escape(&n.rule)));
        for p in &n.products {
            let name = match &p.url {
                Some(u) => format!("<a href=\"{}\">{}</a>", escape(u), escape(&p.name)),
                None => escape(&p.name),
            };
            out.push_str(&format!(
                "<tr><td>{name}</td><td>{}</td><td>{}</td></tr>",
                escape(&format!("{}{}", price_of(p), at_store(p))),
                escape(p.regular_price.as_deref().unwrap_or(""))
            ));
        }
        out.push_str("</table>");
    }
    if !proposals.is_empty() {
        out.push_str("<h3>New proposals</h3><table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr><th>action</th><th>product</th><th>price</th><th>rule</th><th>reason</th></tr>");
        for p in proposals {
            let product = match &p.replaces {
                Some(r) => format!("{} → {}", escape(&r.name), escape(&p.product.name)),
                None => escape(&p.product.name),
            };
            out.push_str(&format!(
                "<tr><td>{}</td><td>{product}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&p.action),
                escape(&price_of(&p.product)),
                escape(&p.rule),
                escape(&p.reason)
            ));
        }
        out.push_str("</table><p>Decide with <code>basket review</code>.</p>");
    }
    out.push_str("</body></html>");
    out
}
