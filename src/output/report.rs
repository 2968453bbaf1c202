//! What `check` reports, as one value that both serialises (`--format json`,
//! the stable shape of docs/cli.md) and renders (table, cron summary), so the
//! two can never drift apart.

use std::io::Write;

use anyhow::Context as _;
use serde::Serialize;

use crate::cli::CheckFormat;
use crate::context::Context;
use crate::engine::Explanation;
use crate::error::CmdResult;
use crate::model::{money, Notification, Product, Proposal, ProposalStatus, Size, UnitPrice};
use crate::output::table::{table_width, Table};

#[derive(Debug, Clone, Serialize)]
pub struct ProductView {
    pub feed: String,
    pub id: String,
    pub gtin: Option<String>,
    pub name: String,
    pub brand: Option<String>,
    pub price: Option<String>,
    pub currency: Option<String>,
    pub url: Option<String>,
    pub regular_price: Option<String>,
    pub availability: Option<&'static str>,
    /// Only when known (docs/feeds.md, "Sizes"), so outputs of sizeless
    /// products keep their shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<UnitPrice>,
    /// Where a rule's `at_store` found it: `in stock at store 1234, 12.00 GBP there`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_store: Option<String>,
}

impl From<&Product> for ProductView {
    fn from(p: &Product) -> Self {
        ProductView {
            feed: p.feed.clone(),
            id: p.id.clone(),
            gtin: p.gtin.clone(),
            name: p.name.clone(),
            brand: p.brand.clone(),
            price: p.price.map(money),
            currency: p.currency.clone(),
            url: p.url.clone(),
            regular_price: p.regular_price.map(money),
            availability: p.availability.map(|a| a.as_str()),
            size: p.size,
            unit_price: p.unit_price,
            at_store: p.matched_store.as_ref().map(|o| o.reason()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ProposalView {
    pub id: String,
    pub rule: String,
    pub action: String,
    pub product: ProductView,
    pub quantity: u32,
    pub replaces: Option<ProductView>,
    pub reason: String,
    pub status: String,
    pub over_budget: bool,
}

impl From<&Proposal> for ProposalView {
    fn from(p: &Proposal) -> Self {
        ProposalView {
            id: p.id.clone(),
            rule: p.rule.clone(),
            action: p.action.as_str().to_string(),
            product: (&p.product).into(),
            quantity: p.quantity,
            replaces: p.replaces.as_ref().map(Into::into),
            reason: p.reason.clone(),
            status: p.status.as_str().to_string(),
            over_budget: p.over_budget,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NotificationView {
    pub rule: String,
    pub channels: Vec<String>,
    pub products: Vec<ProductView>,
    pub new: bool,
}

impl From<&Notification> for NotificationView {
    fn from(n: &Notification) -> Self {
        NotificationView {
            rule: n.rule.clone(),
            channels: n.channels.clone(),
            products: n.products.iter().map(Into::into).collect(),
            new: n.new,
        }
    }
}

/// The whole result of a check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub proposals: Vec<ProposalView>,
    pub notifications: Vec<NotificationView>,
    pub notices: Vec<String>,
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<Explanation>>,
}

impl CheckReport {
    pub fn new(
        proposals: &[Proposal],
        notifications: &[Notification],
        notices: Vec<String>,
        warnings: Vec<String>,
        explanations: Option<Vec<Explanation>>,
    ) -> Self {
        CheckReport {
            proposals: proposals.iter().map(Into::into).collect(),
            notifications: notifications.iter().map(Into::into).collect(),
            notices,
            warnings,
            rules: explanations,
        }
    }

    /// The cron summary: only what is new since the last run; empty when nothing is.
    pub fn summary(&self) -> String {
        let new: Vec<&ProposalView> = self
            .proposals
            .iter()
            .filter(|p| p.status == ProposalStatus::New.as_str())
            .collect();
        let news: Vec<&NotificationView> = self.notifications.iter().filter(|n| n.new).collect();
        if new.is_empty() && news.is_empty() {
            return String::new();
        }
        let mut out = Vec::new();
        let mut head = Vec::new();
        if !new.is_empty() {
            head.push(format!(
                "{} new proposal{}",
                new.len(),
                if new.len() == 1 { "" } else { "s" }
            ));
        }
        if !news.is_empty() {
            head.push(format!(
                "{} new notification{}",
                news.len(),
                if news.len() == 1 { "" } else { "s" }
            ));
        }
        out.push(format!("basket: {}", head.join(", ")));
        for p in &new {
            let what = match &p.replaces {
                Some(r) => format!("{} -> {}", r.name, p.product.name),
                None => p.product.name.clone(),
            };
            let budget = if p.over_budget { " [over budget]" } else { "" };
            out.push(format!(
                "  {:<6} {} ({}){budget}  [{}] {}",
                p.action,
                what,
                price_of(&p.product),
                p.rule,
                p.reason
            ));
        }
        for n in &news {
            out.push(format!("  notify {}:", n.rule));
            for p in &n.products {
                let was = p
                    .regular_price
                    .as_ref()
                    .map(|r| format!(", was {r}"))
                    .unwrap_or_default();
                out.push(format!("    - {} ({}{was})", p.name, price_of(p)));
            }
        }
        if !new.is_empty() {
            out.push("Review with: basket review".to_string());
        }
        out.join("\n")
    }
}

pub fn price_of(p: &ProductView) -> String {
    match (&p.price, &p.currency) {
        (Some(a), Some(c)) => format!("{a} {c}"),
        (Some(a), None) => a.clone(),
        _ => "no price".into(),
    }
}

/// Prints a check report in the chosen format; warnings go to stderr.
pub fn print(ctx: &Context, report: &CheckReport, format: CheckFormat) -> CmdResult {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut out, report).context("cannot write the report")?;
            writeln!(out).context("cannot write the report")?;
        }
        CheckFormat::Summary => {
            let text = report.summary();
            if !text.is_empty() {
                writeln!(out, "{text}").context("cannot write the summary")?;
            }
            for w in &report.warnings {
                ctx.warn(w);
            }
        }
        CheckFormat::Table => {
            if report.proposals.is_empty() {
                writeln!(out, "No proposals.").context("cannot write the report")?;
            } else {
                writeln!(out, "{}", proposals_table(&report.proposals))
                    .context("cannot write the report")?;
            }
            for n in &report.notifications {
                let channels = if n.channels.is_empty() {
                    "no channel configured".to_string()
                } else {
                    n.channels.join(", ")
                };
                writeln!(
                    out,
                    "notify {} ({channels}){}:",
                    n.rule,
                    if n.new { "" } else { " (already notified)" }
                )
                .context("cannot write the report")?;
                for p in &n.products {
                    let was = p
                        .regular_price
                        .as_ref()
                        .map(|r| format!(", was {r}"))
                        .unwrap_or_default();
                    let store = p
                        .at_store
                        .as_ref()
                        .map(|s| format!(", {s}"))
                        .unwrap_or_default();
                    writeln!(out, "  - {} ({}{was}{store})", p.name, price_of(p))
                        .context("cannot write the report")?;
                }
            }
            for n in &report.notices {
                writeln!(out, "note: {n}").context("cannot write the report")?;
            }
            if let Some(rules) = &report.rules {
                writeln!(out, "\nRules:").context("cannot write the report")?;
                for e in rules {
                    writeln!(out, "  {e}").context("cannot write the report")?;
                }
            }
            out.flush().context("cannot write the report")?;
            drop(out);
            for w in &report.warnings {
                ctx.warn(w);
            }
        }
    }
    Ok(())
}

/// The proposals as the table `check` and `review` show.
pub fn proposals_table(proposals: &[ProposalView]) -> Table {
    let mut t = Table::new(table_width());
    t.set_header(vec![
        "#", "action", "product", "price", "qty", "rule", "reason", "status",
    ]);
    for (i, p) in proposals.iter().enumerate() {
        let product = match &p.replaces {
            Some(r) => format!("{} → {}", r.name, p.product.name),
            None => p.product.name.clone(),
        };
        let mut price = match (&p.product.price, &p.product.currency) {
            (Some(a), Some(c)) => format!("{a} {c}"),
            (Some(a), None) => a.clone(),
            _ => "-".into(),
        };
        if let Some(u) = &p.product.unit_price {
            let currency = p.product.currency.as_deref().map(|c| format!(" {c}"));
            let amount = money(u.amount.round_dp(2));
            let currency = currency.unwrap_or_default();
            price.push_str(&format!(" ({amount}{currency}/{})", u.per.as_str()));
        }
        let mut status = p.status.clone();
        if p.over_budget {
            status.push_str(", over budget");
        }
        t.add_row([
            &(i + 1).to_string(),
            &p.action,
            &product,
            &price,
            &p.quantity.to_string(),
            &p.rule,
            &p.reason,
            &status,
        ]);
    }
    t
}
