//! How amounts are written for the shopper: exact decimals with their currency.

use rust_decimal::Decimal;

use crate::model::money;

/// `2.10 GBP`, or `2.10` when the currency is unknown.
pub fn amount(d: Decimal, currency: Option<&str>) -> String {
    match currency {
        Some(c) => format!("{} {c}", money(d)),
        None => money(d),
    }
}
