//! What a product is at a physical store: the rows of a Merchant local
//! inventory feed (`kind = "merchant-local"`), joined to the catalog's
//! products by id (docs/feeds.md, "Local inventory").

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Availability;

/// One store's offer of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreOffer {
    /// The shop's store code (`store_code`), as its store finder gives it.
    pub store: String,
    pub availability: Option<Availability>,
    /// The store's own price, in the product's currency; `None`: the online one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup: Option<Pickup>,
}

impl StoreOffer {
    /// In stock or limited: what `at_store` asks for. Google's local
    /// `limited_availability` reads as in stock.
    pub fn in_stock(&self) -> bool {
        self.availability == Some(Availability::InStock)
    }

    /// `in stock at store 1234, 12.00 GBP there` (with the pickup, if any).
    pub fn reason(&self) -> String {
        let mut out = format!("in stock at store {}", self.store);
        if let Some(price) = self.price {
            out.push_str(&format!(", {:.2}", price));
            if let Some(c) = &self.currency {
                out.push_str(&format!(" {c}"));
            }
            out.push_str(" there");
        }
        if let Some(p) = self.pickup.as_ref().filter(|_| self.has_pickup()) {
            out.push_str(", pickup");
            if let Some(sla) = &p.sla {
                out.push_str(&format!(" {sla}"));
            }
        }
        out
    }

    /// Click-and-collect: a pickup method other than `not_supported`.
    pub fn has_pickup(&self) -> bool {
        self.pickup
            .as_ref()
            .is_some_and(|p| p.method != PickupMethod::NotSupported)
    }
}

/// How the store hands the product over (`pickup_method`, `pickup_sla`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pickup {
    pub method: PickupMethod,
    /// `same_day`, `next_day`, `2-day` ... `7-day`, `multi-week`: as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
}

/// Google's `pickup_method` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PickupMethod {
    Buy,
    Reserve,
    ShipToStore,
    NotSupported,
}

impl PickupMethod {
    pub fn parse(raw: &str) -> Option<PickupMethod> {
        match raw
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "buy" => Some(PickupMethod::Buy),
            "reserve" => Some(PickupMethod::Reserve),
            "ship_to_store" => Some(PickupMethod::ShipToStore),
            "not_supported" => Some(PickupMethod::NotSupported),
            _ => None,
        }
    }
}

/// The pickup times Google lists.
pub const PICKUP_SLAS: [&str; 9] = [
    "same_day",
    "next_day",
    "2-day",
    "3-day",
    "4-day",
    "5-day",
    "6-day",
    "7-day",
    "multi-week",
];
