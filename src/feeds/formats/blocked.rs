//! Is this product page a bot wall? Shops behind Cloudflare and the like answer
//! a script with `200 OK` and a challenge page, or with an empty shell where the
//! product was. Read as a page, that is a product gone: "out of stock", a price
//! change, a history point. So a fresh page that holds no product is judged
//! before it replaces the cached copy: a challenge page, or no product where the
//! copy had one, is a failed fetch ("looks blocked"), and the copy serves
//! (docs/feeds.md, "Blocked pages").

use std::io::Read;
use std::path::Path;

use super::page;
use crate::feeds::stream::MAX_PAGE_BYTES;
use crate::feeds::FeedSource;

/// What challenge and block pages say, lower-cased, with how a warning names it.
/// Looked for only on a page without a product: a real product page may well
/// load a captcha script for its login form.
const MARKERS: &[(&str, &str)] = &[
    ("just a moment...", "Just a moment..."),
    (
        "attention required! | cloudflare",
        "Attention Required! | Cloudflare",
    ),
    ("cf-chl-", "a Cloudflare challenge"),
    ("captcha", "captcha"),
    ("access denied", "Access denied"),
    ("are you a robot", "Are you a robot"),
    ("verify you are human", "verify you are human"),
];

/// How much of a page is searched for a marker: challenge pages are small, and
/// say it near the top.
const MARKER_WINDOW: u64 = 256 * 1024;

/// `Err(why)` when the fresh page at `new` looks like a block rather than the
/// product: it has no product and is a challenge page, or has none where the
/// cached copy at `old` has one. A page that cannot be read is left to the
/// parser to report.
pub fn judge(source: &FeedSource, new: &Path, old: Option<&Path>) -> Result<(), String> {
    let Some(bytes) = read(new, MAX_PAGE_BYTES) else {
        return Ok(());
    };
    if has_product(source, &bytes) {
        return Ok(());
    }
    if let Some(marker) = challenge(&bytes) {
        return Err(format!("a challenge page: \"{marker}\""));
    }
    if old
        .and_then(|old| read(old, MAX_PAGE_BYTES))
        .is_some_and(|copy| has_product(source, &copy))
    {
        return Err("no product on the page, where the cached copy had one".to_string());
    }
    Ok(())
}

fn has_product(source: &FeedSource, bytes: &[u8]) -> bool {
    page::parse(source, bytes).is_ok_and(|feed| !feed.products.is_empty())
}

/// The first marker of a challenge page found in `bytes`, as a warning names it.
fn challenge(bytes: &[u8]) -> Option<&'static str> {
    let end = bytes.len().min(MARKER_WINDOW as usize);
    let text = String::from_utf8_lossy(&bytes[..end]).to_lowercase();
    MARKERS
        .iter()
        .find(|(needle, _)| text.contains(needle))
        .map(|(_, shown)| *shown)
}

fn read(path: &Path, limit: u64) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(limit)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::FeedKind;

    fn source() -> FeedSource {
        FeedSource {
            name: "shop".into(),
            kind: FeedKind::Page,
            url: "https://shop.example/p/1".into(),
            currency: Some("GBP".into()),
            rate_limit: None,
            of: None,
        }
    }

    const PRODUCT: &str = r#"<html><script type="application/ld+json">
        {"@type": "Product", "name": "Tea", "offers": {"price": "2.50", "priceCurrency": "GBP"}}
        </script></html>"#;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        std::io::Write::write_all(&mut f, text.as_bytes()).expect("write");
        f
    }

    #[test]
    fn a_challenge_page_looks_blocked_and_a_product_page_with_a_captcha_does_not() {
        let wall = file("<html><title>Just a moment...</title></html>");
        assert_eq!(
            judge(&source(), wall.path(), None),
            Err("a challenge page: \"Just a moment...\"".to_string())
        );
        let real = file(&format!("{PRODUCT}<script src=recaptcha.js></script>"));
        assert_eq!(judge(&source(), real.path(), None), Ok(()));
    }

    #[test]
    fn an_empty_page_looks_blocked_only_where_the_copy_had_a_product() {
        let empty = file("<html><body>Welcome</body></html>");
        let copy = file(PRODUCT);
        assert!(judge(&source(), empty.path(), Some(copy.path())).is_err());
        assert_eq!(judge(&source(), empty.path(), None), Ok(()));
    }
}
