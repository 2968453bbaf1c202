//! Parses a generated feed and folds it through `engine::Evaluation`, as `basket
//! check` does but without the CLI, the store or the network: the hot path alone,
//! for a profiler (issue 6).
//!
//! ```text
//! cargo run --release --example gen-feed -- --items 100000 --format merchant --out /tmp/feed.xml
//! cargo run --release --example profile-eval -- /tmp/feed.xml --items 100000
//! valgrind --tool=callgrind target/release/examples/profile-eval /tmp/feed.xml --items 100000
//! ```
//!
//! Prints the time of a parse alone and of parse + evaluate, and their ratio.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;

#[path = "support/generate.rs"]
mod generate;

use generate::{Format, Setup};

// The allocator the `basket` binary runs with (src/main.rs), so that what is
// measured here is what `check` spends.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
struct Args {
    /// A feed written by gen-feed (its format follows the extension).
    feed: PathBuf,
    /// The --items it was written with (the rules name ids within it).
    #[arg(long, default_value_t = 100_000)]
    items: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 100)]
    rules: usize,
    /// Basket items (the feed's first ones), watched by the swap rules.
    #[arg(long, default_value_t = 20)]
    basket: u64,
    /// Only parse + evaluate, once (for a profiler).
    #[arg(long, conflicts_with = "parse_only")]
    evaluate_only: bool,
    /// Only parse, once (for a profiler: the baseline of --evaluate-only).
    #[arg(long)]
    parse_only: bool,
    /// Runs of each (taken in turn), the best one reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

fn main() {
    let args = Args::parse();
    let format = match args.feed.extension().and_then(|e| e.to_str()) {
        Some("xml") => Format::Merchant,
        Some("csv") => Format::Csv,
        _ => Format::Jsonl,
    };
    let setup = Setup::new(
        &args.feed,
        format,
        args.items,
        args.seed,
        args.rules,
        args.basket,
    );
    let open =
        || BufReader::with_capacity(256 * 1024, File::open(&args.feed).expect("the feed opens"));
    if args.parse_only {
        println!("{} products", setup.parse_only(open()));
        return;
    }
    if args.evaluate_only {
        let outcome = setup.parse_and_evaluate(open());
        println!(
            "{} proposals, {} notifications",
            outcome.proposals.len(),
            outcome.notifications.len()
        );
        return;
    }
    // The three are timed in turn, run after run, and the best of each kept:
    // a slow spell on a shared machine then weighs on all three alike, not on
    // whichever happened to be running.
    let time = |f: &dyn Fn() -> usize| {
        let t = Instant::now();
        let n = f();
        (t.elapsed().as_secs_f64(), n)
    };
    let parse_only = || setup.parse_only(open());
    let one_thread = || {
        let o = setup.parse_and_evaluate(open());
        o.proposals.len() + o.notifications.len()
    };
    let as_check = || {
        let o = setup.parse_and_evaluate_pipelined(open());
        o.proposals.len() + o.notifications.len()
    };
    let (mut parse, mut eval, mut pipelined) = (f64::MAX, f64::MAX, f64::MAX);
    let (mut products, mut proposals, mut same) = (0, 0, 0);
    for _ in 0..args.runs.max(1) {
        let (t, n) = time(&parse_only);
        (parse, products) = (parse.min(t), n);
        let (t, n) = time(&one_thread);
        (eval, proposals) = (eval.min(t), n);
        let (t, n) = time(&as_check);
        (pipelined, same) = (pipelined.min(t), n);
    }
    assert_eq!(proposals, same, "pipelining changes nothing but the time");
    let adds = |t: f64| (t / parse - 1.0) * 100.0;
    println!(
        "{products} products, {} rules ({proposals} proposals and notifications): \
         parse {parse:.3} s; parse+evaluate on one thread {eval:.3} s (evaluation adds {:.1}%); \
         as check runs it, parsing on its own thread, {pipelined:.3} s (adds {:.1}%)",
        setup.rules.rules.len(),
        adds(eval),
        adds(pipelined),
    );
}
