//! Parse-only vs parse + evaluate (100 generated rules), per feed format, on a
//! generated feed written once to a temporary file (issue 6, target 2: the rules
//! add at most 30% to the parse).
//!
//! `cargo bench --bench feeds` runs 100,000 items per format;
//! `BASKET_BENCH_1M=1 cargo bench --bench feeds` adds 1,000,000.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "../examples/support/generate.rs"]
mod generate;

use generate::{extension, write_feed, Format, Setup};

// The allocator the `basket` binary runs with (src/main.rs), so that what is
// measured here is what `check` spends.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SEED: u64 = 1;
const RULES: usize = 100;
const BASKET: u64 = 20;

fn open(path: &Path) -> BufReader<File> {
    BufReader::with_capacity(256 * 1024, File::open(path).expect("the feed opens"))
}

/// Every product name of a JSON Lines feed, read once before timing.
fn names_of(path: &Path) -> Vec<String> {
    use std::io::BufRead as _;
    open(path)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(&line).ok()?;
            v["name"].as_str().map(str::to_string)
        })
        .collect()
}

fn feeds(c: &mut Criterion) {
    let mut sizes = vec![100_000u64];
    if std::env::var_os("BASKET_BENCH_1M").is_some_and(|v| v == "1") {
        sizes.push(1_000_000);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for items in sizes {
        for format in [Format::Merchant, Format::Csv, Format::Jsonl] {
            let path = dir
                .path()
                .join(format!("feed-{items}.{}", extension(format)));
            let mut out = std::io::BufWriter::new(File::create(&path).expect("create feed"));
            write_feed(&mut out, format, items, SEED).expect("write feed");
            drop(out);
            let setup = Setup::new(&path, format, items, SEED, RULES, BASKET);

            let mut group = c.benchmark_group(format!("{}/{items}", extension(format)));
            group.throughput(Throughput::Elements(items));
            group.sample_size(10);
            group.warm_up_time(Duration::from_secs(1));
            group.measurement_time(Duration::from_secs(if items > 100_000 { 30 } else { 8 }));
            group.bench_function("parse", |b| b.iter(|| setup.parse_only(open(&path))));
            group.bench_function("parse+evaluate", |b| {
                b.iter(|| setup.parse_and_evaluate(open(&path)))
            });
            if format == Format::Jsonl {
                // Issue 15: what reading a size out of every name costs, beside
                // the parse + evaluate above (every parser does it once per
                // product, so it is part of both figures).
                let names = names_of(&path);
                group.bench_function("sizes-from-names", |b| {
                    b.iter(|| {
                        names
                            .iter()
                            .filter(|n| basket::api::model::Size::from_name(n).is_some())
                            .count()
                    })
                });
            }
            group.finish();
            let _ = std::fs::remove_file(&path);
        }
    }
}

criterion_group!(benches, feeds);
criterion_main!(benches);
