//! The store's unit tests: each aggregate round-trips, decisions are atomic, and
//! files this build must refuse are left untouched.

use crate::model::Origin;
use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

use super::decisions::Applied;
use super::encode::ts;
use super::*;
use crate::model::{
    ActionKind, Availability, BasketItem, Product, ProductKey, Proposal, ProposalStatus,
};

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn product(feed: &str, id: &str, name: &str, price: Option<&str>, currency: &str) -> Product {
    Product {
        feed: feed.to_string(),
        id: id.to_string(),
        name: name.to_string(),
        price: price.map(dec),
        currency: price.map(|_| currency.to_string()),
        ..Product::default()
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn proposal(
    rule: &str,
    action: ActionKind,
    product: Product,
    replaces: Option<Product>,
) -> Proposal {
    Proposal {
        id: Proposal::stable_id(
            rule,
            action,
            &product.key(),
            replaces.as_ref().map(|r| r.key()).as_ref(),
        ),
        rule: rule.to_string(),
        action,
        product,
        quantity: 1,
        replaces,
        reason: "because".to_string(),
        status: ProposalStatus::New,
        over_budget: false,
    }
}

fn open_temp() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

#[test]
fn a_product_round_trips_with_its_three_valued_facts() {
    let (_dir, mut store) = open_temp();
    let full = Product {
        feed: "grocer".into(),
        id: "CHOC-1".into(),
        gtin: Some("05449000011527".into()),
        name: "Crème chocolate 100g".into(),
        brand: Some("Acme".into()),
        url: Some("https://example.test/choc".into()),
        categories: vec!["Food".into(), "en:chocolates".into()],
        price: Some(dec("1.10")),
        currency: Some("GBP".into()),
        regular_price: Some(dec("1.500")),
        availability: Some(Availability::Preorder),
        contains: set(&["milk"]),
        free_from: set(&["palm-oil"]),
        allergens: None,
        traces: Some(BTreeSet::new()),
        labels: set(&["fairtrade"]),
        size: crate::model::Size::grams(100),
        unit_price: Some(crate::model::UnitPrice {
            amount: dec("11"),
            per: crate::model::UnitBase::Kg,
        }),
        stores: vec![crate::model::StoreOffer {
            store: "1234".into(),
            availability: Some(Availability::InStock),
            price: Some(dec("1.10")),
            currency: Some("GBP".into()),
            quantity: Some(3),
            pickup: Some(crate::model::Pickup {
                method: crate::model::PickupMethod::Reserve,
                sla: Some("same_day".into()),
            }),
        }],
        matched_store: None,
    };
    store.add_item(&full, 2, &Origin::Manual, t(0)).unwrap();
    let basket = store.basket().unwrap();
    assert_eq!(basket.len(), 1);
    assert_eq!(basket[0].product, full);
    // Unknown and "none" stay distinct after the trip through JSON.
    assert_eq!(basket[0].product.allergens, None);
    assert_eq!(basket[0].product.traces, Some(BTreeSet::new()));
    // The scale survives: 1.500 is not 1.5.
    assert_eq!(
        basket[0].product.regular_price.unwrap().to_string(),
        "1.500"
    );
    assert_eq!(basket[0].quantity, 2);
    assert_eq!(basket[0].added_by, Origin::Manual);
    assert_eq!(basket[0].added_at, t(0));
}

#[test]
fn adding_the_same_product_again_merges_quantity_and_refreshes_it() {
    let (_dir, mut store) = open_temp();
    store
        .add_item(
            &product("g", "A", "Apples", Some("1.00"), "GBP"),
            1,
            &Origin::Manual,
            t(0),
        )
        .unwrap();
    store
        .add_item(
            &product("g", "B", "Bread", Some("2.00"), "GBP"),
            1,
            &Origin::Manual,
            t(1),
        )
        .unwrap();
    store
        .add_item(
            &product("g", "A", "Apples", Some("0.90"), "GBP"),
            3,
            &Origin::Rule("Fruit".into()),
            t(2),
        )
        .unwrap();
    let basket = store.basket().unwrap();
    assert_eq!(basket.len(), 2);
    // Order added, not order last touched.
    assert_eq!(basket[0].product.id, "A");
    assert_eq!(basket[0].quantity, 4);
    assert_eq!(basket[0].product.price, Some(dec("0.90")));
    assert_eq!(basket[0].added_by, Origin::Manual);
    assert_eq!(basket[0].added_at, t(0));
    assert_eq!(basket[1].product.id, "B");
}

#[test]
fn remove_find_and_clear() {
    let (_dir, mut store) = open_temp();
    store
        .add_item(
            &product("g", "A1", "Dark Chocolate", None, ""),
            1,
            &Origin::Manual,
            t(0),
        )
        .unwrap();
    store
        .add_item(
            &product("h", "A1", "Milk chocolate", None, ""),
            1,
            &Origin::Manual,
            t(1),
        )
        .unwrap();
    store
        .add_item(
            &product("g", "C", "Crème fraîche", None, ""),
            1,
            &Origin::Manual,
            t(2),
        )
        .unwrap();

    let ids = |items: Vec<BasketItem>| -> Vec<String> {
        items.iter().map(|i| i.product.key().to_string()).collect()
    };
    assert_eq!(ids(store.find_items("g/A1").unwrap()), ["g/A1"]);
    assert_eq!(ids(store.find_items("A1").unwrap()), ["g/A1", "h/A1"]);
    assert_eq!(
        ids(store.find_items("CHOCOLATE").unwrap()),
        ["g/A1", "h/A1"]
    );
    assert_eq!(ids(store.find_items("creme").unwrap()), ["g/C"]);
    assert!(store.find_items("nothing").unwrap().is_empty());
    assert!(store.find_items("  ").unwrap().is_empty());

    let key = ProductKey {
        feed: "h".into(),
        id: "A1".into(),
    };
    let removed = store.remove_item(&key).unwrap().unwrap();
    assert_eq!(removed.product.name, "Milk chocolate");
    assert_eq!(store.remove_item(&key).unwrap(), None);
    assert_eq!(store.basket().unwrap().len(), 2);

    assert_eq!(store.clear().unwrap(), 2);
    assert!(store.basket().unwrap().is_empty());
    assert_eq!(store.clear().unwrap(), 0);
}

#[test]
fn totals_are_exact_and_per_currency() {
    let (_dir, mut store) = open_temp();
    store
        .add_item(
            &product("g", "A", "A", Some("1.10"), "GBP"),
            2,
            &Origin::Manual,
            t(0),
        )
        .unwrap();
    store
        .add_item(
            &product("g", "B", "B", Some("3.30"), "GBP"),
            1,
            &Origin::Manual,
            t(1),
        )
        .unwrap();
    store
        .add_item(
            &product("e", "C", "C", Some("0.10"), "EUR"),
            3,
            &Origin::Manual,
            t(2),
        )
        .unwrap();
    store
        .add_item(
            &product("g", "D", "No price", None, ""),
            5,
            &Origin::Manual,
            t(3),
        )
        .unwrap();
    let totals = store.totals().unwrap();
    assert_eq!(totals.len(), 2);
    assert_eq!(totals["GBP"], dec("5.50"));
    assert_eq!(totals["EUR"], dec("0.30"));
    assert_eq!(crate::model::money(totals["GBP"]), "5.50");
}

#[test]
fn pending_upsert_keeps_first_seen_and_does_not_duplicate() {
    let (_dir, mut store) = open_temp();
    let a = proposal(
        "R1",
        ActionKind::Add,
        product("g", "A", "A", Some("2.00"), "GBP"),
        None,
    );
    let b = proposal(
        "R2",
        ActionKind::Add,
        product("g", "B", "B", Some("1.00"), "GBP"),
        None,
    );
    store.save_pending(std::slice::from_ref(&a), t(0)).unwrap();
    store.save_pending(std::slice::from_ref(&b), t(1)).unwrap();

    let mut cheaper = a.clone();
    cheaper.product.price = Some(dec("1.50"));
    store.save_pending(&[b.clone(), cheaper], t(5)).unwrap();

    let pending = store.pending().unwrap();
    assert_eq!(pending.len(), 2);
    // `a` was seen first, so it stays first although it was saved last.
    assert_eq!(pending[0].id, a.id);
    assert_eq!(pending[0].product.price, Some(dec("1.50")));
    assert_eq!(pending[0].status, ProposalStatus::Pending);
    assert_eq!(pending[1].id, b.id);
    let first_seen: String = store
        .conn
        .query_row(
            "SELECT first_seen FROM pending WHERE id = ?1",
            [&a.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(first_seen, ts(t(0)));
    assert!(store.is_pending(&a.id).unwrap());

    store
        .forget_pending(&[a.id.clone(), "unknown".into()])
        .unwrap();
    assert!(!store.is_pending(&a.id).unwrap());
    assert_eq!(store.pending().unwrap().len(), 1);
}

#[test]
fn approved_add_remove_and_swap_change_the_basket_and_the_history() {
    let (_dir, mut store) = open_temp();
    let spread = product("g", "SPREAD", "Choco spread", Some("3.00"), "GBP");
    let alt = product("g", "ALT", "Palm-free spread", Some("3.50"), "GBP");
    let cream = product("g", "SUN", "Sun cream", Some("7.99"), "GBP");

    let add = proposal("Sunscreen", ActionKind::Add, cream.clone(), None);
    store
        .save_pending(std::slice::from_ref(&add), t(0))
        .unwrap();
    assert_eq!(
        store.apply_decision(&add, true, t(1)).unwrap(),
        Applied::Changed
    );
    assert!(!store.is_pending(&add.id).unwrap());
    let basket = store.basket().unwrap();
    assert_eq!(basket.len(), 1);
    assert_eq!(basket[0].added_by, Origin::Rule("Sunscreen".into()));
    assert_eq!(basket[0].added_at, t(1));

    store.add_item(&spread, 2, &Origin::Manual, t(2)).unwrap();
    let mut swap = proposal(
        "No palm oil",
        ActionKind::Swap,
        alt.clone(),
        Some(spread.clone()),
    );
    swap.quantity = 2;
    assert_eq!(
        store.apply_decision(&swap, true, t(3)).unwrap(),
        Applied::Changed
    );
    let basket = store.basket().unwrap();
    assert_eq!(
        basket
            .iter()
            .map(|i| (i.product.id.as_str(), i.quantity))
            .collect::<Vec<_>>(),
        [("SUN", 1), ("ALT", 2)]
    );
    // The swap's item is gone now, so approving it again changes nothing.
    assert_eq!(
        store.apply_decision(&swap, true, t(4)).unwrap(),
        Applied::AlreadyDone
    );

    let remove = proposal("Too dear", ActionKind::Remove, cream.clone(), None);
    assert_eq!(
        store.apply_decision(&remove, true, t(5)).unwrap(),
        Applied::Changed
    );
    assert_eq!(
        store.apply_decision(&remove, true, t(6)).unwrap(),
        Applied::AlreadyDone
    );
    assert_eq!(store.basket().unwrap().len(), 1);

    let history = store.history(10).unwrap();
    assert_eq!(
        history
            .iter()
            .map(|d| (d.action, d.product_id.as_str(), d.approved))
            .collect::<Vec<_>>(),
        [
            (ActionKind::Remove, "SUN", true),
            (ActionKind::Swap, "ALT", true),
            (ActionKind::Add, "SUN", true),
        ]
    );
    assert_eq!(history[2].decided_at, t(1));
    assert_eq!(history[2].rule, "Sunscreen");
    assert_eq!(history[2].price, Some(dec("7.99")));
    assert_eq!(history[2].currency.as_deref(), Some("GBP"));
    assert_eq!(history[1].quantity, 2);
    assert_eq!(store.history(1).unwrap().len(), 1);

    // Taken out: the swapped-out spread and the removed cream, not the
    // alternative the swap brought in nor the approved add.
    let taken_out = store.taken_out().unwrap();
    let mut keys: Vec<(String, DateTime<Utc>)> = taken_out
        .into_iter()
        .map(|(k, at)| (k.to_string(), at))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [("g/SPREAD".to_string(), t(3)), ("g/SUN".to_string(), t(5))]
    );
}

#[test]
fn a_declined_removal_or_one_by_hand_takes_nothing_out() {
    let (_dir, mut store) = open_temp();
    let cream = product("g", "SUN", "Sun cream", Some("7.99"), "GBP");
    store.add_item(&cream, 1, &Origin::Manual, t(0)).unwrap();
    let remove = proposal("Too dear", ActionKind::Remove, cream, None);
    store.apply_decision(&remove, false, t(1)).unwrap();
    assert!(store.taken_out().unwrap().is_empty());
    // A removal by hand is not a proposal approved: re-arming handles it.
    let by_hand = Proposal {
        rule: "manual".into(),
        ..remove
    };
    store.apply_decision(&by_hand, true, t(2)).unwrap();
    assert!(store.taken_out().unwrap().is_empty());
    assert!(store.basket().unwrap().is_empty());
}

#[test]
fn a_decision_that_fails_half_way_changes_nothing() {
    let (_dir, mut store) = open_temp();
    let old = product("g", "OLD", "Old spread", None, "");
    store.add_item(&old, 1, &Origin::Manual, t(0)).unwrap();
    // Quantity 0 makes the insert of the alternative fail after the delete of
    // the replaced item: the transaction must undo the delete.
    let mut swap = proposal(
        "R",
        ActionKind::Swap,
        product("g", "NEW", "New", None, ""),
        Some(old),
    );
    swap.quantity = 0;
    store
        .save_pending(std::slice::from_ref(&swap), t(0))
        .unwrap();
    assert!(store.apply_decision(&swap, true, t(1)).is_err());

    let basket = store.basket().unwrap();
    assert_eq!(basket.len(), 1);
    assert_eq!(basket[0].product.id, "OLD");
    assert!(store.history(10).unwrap().is_empty());
    assert!(store.is_pending(&swap.id).unwrap());
}

#[test]
fn a_swap_without_the_replaced_item_is_refused() {
    let (_dir, mut store) = open_temp();
    let swap = proposal(
        "R",
        ActionKind::Swap,
        product("g", "A", "A", None, ""),
        None,
    );
    let err = store.apply_decision(&swap, true, t(0)).unwrap_err();
    assert!(matches!(err, StoreError::InvalidProposal { .. }), "{err}");
    assert!(store.history(10).unwrap().is_empty());
}

#[test]
fn declining_records_history_and_leaves_the_basket() {
    let (_dir, mut store) = open_temp();
    let boots = product("boots", "BOOT-42", "Chelsea boot", Some("14.50"), "GBP");
    let add = proposal("Boots under £15", ActionKind::Add, boots.clone(), None);
    store
        .save_pending(std::slice::from_ref(&add), t(0))
        .unwrap();
    assert_eq!(store.last_decline(&add.id).unwrap(), None);

    assert_eq!(
        store.apply_decision(&add, false, t(1)).unwrap(),
        Applied::Declined
    );
    assert!(store.basket().unwrap().is_empty());
    assert!(!store.is_pending(&add.id).unwrap());
    assert_eq!(
        store.last_decline(&add.id).unwrap(),
        Some((t(1), Some(dec("14.50"))))
    );

    let mut cheaper = add.clone();
    cheaper.product.price = Some(dec("12.00"));
    store.apply_decision(&cheaper, false, t(9)).unwrap();
    assert_eq!(
        store.last_decline(&add.id).unwrap(),
        Some((t(9), Some(dec("12.00"))))
    );

    let history = store.history(10).unwrap();
    assert_eq!(history.len(), 2);
    assert!(!history[0].approved);
    assert_eq!(history[0].product_name, "Chelsea boot");
}

#[test]
fn approving_the_same_add_twice_adds_it_once() {
    let (_dir, mut store) = open_temp();
    let add = proposal(
        "Sunscreen",
        ActionKind::Add,
        product("g", "SUN", "Sun cream", None, ""),
        None,
    );
    assert_eq!(
        store.apply_decision(&add, true, t(0)).unwrap(),
        Applied::Changed
    );
    assert_eq!(
        store.apply_decision(&add, true, t(1)).unwrap(),
        Applied::AlreadyDone
    );
    let basket = store.basket().unwrap();
    assert_eq!(basket.len(), 1);
    assert_eq!(basket[0].quantity, 1);
    assert_eq!(store.history(10).unwrap().len(), 1);
}

#[test]
fn an_approved_add_of_a_manual_item_adds_to_its_quantity() {
    let (_dir, mut store) = open_temp();
    let sun = product("g", "SUN", "Sun cream", None, "");
    store.add_item(&sun, 1, &Origin::Manual, t(0)).unwrap();
    let add = proposal("Sunscreen", ActionKind::Add, sun, None);
    assert_eq!(
        store.apply_decision(&add, true, t(1)).unwrap(),
        Applied::Changed
    );
    assert_eq!(store.basket().unwrap()[0].quantity, 2);
}

#[test]
fn notifications_are_remembered_per_rule_and_product() {
    let (_dir, mut store) = open_temp();
    let mut food = product("pets", "F1", "Cat food", Some("4.00"), "GBP");
    food.availability = Some(Availability::InStock);
    assert_eq!(store.last_notified("Pet deals", &food.key()).unwrap(), None);

    store.record_notified("Pet deals", &food, t(0)).unwrap();
    food.price = Some(dec("3.50"));
    food.availability = None;
    store.record_notified("Pet deals", &food, t(5)).unwrap();

    let seen = store
        .last_notified("Pet deals", &food.key())
        .unwrap()
        .unwrap();
    assert_eq!(
        seen,
        NotifiedRecord {
            price: Some(dec("3.50")),
            availability: None,
            notified_at: t(5)
        }
    );
    assert_eq!(
        store.last_notified("Other rule", &food.key()).unwrap(),
        None
    );
}

#[test]
fn data_survives_reopening_and_the_file_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.path(), dir.path().join(DB_FILE));
        store
            .add_item(
                &product("g", "A", "Apples", Some("1.00"), "GBP"),
                2,
                &Origin::Manual,
                t(0),
            )
            .unwrap();
        let p = proposal("R", ActionKind::Add, product("g", "B", "B", None, ""), None);
        store.save_pending(&[p], t(0)).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.basket().unwrap()[0].quantity, 2);
    assert_eq!(store.pending().unwrap().len(), 1);
    drop(store);

    // journal_mode=WAL is persistent: a fresh plain connection sees it.
    let raw = Connection::open(dir.path().join(DB_FILE)).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = raw
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

/// Regression: two `basket check --wait` started together (cron and a shell)
/// both open a store that does not exist yet. Switching a new file into WAL
/// mode can fail at once with SQLITE_BUSY, without the busy timeout being
/// consulted, and one of them failed with "locked by another basket process".
#[test]
fn a_new_store_opened_from_several_places_at_once_opens_everywhere() {
    const OPENERS: usize = 4;
    for round in 0..40 {
        let dir = tempfile::tempdir().unwrap();
        let start = std::sync::Barrier::new(OPENERS);
        let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..OPENERS)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        Store::open(dir.path()).map(drop).map_err(|e| e.to_string())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for result in results {
            assert_eq!(result, Ok(()), "round {round}");
        }
        let store = Store::open(dir.path()).unwrap();
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal", "round {round}");
    }
}

#[test]
fn the_connection_settings_are_applied() {
    let (_dir, store) = open_temp();
    let sync: i64 = store
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 1, "NORMAL");
    let fk: i64 = store
        .conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    let busy: i64 = store
        .conn
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap();
    assert_eq!(busy, 5000);
}

#[cfg(unix)]
#[test]
fn a_new_data_dir_and_its_parents_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("a").join("b");
    Store::open(&data).unwrap();
    for d in [dir.path().join("a"), data] {
        let mode = std::fs::metadata(&d).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{}", d.display());
    }
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    {
        // A rollback-journal file, as a future basket might leave it: opening it
        // must not even switch it to WAL.
        let raw = Connection::open(&path).unwrap();
        raw.execute_batch("CREATE TABLE future (x); INSERT INTO future VALUES (1);")
            .unwrap();
        raw.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = std::fs::read(&path).unwrap();

    let err = Store::open(dir.path()).unwrap_err();
    match &err {
        StoreError::NewerSchema {
            path: p,
            found,
            supported,
        } => {
            assert_eq!(p, &path);
            assert_eq!(*found, 99);
            assert_eq!(*supported, SCHEMA_VERSION);
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(!message.contains('\n'));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_newer_schema_in_a_wal_file_is_refused_and_left_untouched() {
    // The likelier case: a file a newer basket wrote, already in WAL mode.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    {
        let mut store = Store::open(dir.path()).unwrap();
        store
            .add_item(&product("g", "A", "A", None, ""), 1, &Origin::Manual, t(0))
            .unwrap();
    }
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let before = std::fs::read(&path).unwrap();

    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn adding_zero_of_something_is_an_error_and_changes_nothing() {
    let (_dir, mut store) = open_temp();
    let err = store
        .add_item(&product("g", "A", "A", None, ""), 0, &Origin::Manual, t(0))
        .unwrap_err();
    assert!(matches!(err, StoreError::Sqlite { .. }), "{err:?}");
    assert!(store.basket().unwrap().is_empty());
}

#[test]
fn a_garbage_file_is_refused_and_left_untouched() {
    // Long and short: SQLite reads a short file differently from a long one.
    for garbage in [
        "this is not a database, just a shopping list\n".repeat(100),
        "milk\n".to_string(),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        std::fs::write(&path, &garbage).unwrap();

        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "{} is not a basket database (file is not a database); move it aside or pass --data-dir",
                path.display()
            )
        );
        assert_eq!(std::fs::read(&path).unwrap(), garbage.as_bytes());
    }
}

#[test]
fn another_programs_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE basket_items (x);")
        .unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err:?}");
}

#[test]
fn a_data_dir_that_cannot_be_created_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let data = file.join("data");

    let err = Store::open(&data).unwrap_err();
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&data.display().to_string()), "{message}");
    assert!(message.contains("os error"), "{message}");
}

#[test]
fn a_data_dir_that_is_a_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, "x").unwrap();

    let err = Store::open(&file).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot create the data directory {}: it exists and is not a directory",
            file.display()
        )
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

#[test]
fn an_in_memory_store_works() {
    let mut store = Store::open_in_memory().unwrap();
    store
        .add_item(
            &product("g", "A", "A", Some("1.00"), "GBP"),
            1,
            &Origin::Manual,
            t(0),
        )
        .unwrap();
    assert_eq!(store.basket().unwrap().len(), 1);
}

#[test]
fn a_checkout_moves_what_the_basket_holds_and_skips_what_left_it() {
    let mut store = Store::open_in_memory().unwrap();
    let tea = product("shop", "T", "Tea", Some("2.00"), "GBP");
    let jam = product("shop", "J", "Jam", Some("3.00"), "GBP");
    let rule = Origin::Rule("Tea".into());
    store.add_item(&tea, 2, &rule, t(0)).unwrap();
    // Added again since the review: the quantity bought is the basket's.
    store.add_item(&tea, 1, &rule, t(1)).unwrap();
    store
        .update_latches(&[("Tea".into(), tea.key())], &[], &[], t(0))
        .unwrap();
    let line = |p: &Product| CheckoutLine {
        key: p.key(),
        price: Some(dec("1.80")),
        currency: Some("GBP".into()),
        regular_price: None,
    };
    // Jam is not in the basket (removed meanwhile): skipped, not an error.
    let bought = store
        .checkout(
            &[line(&tea), line(&jam)],
            &[("Tea".into(), tea.key())],
            t(5),
        )
        .unwrap();
    assert_eq!(bought.len(), 1);
    assert_eq!(bought[0].quantity, 3);
    assert_eq!(bought[0].price, Some(dec("1.80")));
    assert_eq!(bought[0].added_by, rule);
    assert!(store.basket().unwrap().is_empty());
    assert!(store.latches().unwrap().is_empty());
    assert_eq!(store.purchases(None).unwrap(), bought);
    assert!(store.purchases(Some(t(6))).unwrap().is_empty());
}

#[test]
fn a_line_its_feed_stops_listing_is_unlisted_from_that_run_until_listed_again() {
    let mut store = Store::open_in_memory().unwrap();
    let tea = product("shop", "T", "Tea", Some("2.00"), "GBP");
    let other = product("elsewhere", "X", "X", Some("1.00"), "GBP");
    store.add_item(&tea, 1, &Origin::Manual, t(0)).unwrap();
    store.add_item(&other, 1, &Origin::Manual, t(0)).unwrap();
    let none = std::collections::HashSet::new();
    store.note_listing(&none, &["shop"], t(1)).unwrap();
    store.note_listing(&none, &["shop"], t(2)).unwrap();
    // The first run that missed it is kept; a feed that did not answer is unknown.
    let unlisted = store.unlisted().unwrap();
    assert_eq!(unlisted.len(), 1);
    assert_eq!(unlisted.get(&tea.key()), Some(&t(1)));
    let listed: std::collections::HashSet<_> = [tea.key()].into_iter().collect();
    store.note_listing(&listed, &["shop"], t(3)).unwrap();
    assert!(store.unlisted().unwrap().is_empty());
}
