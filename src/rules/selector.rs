//! Which products a rule is about: the `match` table, an action's `product`, and
//! the selectors under `when.basket` (docs/rules.md).

use rust_decimal::Decimal;

use super::Comparison;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    Catalog,
    Basket,
}

/// Which products a rule is about. Text fields are stored folded (lowercase, no
/// accents) so matching never allocates per product.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selector {
    pub scope: Scope,
    /// `in` was written (a swap's or removal's match otherwise means the basket).
    pub scope_written: bool,
    pub feed: Option<String>,
    pub id: Option<String>,
    /// Normalised to 14 digits.
    pub gtin: Option<String>,
    /// Folded words that must all occur in the name.
    pub name_words: Vec<String>,
    /// As written, for messages.
    pub name: Option<String>,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub price: Option<Comparison<Decimal>>,
    pub discount_pct: Option<Comparison<Decimal>>,
    pub on_sale: Option<bool>,
    pub available: Option<bool>,
    pub contains: Vec<String>,
    pub allergens: Vec<String>,
    pub labels: Vec<String>,
    /// The current price is the lowest seen in the last N days.
    pub lowest_in_days: Option<u32>,
    /// The drop from the highest price of the last `days` days, in percent.
    pub price_drop_pct: Option<PriceDrop>,
    /// First seen in the last run (`new = true`), or not (`false`).
    pub new: Option<bool>,
    /// Out of stock at the previous observation, available now.
    pub back_in_stock: Option<bool>,
}

impl Selector {
    /// Whether matching needs the product's price history.
    pub fn uses_history(&self) -> bool {
        self.lowest_in_days.is_some()
            || self.price_drop_pct.is_some()
            || self.new.is_some()
            || self.back_in_stock.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceDrop {
    pub cmp: Comparison<Decimal>,
    pub days: u32,
}
