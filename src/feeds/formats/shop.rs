//! What the two shop APIs (`shopify`, `woocommerce`) share: reading one page's
//! bytes as a JSON document within a cap, numbers and GTINs as the APIs write
//! them, and the HTML entities WooCommerce leaves in its names.

use std::io::Read;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::feeds::{FeedError, FeedKind, FeedReport, FeedSource};
use crate::model::Product;

/// The largest page read: a page of 250 products is a few megabytes; a page
/// far larger is not a product list (and is refused, not read into memory).
pub const MAX_SHOP_PAGE_BYTES: u64 = 32 * 1024 * 1024;

/// What a page held, for the page loop: an empty page ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRead {
    /// Products (not variants) on the page, good or bad.
    pub items: usize,
}

/// Parses one page of a shop kind from `reader` into `sink`, counting its
/// records into `report`.
pub fn parse_shop_page(
    source: &FeedSource,
    reader: impl Read,
    report: &mut FeedReport,
    sink: &mut dyn FnMut(Product),
) -> Result<PageRead, FeedError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_SHOP_PAGE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FeedError::Read {
            path: source.url.clone(),
            reason: e.to_string(),
        })?;
    if bytes.len() as u64 > MAX_SHOP_PAGE_BYTES {
        return Err(FeedError::TooLarge {
            limit: MAX_SHOP_PAGE_BYTES,
        });
    }
    let document = super::json::parse_document(&bytes).map_err(|e| match e {
        FeedError::Html { .. } => closed_shop(source.kind),
        other => other,
    })?;
    drop(bytes);
    match source.kind {
        FeedKind::WooCommerce(_) => super::woocommerce::parse_page(source, document, report, sink),
        _ => super::shopify::parse_page(source, document, report, sink),
    }
}

/// An HTML answer where the API's JSON should be: what a password page, a
/// "store closed" page or a shop without the API looks like.
pub fn closed_shop(kind: FeedKind) -> FeedError {
    FeedError::Shape(format!(
        "the shop answered with an HTML page, not its {kind} product list: \
         it is password-protected or closed, or not a {kind} shop"
    ))
}

/// A number as the APIs write it: `"91.00"`, `91`, `"1995"`.
pub(crate) fn decimal_of(value: &Value) -> Option<Decimal> {
    match value {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// A value in a skip reason: `null`, `"abc"`, `a list`.
pub(crate) fn described(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// A GTIN-8, -12, -13 or -14 whose check digit is right: shops put SKUs and
/// internal codes in barcode fields, which must not pass for a GTIN.
pub(crate) fn valid_gtin(raw: &str) -> bool {
    let raw = raw.trim();
    if !matches!(raw.len(), 8 | 12 | 13 | 14) || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = raw.bytes().map(|b| u32::from(b - b'0')).collect();
    let (body, check) = digits.split_at(digits.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    (10 - sum % 10) % 10 == check[0]
}

/// Text with its HTML entities decoded (`Marilyn&#8217;s` -> `Marilyn’s`) and
/// any tags dropped; spacing is kept as the shop wrote it.
pub(crate) fn plain_text(html: &str) -> String {
    if !html.contains(['&', '<']) {
        return html.to_string();
    }
    scraper::Html::parse_fragment(html)
        .root_element()
        .text()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtins_need_their_check_digit() {
        assert!(valid_gtin("4006381333931"));
        assert!(valid_gtin("96385074"));
        assert!(!valid_gtin("4006381333932"));
        assert!(!valid_gtin("A11718M080"));
        assert!(!valid_gtin("12345"));
    }

    #[test]
    fn entities_are_decoded_and_spacing_kept() {
        assert_eq!(
            plain_text("Marilyn&#8217;s Medium Size Pearl  Necklace"),
            "Marilyn\u{2019}s Medium Size Pearl  Necklace"
        );
        assert_eq!(plain_text("Tea & <b>jam</b>"), "Tea & jam");
    }
}
