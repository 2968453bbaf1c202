//! `[feeds.NAME]`: where products come from.

use super::{closest, Parser, Value};
use crate::feeds::{FeedKind, FeedSource};
use crate::rules::Settings;

const FEED_KEYS: &[&str] = &["kind", "url", "currency", "max_pages", "rate_limit", "of"];

impl Parser<'_> {
    pub(super) fn feeds(&mut self, v: &Value, settings: Option<&Settings>) -> Vec<FeedSource> {
        let Some(t) = self.table(v, "[feeds]") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // Each `of`, with where it was written, checked once every feed is known.
        let mut ofs = Vec::new();
        for (name, fv) in t.iter() {
            let name: &str = name.get_ref();
            let what = format!("[feeds.{name}]");
            let Some(ft) = self.table(fv, &what) else {
                continue;
            };
            self.check_keys(ft, FEED_KEYS, &what);
            let kind = match ft.get("kind") {
                Some(k) => self
                    .string(k, "kind")
                    .and_then(|s| match FeedKind::parse(&s) {
                        Some(kind) => Some(kind),
                        None => {
                            let hint = match closest(&s, &FeedKind::ALL) {
                                Some(b) => format!("did you mean '{b}'?"),
                                None => format!("kinds are: {}", FeedKind::ALL.join(", ")),
                            };
                            self.error_hint(k.span(), format!("unknown feed kind '{s}'"), hint);
                            None
                        }
                    }),
                None => {
                    self.error_hint(
                        fv.span(),
                        format!("{what} has no kind"),
                        format!("add kind = one of {}", FeedKind::ALL.join(", ")),
                    );
                    None
                }
            };
            let url = match ft.get("url") {
                Some(u) => self.nonempty_string(u, "url"),
                // Open Food Facts has one public API; its base URL is only
                // overridden for mirrors and tests.
                None if kind == Some(FeedKind::OpenFoodFacts) => {
                    Some(crate::feeds::openfoodfacts::DEFAULT_URL.to_string())
                }
                None if kind == Some(FeedKind::OpenPrices) => {
                    Some(crate::feeds::open_prices::DEFAULT_URL.to_string())
                }
                None => {
                    self.error_hint(
                        fv.span(),
                        format!("{what} has no url"),
                        "add url = \"https://...\", \"file:///...\" or a plain path",
                    );
                    None
                }
            };
            let currency = match ft.get("currency") {
                Some(c) => self.currency(c),
                None => settings.map(|s| s.currency.clone()),
            };
            let kind = match (kind, ft.get("max_pages")) {
                (Some(k), Some(v)) if k.pages().is_some() => self
                    .positive_int(v, "max_pages")
                    .map(|n| k.with_max_pages(n)),
                (Some(k), Some(v)) => {
                    self.error_hint(
                        v.span(),
                        format!("max_pages is only for shopify and woocommerce feeds, not {k}"),
                        "remove max_pages: this kind is read in one request",
                    );
                    None
                }
                (k, None) => k,
                (None, Some(_)) => None,
            };
            let rate_limit = match ft.get("rate_limit") {
                Some(r) => match kind {
                    Some(FeedKind::OpenFoodFacts | FeedKind::OpenPrices) | None => {
                        self.positive_int(r, "rate_limit")
                    }
                    Some(other) => {
                        self.error_hint(
                            r.span(),
                            format!("rate_limit is for openfoodfacts and open-prices feeds, not {other}"),
                            "remove it: a catalog feed is fetched once a run",
                        );
                        None
                    }
                },
                // Open Food Facts asks for at most 15 product reads a minute.
                None if kind == Some(FeedKind::OpenFoodFacts) => {
                    Some(crate::feeds::openfoodfacts::RATE_LIMIT)
                }
                None => None,
            };
            let of = match (kind, ft.get("of")) {
                (Some(FeedKind::MerchantLocal), Some(o)) => {
                    let of = self.nonempty_string(o, "of");
                    if let Some(of) = &of {
                        ofs.push((of.clone(), o.span()));
                    }
                    of
                }
                (Some(FeedKind::MerchantLocal), None) => {
                    self.error_hint(
                        fv.span(),
                        format!("{what} is a merchant-local feed with no of"),
                        "add of = \"NAME\": the catalog feed whose ids its rows name",
                    );
                    None
                }
                (Some(k), Some(o)) => {
                    self.error_hint(
                        o.span(),
                        format!("of is only for merchant-local feeds, not {k}"),
                        "remove of",
                    );
                    None
                }
                (_, _) => None,
            };
            if kind == Some(FeedKind::MerchantLocal) && of.is_none() {
                continue;
            }
            if let (Some(kind), Some(url)) = (kind, url) {
                out.push(FeedSource {
                    name: name.to_string(),
                    kind,
                    url,
                    currency,
                    rate_limit,
                    of,
                });
            }
        }
        self.check_ofs(&out, ofs);
        out
    }
}

impl Parser<'_> {
    /// Every `of` names a catalog feed of the file.
    fn check_ofs(&mut self, feeds: &[FeedSource], ofs: Vec<(String, std::ops::Range<usize>)>) {
        let catalogs: Vec<&str> = feeds
            .iter()
            .filter(|f| {
                !matches!(
                    f.kind,
                    FeedKind::OpenFoodFacts | FeedKind::OpenPrices | FeedKind::MerchantLocal
                )
            })
            .map(|f| f.name.as_str())
            .collect();
        for (of, span) in ofs {
            if catalogs.contains(&of.as_str()) {
                continue;
            }
            let hint = match closest(&of, &catalogs) {
                Some(b) => format!("did you mean '{b}'?"),
                None if catalogs.is_empty() => "add the catalog feed it refers to".to_string(),
                None => format!("catalog feeds are: {}", catalogs.join(", ")),
            };
            self.error_hint(span, format!("of = \"{of}\" names no catalog feed"), hint);
        }
    }
}
