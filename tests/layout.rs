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

/// The source files, with their path relative to `src/`.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("read a source dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .expect("under src")
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&path).expect("read a source file");
                out.push((rel, text));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

/// The code of a file without its unit tests (an inline `#[cfg(test)] mod
/// tests {` to the end, a whole `tests.rs` or `tests/` folder), its comments and
/// blank lines.
fn code_lines<'t>(rel: &str, text: &'t str) -> Vec<&'t str> {
    let unit_tests = rel == "tests.rs"
        || rel.ends_with("/tests.rs")
        || rel.starts_with("tests/")
        || rel.contains("/tests/");
    if unit_tests {
        return Vec::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod tests {"))
        .unwrap_or(lines.len());
    lines[..end]
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
        .collect()
}

/// Each file has one job a newcomer can name: none grows past ~800 lines of
/// code (its unit tests, comments and blank lines not counted).
#[test]
fn no_source_file_is_over_800_lines_of_code() {
    let big: Vec<String> = sources()
        .iter()
        .map(|(rel, text)| (rel, code_lines(rel, text).len()))
        .filter(|(_, n)| *n > 800)
        .map(|(rel, n)| format!("src/{rel}: {n} lines"))
        .collect();
    assert!(
        big.is_empty(),
        "split these by what they do:\n{}",
        big.join("\n")
    );
}

/// Commands are glue: shared logic lives in the layers below them, so no
/// command imports another.
#[test]
fn no_command_imports_another_command() {
    let offenders: Vec<String> = sources()
        .iter()
        .filter(|(rel, _)| rel.starts_with("commands/") && rel != "commands/mod.rs")
        .filter(|(_, text)| text.contains("crate::commands") || text.contains("super::"))
        .map(|(rel, _)| format!("src/{rel}"))
        .collect();
    assert!(
        offenders.is_empty(),
        "these commands reach into another command; move what they share below commands/:\n{}",
        offenders.join("\n")
    );
}

/// The top-level modules form layers: following `crate::X` references from
/// module to module never comes back to where it started.
#[test]
fn the_top_level_modules_have_no_import_cycle() {
    use std::collections::{BTreeMap, BTreeSet};
    let top = |rel: &str| -> String {
        let first = rel.split('/').next().unwrap_or(rel);
        first.trim_end_matches(".rs").to_string()
    };
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in sources() {
        let from = top(&rel);
        if from == "lib" || from == "main" {
            continue;
        }
        // Code only: a doc link in a comment or a unit test's helper is no import.
        let code = code_lines(&rel, &text).join("\n");
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `crate::{a, b}` lists: every name in the braces.
            let names: Vec<String> = if name.is_empty() && rest.starts_with('{') {
                let inner = &rest[1..rest.find('}').unwrap_or(rest.len())];
                inner
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or("").to_string())
                    .filter(|n| !n.is_empty())
                    .collect()
            } else {
                vec![name]
            };
            for to in names {
                if to != from && to.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                    graph.entry(from.clone()).or_default().insert(to);
                }
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!(
                "the modules import each other in a circle: {}",
                cycle.join(" -> ")
            );
        }
    }
}
