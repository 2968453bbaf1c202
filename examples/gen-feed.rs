//! Writes a large, realistic, deterministic product feed (or a rules file for it),
//! for the benchmarks of issue 6 and for trying basket on a big catalog:
//!
//! ```text
//! cargo run --release --example gen-feed -- --items 1000000 --format merchant --out /tmp/feed.xml
//! cargo run --release --example gen-feed -- --items 1000 --format jsonl
//! cargo run --release --example gen-feed -- --rules 100 --feed /tmp/feed.xml --out /tmp/rules.toml
//! ```
//!
//! Item `i` depends only on `(seed, i)`, so the same arguments give the same bytes
//! and the rules file can name ids and barcodes that are in the feed without
//! reading it. About 200 category paths (`Food > Snacks > Chocolate`), 60 brands,
//! prices from 0.30 to about 60.00 with ~20% on sale, a mix of availabilities,
//! and GTIN-13s with valid check digits.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use clap::Parser;

#[path = "support/generate.rs"]
mod generate;

use generate::{write_feed, write_rules, Format};

#[derive(Debug, Parser)]
#[command(about = "Generate a deterministic product feed or a rules file for benchmarks")]
struct Args {
    /// Number of items in the feed.
    #[arg(long, default_value_t = 1000)]
    items: u64,
    /// The feed's format.
    #[arg(long, value_enum, default_value_t = Format::Merchant)]
    format: Format,
    /// Write here instead of to stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Changes every item; the same seed gives the same feed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write a rules file of this many rules instead of a feed.
    #[arg(long, value_name = "N")]
    rules: Option<usize>,
    /// With --rules: the feed the rules read (its kind follows its extension:
    /// .xml merchant, .csv csv, anything else json).
    #[arg(long, requires = "rules")]
    feed: Option<String>,
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(File::create(path)?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    match args.rules {
        Some(n) => {
            let feed = args.feed.as_deref().unwrap_or("feed.xml");
            write_rules(&mut out, n, feed, args.items, args.seed)?;
        }
        None => write_feed(&mut out, args.format, args.items, args.seed)?,
    }
    out.flush()
}
