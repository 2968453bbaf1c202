//! Guards on the shape of the test suite itself.

use std::path::Path;

/// Every `tests/*.rs` file is a module of the one test binary (`tests/lib.rs`,
/// `autotests = false`): a file left out of `lib.rs` would never compile or run,
/// and its tests would pass silently by not existing.
#[test]
fn every_test_file_is_a_module_of_tests_lib() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let lib = std::fs::read_to_string(dir.join("lib.rs")).expect("read tests/lib.rs");
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read tests/") {
        let path = entry.expect("entry").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs") && stem != "lib" && !declared.contains(&stem)
        {
            missing.push(stem.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "tests/{{{}}}.rs are not listed in tests/lib.rs: add `mod NAME;` for each",
        missing.join(",")
    );
}
