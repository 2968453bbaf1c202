use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

/// The names table (tests/fixtures/sizes/names.tsv): a name, the amount and
/// unit it gives, or two empty columns for a name that gives no size.
const NAMES: &str = include_str!("../../../tests/fixtures/sizes/names.tsv");

fn expected(amount: &str, unit: &str) -> Option<Size> {
    if amount.is_empty() {
        return None;
    }
    let unit = match unit {
        "g" => SizeUnit::G,
        "kg" => SizeUnit::Kg,
        "ml" => SizeUnit::Ml,
        "cl" => SizeUnit::Cl,
        "l" => SizeUnit::L,
        "count" => SizeUnit::Count,
        other => panic!("unknown unit {other:?} in names.tsv"),
    };
    Size::new(Decimal::from_str(amount).expect("an amount"), unit)
}

#[test]
fn names_table_reads_as_a_person_would() {
    let mut wrong = Vec::new();
    let mut rows = 0;
    for (n, line) in NAMES.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        rows += 1;
        let cols: Vec<&str> = line.split('\t').collect();
        let [name, amount, unit] = cols[..] else {
            panic!("names.tsv:{}: want 3 columns, got {line:?}", n + 1);
        };
        let got = Size::from_name(name);
        if got != expected(amount, unit) {
            wrong.push(format!(
                "names.tsv:{}: {name:?}: want {amount} {unit}, got {got:?}",
                n + 1
            ));
        }
    }
    assert!(rows >= 150, "names.tsv has only {rows} cases");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn unit_prices_per_kilo_litre_and_item() {
    let size = |a: i64, s: u32, u| Size::new(Decimal::new(a, s), u).expect("a size");
    let up = size(400, 0, SizeUnit::G)
        .unit_price(Decimal::new(352, 2))
        .expect("a unit price");
    assert_eq!((up.amount, up.per), (Decimal::new(88, 1), UnitBase::Kg));
    assert_eq!(up.per(UnitPer::Hundred), Some(Decimal::new(88, 2)));
    assert_eq!(up.per(UnitPer::L), None);
    let up = size(70, 0, SizeUnit::Cl)
        .unit_price(Decimal::new(2100, 2))
        .expect("a unit price");
    assert_eq!((up.amount, up.per), (Decimal::new(30, 0), UnitBase::L));
    let up = size(6, 0, SizeUnit::Count)
        .unit_price(Decimal::new(300, 2))
        .expect("a unit price");
    assert_eq!((up.amount, up.per), (Decimal::new(5, 1), UnitBase::Item));
    assert_eq!(Size::grams(0), None);
    assert_eq!(Size::grams(250), Some(size(250, 0, SizeUnit::G)));
}

#[test]
fn measures_read_merchant_units_and_refuse_the_rest() {
    let ok = |s: &str| parse_measure(s).map(|m| m.to_string());
    assert_eq!(ok("12 l").as_deref(), Ok("12 l"));
    assert_eq!(ok("750ml").as_deref(), Ok("750 ml"));
    assert_eq!(ok("1 kg").as_deref(), Ok("1 kg"));
    assert_eq!(ok("6 ct").as_deref(), Ok("6 items"));
    assert_eq!(ok("16 oz").as_deref(), Ok("453.59237 g"));
    assert_eq!(ok("0.5 KGM").as_deref(), Ok("0.5 kg"));
    assert_eq!(
        parse_measure("750 bananas"),
        Err(MeasureError::UnknownUnit("bananas".into()))
    );
    assert_eq!(parse_measure("0 g"), Err(MeasureError::Zero));
    assert_eq!(parse_measure("kg"), Err(MeasureError::NotAMeasure));
    assert_eq!(
        parse_measure_with_base("750 ml", Some("1 kg")),
        Err(MeasureError::OtherDimension)
    );
    assert!(parse_measure_with_base("750 ml", Some("100 ml")).is_ok());
}

#[test]
fn unit_price_json_has_two_decimals() {
    let up = UnitPrice {
        amount: Decimal::new(88, 1),
        per: UnitBase::Kg,
    };
    assert_eq!(
        serde_json::to_string(&up).expect("json"),
        r#"{"amount":"8.80","per":"kg"}"#
    );
    let size = Size::new(Decimal::new(400, 0), SizeUnit::G).expect("a size");
    assert_eq!(
        serde_json::to_string(&size).expect("json"),
        r#"{"amount":"400","unit":"g"}"#
    );
}

proptest! {
    /// Whatever a feed calls a product, reading its size never panics, and
    /// a size read is above zero.
    #[test]
    fn no_name_panics(name in ".{0,60}") {
        if let Some(size) = Size::from_name(&name) {
            prop_assert!(size.amount > Decimal::ZERO);
        }
    }

    #[test]
    fn no_sizeish_name_panics(name in "[0-9 .,xX×*-]{0,12}(g|kg|ml|cl|l|oz|lb|fl oz|pack|%)?[ a-z0-9]{0,8}") {
        let _ = Size::from_name(&name);
        let _ = parse_measure(&name);
    }
}
