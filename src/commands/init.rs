//! `basket init`: writes the annotated example rules, never over the shopper's own.

use anyhow::Context as _;

use crate::context::Context;
use crate::error::{CmdResult, Failure};

/// The annotated example, also at the project root.
pub const EXAMPLE_RULES: &str = include_str!("../../rules.example.toml");

pub fn run(ctx: &Context, force: bool) -> CmdResult {
    let path = &ctx.rules_path;
    if path.exists() && !force {
        return Err(Failure::failed(format!(
            "{} already exists; not overwriting it",
            path.display()
        ))
        .with_hint("edit it, or pass --force to replace it with the example"));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Write beside, then rename: a crash never leaves half a rules file.
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, EXAMPLE_RULES)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    if !ctx.quiet {
        println!("wrote {}", path.display());
        println!("next: edit the feeds and rules, then `basket rules check` and `basket check`");
        println!(
            "connect the shops you use: `basket feeds add NAME URL` finds what a URL is (a Shopify or WooCommerce shop, a feed, a product page) and adds it"
        );
    }
    Ok(())
}
