//! The `merchant-local` feed kind: a Google Merchant local inventory feed
//! (XML or tab-separated, read by the same readers as the catalog kind). Each
//! row says what one store has of one product of the catalog feed named by
//! `of`: `store_code`, `id` (or `item_id`), `availability`, `price`,
//! `sale_price`, `quantity`, `pickup_method` and `pickup_sla`. A row lists no
//! product of its own; the check joins it to the catalog by id (or GTIN).

use std::io::BufRead;

use chrono::{DateTime, Utc};

use super::fields::{parse_money, quoted, RawItem};
use super::tsv::parse_tsv;
use super::xml::parse_xml;
use super::{sniff, Sink};
use crate::feeds::{FeedError, FeedReport, FeedSource};
use crate::model::{Availability, Pickup, PickupMethod, StoreOffer, PICKUP_SLAS};

/// One row of a local inventory feed: which product, and what one store has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRow {
    pub id: Option<String>,
    pub gtin: Option<String>,
    pub offer: StoreOffer,
}

/// Parses a local inventory feed, handing each row to `sink`; a bad row is
/// skipped and counted in the report, as in the catalog kind.
pub fn parse_local<R: BufRead>(
    source: &FeedSource,
    mut reader: R,
    now: DateTime<Utc>,
    sink: &mut dyn FnMut(LocalRow),
) -> Result<FeedReport, FeedError> {
    let lead = sniff(source, &mut reader)?;
    if lead.first == b'<' {
        parse_xml(source, reader, lead, now, Sink::Local(sink))
    } else {
        parse_tsv(source, reader, lead, now, Sink::Local(sink))
    }
}

/// Checks a row's attributes; `Err` is the reason to skip it.
pub(super) fn to_row(source: &FeedSource, mut raw: RawItem) -> Result<LocalRow, String> {
    let (id, gtin) = raw.take_ids();
    if id.is_none() && gtin.is_none() {
        return Err("no id".into());
    }
    let store = raw.store_code.take().ok_or("no store_code")?;
    let (price, sale) = raw.price_texts();
    let price = price.map(|p| parse_money("price", p)).transpose()?;
    let sale = sale.map(|p| parse_money("sale_price", p)).transpose()?;
    // The sale price is what the shelf says; the dates of a local sale are
    // not read, so a sale price given is taken as in effect.
    let money = sale.or(price);
    let availability = match raw.availability_text() {
        Some(a) => Some(
            Availability::parse(a)
                .ok_or_else(|| format!("availability {} is not known", quoted(a)))?,
        ),
        None => None,
    };
    let quantity = match raw.quantity.as_deref() {
        Some(q) => Some(
            q.parse::<u64>()
                .map_err(|_| format!("quantity {} is not a whole number", quoted(q)))?,
        ),
        None => None,
    };
    let pickup = match raw.pickup_method.as_deref() {
        Some(m) => {
            let method = PickupMethod::parse(m).ok_or_else(|| {
                format!(
                    "pickup_method {} is not buy, reserve, ship_to_store or not_supported",
                    quoted(m)
                )
            })?;
            let sla = match raw.pickup_sla.as_deref() {
                Some(s) => {
                    let s = s.to_ascii_lowercase();
                    if !PICKUP_SLAS.contains(&s.as_str()) {
                        return Err(format!(
                            "pickup_sla {} is not one of {}",
                            quoted(&s),
                            PICKUP_SLAS.join(", ")
                        ));
                    }
                    Some(s)
                }
                None => None,
            };
            Some(Pickup { method, sla })
        }
        None => None,
    };
    let currency = money
        .as_ref()
        .and_then(|m| m.currency.clone())
        .or_else(|| source.currency.clone());
    Ok(LocalRow {
        id,
        gtin,
        offer: StoreOffer {
            store,
            availability,
            price: money.map(|m| m.amount),
            currency,
            quantity,
            pickup,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::FeedKind;

    fn source() -> FeedSource {
        FeedSource {
            name: "grocer-local".into(),
            kind: FeedKind::MerchantLocal,
            url: "local.xml".into(),
            currency: Some("GBP".into()),
            rate_limit: None,
            of: Some("grocer".into()),
        }
    }

    fn rows(text: &str) -> (Vec<LocalRow>, FeedReport) {
        let mut rows = Vec::new();
        let report = parse_local(&source(), text.as_bytes(), Utc::now(), &mut |r| {
            rows.push(r)
        })
        .expect("parses");
        (rows, report)
    }

    #[test]
    fn the_kembangseladang_sample_reads_with_its_pickup() {
        let text = include_str!(
            "../../../../tests/fixtures/google-merchant/local-inventory-kembangseladang-idr-pickup.xml"
        );
        let (rows, report) = rows(text);
        assert_eq!(rows.len(), 18);
        assert_eq!(report.skipped, 0);
        let first = &rows[0].offer;
        assert_eq!(
            rows[0].id.as_deref(),
            Some("dbc3de41-8512-4f52-8785-86e3684187bf")
        );
        assert_eq!(first.store, "KS_REMPOA");
        assert_eq!(first.price, Some("250000".parse().expect("decimal")));
        assert_eq!(first.currency.as_deref(), Some("IDR"));
        assert_eq!(first.quantity, Some(10));
        assert!(first.in_stock() && first.has_pickup());
        assert_eq!(
            first.pickup.as_ref().and_then(|p| p.sla.as_deref()),
            Some("same_day")
        );
    }

    #[test]
    fn the_newluckypharma_sample_names_items_by_item_id() {
        let text = include_str!(
            "../../../../tests/fixtures/google-merchant/local-inventory-newluckypharma-item_id-tag.xml"
        );
        let (rows, _) = rows(text);
        assert_eq!(rows.len(), 60);
        assert_eq!(rows[0].id.as_deref(), Some("1"));
        assert!(!rows[0].offer.has_pickup());
    }

    #[test]
    fn tab_separated_rows_read_and_bad_ones_are_counted() {
        let (rows, report) = rows(
            "store_code\titemid\tavailability\tprice\tsale_price\tquantity\tpickup_method\tpickup_sla\n\
             1234\tboot-1\tout_of_stock\t80.00 GBP\t\t0\treserve\tnext_day\n\
             1234\tboot-2\tlimited_availability\t90.00 GBP\t70.00 GBP\t1\t\t\n\
             \tboot-3\tin_stock\t1 GBP\t\t\t\t\n\
             1234\tboot-4\tin_stock\t1 GBP\t\tmany\t\t\n",
        );
        assert_eq!(rows.len(), 2);
        assert!(!rows[0].offer.in_stock() && rows[0].offer.has_pickup());
        assert!(rows[1].offer.in_stock());
        assert_eq!(rows[1].offer.price, Some("70.00".parse().expect("decimal")));
        assert_eq!(report.skipped, 2);
        assert!(
            report.problems[0].contains("no store_code"),
            "{:?}",
            report.problems
        );
        assert!(
            report.problems[1].contains("quantity \"many\""),
            "{:?}",
            report.problems
        );
    }
}
