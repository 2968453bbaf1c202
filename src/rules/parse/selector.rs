//! A selector table (`match`, an action's `product`, `when.basket.has`):
//! which products a rule is about.

use toml::de::DeValue;
use toml::Spanned;

use super::{closest, Parser, RuleCtx, Value};
use crate::model::{normalize_gtin, UnitPer};
use crate::rules::{PriceDrop, Scope, Selector, UnitPriceBound};
use crate::text;

pub(in crate::rules) const SELECTOR_KEYS: &[&str] = &[
    "in",
    "feed",
    "id",
    "gtin",
    "name",
    "brand",
    "category",
    "price",
    "discount_pct",
    "on_sale",
    "available",
    "contains",
    "allergens",
    "labels",
    "lowest_in_days",
    "price_drop_pct",
    "new",
    "back_in_stock",
    "unit_price",
    "at_store",
    "pickup",
];

impl Parser<'_> {
    /// `None` inside means the selector was invalid (already reported).
    pub(super) fn selector(&mut self, v: &Value, ctx: &RuleCtx, what: &str) -> Option<Selector> {
        let t = self.table(v, what)?;
        self.check_keys(t, SELECTOR_KEYS, what);
        let mut s = Selector::default();
        let mut ok = true;
        for (key, x) in t.iter() {
            // Every key is read, even after a bad one, so all problems are shown.
            ok &= self.selector_key(&mut s, key.get_ref(), x, ctx);
        }
        if s.pickup == Some(true) && s.at_store.is_empty() {
            match self.my_stores(v, ctx, "pickup = true") {
                Some(codes) => s.at_store = codes,
                None => ok = false,
            }
        }
        if (s.price.is_some() || s.unit_price.is_some()) && ctx.settings.is_none() {
            ok = false;
        }
        ok.then_some(s)
    }

    /// Reads one key of a selector into `s`; false if it was wrong (reported).
    /// Unknown keys were reported by `check_keys` and are skipped.
    fn selector_key(&mut self, s: &mut Selector, k: &str, x: &Value, ctx: &RuleCtx) -> bool {
        let tags = |l: Vec<String>| l.iter().map(|t| text::fold_tag(t)).collect();
        match k {
            "in" => self.scope(x).map(|scope| {
                s.scope = scope;
                s.scope_written = true;
            }),
            "feed" => self.feed_name(x, ctx).map(|f| s.feed = Some(f)),
            "id" => self.nonempty_string(x, "id").map(|i| s.id = Some(i)),
            "gtin" => self.gtin(x).map(|g| s.gtin = Some(g)),
            "name" => self.nonempty_string(x, "name").map(|n| {
                s.name_words = text::words(&n);
                s.name = Some(n);
            }),
            "brand" => self
                .nonempty_string(x, "brand")
                .map(|b| s.brand = Some(text::fold(b.trim()))),
            "category" => self
                .nonempty_string(x, "category")
                .map(|c| s.category = Some(text::fold_tag(&c))),
            "price" => self
                .comparison(x, "price", |p, v, w| p.decimal(v, w))
                .map(|c| s.price = Some(c)),
            "discount_pct" => self
                .comparison(x, "discount_pct", |p, v, w| p.decimal(v, w))
                .map(|c| s.discount_pct = Some(c)),
            "on_sale" => self.boolean(x, "on_sale").map(|b| s.on_sale = Some(b)),
            "available" => self.boolean(x, "available").map(|b| s.available = Some(b)),
            "new" => self.boolean(x, "new").map(|b| s.new = Some(b)),
            "back_in_stock" => self
                .boolean(x, "back_in_stock")
                .map(|b| s.back_in_stock = Some(b)),
            "lowest_in_days" => self
                .days(x, "lowest_in_days")
                .map(|n| s.lowest_in_days = Some(n)),
            "price_drop_pct" => self.price_drop(x).map(|d| s.price_drop_pct = Some(d)),
            "unit_price" => self.unit_price(x).map(|u| s.unit_price = Some(u)),
            "at_store" => self.at_store(x, ctx).map(|c| s.at_store = c),
            "pickup" => self.pickup(x).map(|b| s.pickup = Some(b)),
            "contains" => self
                .string_list(x, "contains")
                .map(|l| s.contains = tags(l)),
            "allergens" => self
                .string_list(x, "allergens")
                .map(|l| s.allergens = tags(l)),
            "labels" => self.string_list(x, "labels").map(|l| s.labels = tags(l)),
            _ => Some(()),
        }
        .is_some()
    }

    /// `in = "catalog"` or `"basket"`.
    fn scope(&mut self, x: &Value) -> Option<Scope> {
        match self.string(x, "in").as_deref() {
            Some("catalog") => Some(Scope::Catalog),
            Some("basket") => Some(Scope::Basket),
            Some(other) => {
                self.error_hint(
                    x.span(),
                    format!("unknown scope '{other}'"),
                    "in is \"catalog\" (the default) or \"basket\"",
                );
                None
            }
            None => None,
        }
    }

    /// `feed = "NAME"`: one of the feeds defined in `[feeds]`.
    fn feed_name(&mut self, x: &Value, ctx: &RuleCtx) -> Option<String> {
        let f = self.string(x, "feed")?;
        if ctx.feeds.iter().any(|fs| fs.name == f) {
            return Some(f);
        }
        let names: Vec<&str> = ctx.feeds.iter().map(|fs| fs.name.as_str()).collect();
        let hint = match closest(&f, &names) {
            Some(b) => format!("did you mean '{b}'?"),
            None if names.is_empty() => "define it first: [feeds.NAME] with kind and url".into(),
            None => format!("defined feeds: {}", names.join(", ")),
        };
        self.error_hint(x.span(), format!("unknown feed '{f}'"), hint);
        None
    }

    /// A barcode, as a string or a bare number, normalised to 14 digits.
    fn gtin(&mut self, x: &Value) -> Option<String> {
        let raw = match x.get_ref() {
            DeValue::Integer(i) => i.as_str().to_string(),
            _ => self.string(x, "gtin")?,
        };
        let gtin = normalize_gtin(&raw);
        if gtin.is_none() {
            self.error_hint(
                x.span(),
                format!("gtin \"{raw}\" is not a barcode"),
                "a GTIN is 8, 12, 13 or 14 digits, written as a string",
            );
        }
        gtin
    }

    /// A number of days of history, 1 to 3660.
    fn days(&mut self, v: &Value, what: &str) -> Option<u32> {
        let n = self.positive_int(v, what)?;
        if n > 3660 {
            self.error_hint(
                v.span(),
                format!("{what} = {n} is more history than basket keeps"),
                "use at most 3660 days",
            );
            return None;
        }
        Some(n)
    }

    /// `price_drop_pct = { at_least = 20 }` against the last 30 days, or with
    /// `days = 14` for another window.
    fn price_drop(&mut self, v: &Value) -> Option<PriceDrop> {
        let t = self.table(v, "price_drop_pct")?;
        let days = match t.get("days") {
            Some(d) => self.days(d, "price_drop_pct.days")?,
            None => 30,
        };
        // The comparison is the table without `days`.
        let mut cmp_table = t.clone();
        cmp_table.remove("days");
        let cmp_value = Spanned::new(v.span(), DeValue::Table(cmp_table));
        let cmp = self.comparison(&cmp_value, "price_drop_pct", |p, v, w| p.decimal(v, w))?;
        Some(PriceDrop { cmp, days })
    }
}

impl Parser<'_> {
    /// `at_store = "1234"` (or a list of codes), or `at_store = true`: any
    /// of `[settings] stores`.
    fn at_store(&mut self, v: &Value, ctx: &RuleCtx) -> Option<Vec<String>> {
        match v.get_ref() {
            DeValue::Boolean(true) => self.my_stores(v, ctx, "at_store = true"),
            DeValue::Boolean(false) => {
                self.error_hint(
                    v.span(),
                    "at_store = false asks for nothing",
                    "remove it, or write at_store = true or at_store = \"STORE CODE\"",
                );
                None
            }
            _ => {
                let codes = self.string_list(v, "at_store")?;
                Some(codes.iter().map(|c| c.trim().to_string()).collect())
            }
        }
    }

    /// `[settings] stores`, for `at_store = true` and `pickup = true`.
    fn my_stores(&mut self, v: &Value, ctx: &RuleCtx, what: &str) -> Option<Vec<String>> {
        match ctx.settings.map(|s| s.stores.clone()) {
            Some(codes) if !codes.is_empty() => Some(codes),
            _ => {
                self.error_hint(
                    v.span(),
                    format!("{what} needs the stores where you shop"),
                    "add stores = [\"STORE CODE\"] to [settings], or write at_store = \"STORE CODE\"",
                );
                None
            }
        }
    }

    /// `pickup = true`; `false` would ask for nothing.
    fn pickup(&mut self, v: &Value) -> Option<bool> {
        let b = self.boolean(v, "pickup")?;
        if !b {
            self.error_hint(
                v.span(),
                "pickup = false asks for nothing",
                "remove it, or write pickup = true for click-and-collect",
            );
            return None;
        }
        Some(b)
    }

    /// `unit_price = { below = "18.00", per = "kg" }`: `per` is one of
    /// kg, 100g, l, 100ml or item, and must be written (a price per what?).
    fn unit_price(&mut self, v: &Value) -> Option<UnitPriceBound> {
        let t = self.table(v, "unit_price")?;
        let names: Vec<&str> = UnitPer::ALL.iter().map(|p| p.as_str()).collect();
        let per = match t.get("per") {
            Some(p) => {
                let written = self.string(p, "unit_price.per")?;
                let Some(per) = UnitPer::parse(written.trim()) else {
                    let hint = match closest(&written, &names) {
                        Some(b) => format!("did you mean '{b}'?"),
                        None => format!("per is one of {}", names.join(", ")),
                    };
                    self.error_hint(p.span(), format!("unknown unit '{written}'"), hint);
                    return None;
                };
                per
            }
            None => {
                self.error_hint(
                    v.span(),
                    "unit_price needs per: what the price is per",
                    format!("add per = \"kg\" (or one of {})", names.join(", ")),
                );
                return None;
            }
        };
        let mut cmp_table = t.clone();
        cmp_table.remove("per");
        let cmp_value = Spanned::new(v.span(), DeValue::Table(cmp_table));
        let cmp = self.comparison(&cmp_value, "unit_price", |p, v, w| p.decimal(v, w))?;
        Some(UnitPriceBound { cmp, per })
    }
}

/// Selectors under `when.basket` always look in the basket.
pub(super) fn in_basket(mut s: Selector) -> Selector {
    s.scope = Scope::Basket;
    s
}

/// Removals and swaps are about basket items unless `in = "catalog"` is written.
pub(super) fn in_basket_unless_written(mut s: Selector) -> Selector {
    if !s.scope_written {
        s.scope = Scope::Basket;
    }
    s
}
