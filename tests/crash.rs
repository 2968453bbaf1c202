//! Crash safety: `basket check --yes` killed with SIGKILL at random points
//! while it applies thirty decisions. Afterwards the store opens (`basket
//! list`), passes `PRAGMA integrity_check`, and holds each decision either
//! applied with its record or not at all; the next run finishes the work
//! without applying anything twice. The checkout phase kills `basket
//! checkout --yes` the same way: the basket and the purchases are never
//! half-moved.
//!
//! 200 kills by default; `BASKET_KILL_ITERATIONS=1000` for the CI-sized run.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;

const PRODUCTS: usize = 30;
const RULE: &str = "Biscuits";

fn catalog() -> Vec<u8> {
    let products: Vec<serde_json::Value> = (0..PRODUCTS)
        .map(|i| {
            serde_json::json!({
                "id": format!("B-{i:02}"),
                "name": format!("Biscuits no. {i}"),
                "price": format!("1.{i:02}"),
                "currency": "GBP",
                "categories": "Food > Biscuits",
            })
        })
        .collect();
    serde_json::to_vec(&products).expect("serialise the catalog")
}

fn world(server: &TestServer) -> TestEnv {
    let env = TestEnv::new();
    env.write_rules(&server.expand(&format!(
        r#"
[settings]
currency = "GBP"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "{RULE}"
match = {{ name = "biscuits" }}
add = {{ limit = {PRODUCTS}, quantity = 2 }}
"#
    )));
    env
}

/// What the store holds, read directly: the basket by product, the approved
/// decisions by product (counted), and whether SQLite finds the file sound.
struct Stored {
    items: BTreeMap<String, (String, i64)>,
    approved: BTreeMap<String, (usize, i64)>,
    other_decisions: usize,
    pending_decided: usize,
}

fn read_store(env: &TestEnv) -> Stored {
    let conn = rusqlite::Connection::open(env.db_path()).expect("open basket.db");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok", "integrity_check");
    let mut items = BTreeMap::new();
    let mut stmt = conn
        .prepare("SELECT feed || '/' || product_id, added_by, quantity FROM basket_items")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))
        .expect("query");
    for row in rows {
        let (key, by, quantity) = row.expect("row");
        assert!(items.insert(key, (by, quantity)).is_none(), "an item twice");
    }
    let mut approved: BTreeMap<String, (usize, i64)> = BTreeMap::new();
    let mut other_decisions = 0;
    let mut stmt = conn
        .prepare(
            "SELECT feed || '/' || product_id, decision, action, quantity, rule FROM decisions",
        )
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .expect("query");
    for row in rows {
        let (key, decision, action, quantity, rule) = row.expect("row");
        if decision == "approved" && action == "add" && rule == RULE {
            let e = approved.entry(key).or_insert((0, quantity));
            e.0 += 1;
        } else {
            other_decisions += 1;
        }
    }
    // A decision deletes its pending row in the same transaction.
    let pending_decided: i64 = conn
        .query_row(
            "SELECT count(*) FROM pending WHERE id IN (SELECT proposal_id FROM decisions)",
            [],
            |r| r.get(0),
        )
        .expect("count");
    Stored {
        items,
        approved,
        other_decisions,
        pending_decided: usize::try_from(pending_decided).expect("a count"),
    }
}

/// Each approved add has its item and each item added by the rule has its one
/// approved decision, with the same quantity; nothing else was decided.
#[track_caller]
fn assert_consistent(stored: &Stored, at: &str) {
    for (key, (count, quantity)) in &stored.approved {
        assert_eq!(*count, 1, "{at}: {key} approved {count} times");
        assert_eq!(
            stored.items.get(key),
            Some(&(RULE.to_string(), *quantity)),
            "{at}: {key} approved but not in the basket as approved"
        );
    }
    for (key, (by, _)) in &stored.items {
        assert_eq!(by, RULE, "{at}: {key} added by {by}");
        assert!(
            stored.approved.contains_key(key),
            "{at}: {key} in the basket without its decision"
        );
    }
    assert_eq!(stored.other_decisions, 0, "{at}: unexpected decisions");
    assert_eq!(stored.pending_decided, 0, "{at}: decided yet still pending");
}

fn iterations() -> usize {
    std::env::var("BASKET_KILL_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

#[test]
fn sigkill_during_check_yes_never_leaves_a_half_applied_decision() {
    let server = TestServer::start();
    server.set("/shop.json", Reply::json(catalog()));

    // How long a whole run takes here (the fastest of three: the first pays
    // for cold caches), so kills land all over it.
    let mut whole = Duration::MAX;
    for _ in 0..3 {
        let env = world(&server);
        let started = Instant::now();
        env.run(&["check", "--yes"]).assert_ok();
        whole = whole.min(started.elapsed());
        let stored = read_store(&env);
        assert_eq!(
            stored.items.len(),
            PRODUCTS,
            "the uninterrupted run adds all"
        );
        assert_consistent(&stored, "uninterrupted");
    }
    let whole = u64::try_from(whole.as_micros())
        .unwrap_or(u64::MAX)
        .max(1000);

    let mut seen = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    for n in 0..iterations() {
        let env = world(&server);
        // Half the kills anywhere in the run; half in its second half, where
        // the decisions are applied (the first is start-up and the fetch).
        let at = Duration::from_micros(if n % 2 == 0 {
            fastrand::u64(0..whole)
        } else {
            fastrand::u64(whole / 2..whole)
        });
        let mut child = env
            .cmd(&["check", "--yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn basket");
        std::thread::sleep(at);
        // SIGKILL on unix: no destructor, no handler runs.
        let _ = child.kill();
        let status = child.wait().expect("wait for basket");
        let what = format!("kill {n} after {at:?} ({status})");

        // The store opens for basket itself...
        if env.db_path().exists() {
            let list = env.run(&["list", "--format", "json"]);
            list.assert_ok();
            let stored = read_store(&env);
            assert_consistent(&stored, &what);
            *seen.entry(stored.items.len()).or_insert(0) += 1;
        } else {
            *seen.entry(0).or_insert(0) += 1;
        }
        // ...and the next run (lock released by the kernel) finishes the work
        // without applying anything twice. Not every time: it costs a run.
        if n % 10 == 0 {
            env.run(&["check", "--yes"]).assert_ok();
            let stored = read_store(&env);
            assert_eq!(stored.items.len(), PRODUCTS, "{what}: the rerun");
            assert_consistent(&stored, &format!("{what}, then a rerun"));
        }
        assert!(Instant::now() < deadline, "the kill test ran out of time");
    }
    // The kills landed before, during and after applying, not all in one place.
    eprintln!("items in the basket when killed -> how often: {seen:?}");
    let partial = seen
        .iter()
        .filter(|(k, _)| **k > 0 && **k < PRODUCTS)
        .map(|(_, v)| v)
        .sum::<usize>();
    assert!(
        iterations() < 50 || partial > 0,
        "no kill landed while decisions were applied: {seen:?}"
    );
}

/// What a checkout moves, read directly: basket lines, purchases, latches.
fn moved(env: &TestEnv) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(env.db_path()).expect("open basket.db");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok", "integrity_check");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    (
        count("SELECT count(*) FROM basket_items"),
        count("SELECT count(*) FROM purchases"),
        count("SELECT count(*) FROM latches"),
    )
}

/// The checkout phase: `basket checkout --yes` killed at random points while
/// it moves thirty lines into the purchases. The basket and the purchases are
/// never half-moved (and the re-arming of the rule's latches goes with them):
/// all thirty lines are still in the basket, latched, and nothing is bought,
/// or all are bought and the basket is empty.
#[test]
fn sigkill_during_checkout_never_half_moves_the_basket() {
    let server = TestServer::start();
    server.set("/shop.json", Reply::json(catalog()));
    let template = world(&server);
    template.run(&["check", "--yes"]).assert_ok();
    let all = i64::try_from(PRODUCTS).expect("a count");
    assert_eq!(moved(&template), (all, 0, all), "the seeded basket");
    let fresh = || {
        let env = world(&server);
        std::fs::create_dir_all(env.data_dir()).expect("data dir");
        for entry in std::fs::read_dir(template.data_dir()).expect("read the template") {
            let entry = entry.expect("entry");
            let to = env.data_dir().join(entry.file_name());
            std::fs::copy(entry.path(), to).expect("copy the store");
        }
        env
    };

    let mut whole = Duration::MAX;
    for _ in 0..3 {
        let env = fresh();
        let started = Instant::now();
        env.run(&["checkout", "--yes"]).assert_ok();
        whole = whole.min(started.elapsed());
        assert_eq!(moved(&env), (0, all, 0), "the uninterrupted checkout");
    }
    let whole = u64::try_from(whole.as_micros())
        .unwrap_or(u64::MAX)
        .max(1000);

    let mut seen = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    for n in 0..iterations() / 2 {
        let env = fresh();
        let at = Duration::from_micros(if n % 2 == 0 {
            fastrand::u64(0..whole)
        } else {
            fastrand::u64(whole / 2..whole)
        });
        let mut child = env
            .cmd(&["checkout", "--yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn basket");
        std::thread::sleep(at);
        let _ = child.kill();
        let status = child.wait().expect("wait for basket");
        let what = format!("kill {n} after {at:?} ({status})");
        env.run(&["list", "--format", "json"]).assert_ok();
        let state = moved(&env);
        assert!(
            state == (all, 0, all) || state == (0, all, 0),
            "{what}: half-moved: {state:?} (basket, purchases, latches)"
        );
        *seen.entry(state.1).or_insert(0) += 1;
        // The lock was the kernel's: the next checkout finishes the work.
        if n % 10 == 0 {
            env.run(&["checkout", "--yes"]).assert_ok();
            assert_eq!(moved(&env), (0, all, 0), "{what}, then a rerun");
        }
        assert!(Instant::now() < deadline, "the kill test ran out of time");
    }
    eprintln!("purchases when killed -> how often: {seen:?}");
}
