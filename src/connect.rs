//! Connecting a feed to the rules file, shared by `basket feeds add` and
//! `basket watch`: the checks on the rules file made before any request, the
//! probe of the URL, and the append (validated, or only shown with
//! `--dry-run`), with what each step prints.

use std::io::Write as _;

use anyhow::Context as _;

use crate::context::Context;
use crate::error::{CmdResult, Failure};
use crate::feeds::{probe, FeedKind};
use crate::output::feeds as view;
use crate::rules::edit::{EditError, RulesFile};

/// The rules file, read and checked before any request: TOML, the name free,
/// and writable unless nothing is to be written.
pub fn open_for(ctx: &Context, name: &str, dry_run: bool) -> Result<RulesFile, Failure> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(Failure::usage(format!("'{name}' cannot name a feed"))
            .with_hint("use letters, digits, '-' and '_', e.g. tonys-shop"));
    }
    let file = RulesFile::open(&ctx.rules_path)?;
    if file.has_feed(name) {
        return Err(EditError::NameInUse {
            path: file.path.clone(),
            name: name.to_string(),
        }
        .into());
    }
    if !dry_run {
        file.check_writable()?;
    }
    Ok(file)
}

/// Probes `url`; nothing found is a failure listing each kind tried.
pub fn find(
    ctx: &Context,
    name: &str,
    url: &str,
    only: Option<FeedKind>,
) -> Result<probe::Sample, Failure> {
    let rules = ctx.load_rules().ok();
    let currency = rules.as_ref().map(|r| r.settings.currency.clone());
    let fetcher = crate::check::fetcher(ctx, rules.as_ref(), false, ctx.interactive && !ctx.quiet)?;
    probe::probe(&fetcher, name, url, only, currency, ctx.now).map_err(|tried| {
        Failure::failed(view::nothing_found(url, &tried))
            .with_hint("check the URL in a browser; pass --kind KIND to try one kind only")
    })
}

/// Appends `addition` (validated first), or only shows it with `dry_run`.
pub fn append(ctx: &Context, file: &RulesFile, addition: &str, dry_run: bool) -> CmdResult {
    let (text, _) = file.with(addition)?;
    let shown = file.path.display();
    if dry_run {
        return out(&format!(
            "would add to {shown} (--dry-run: nothing written):\n{}",
            addition.trim_end()
        ));
    }
    file.write(&text)?;
    if ctx.quiet {
        return Ok(());
    }
    out(&format!("added to {shown}:\n{}", addition.trim_end()))
}

pub fn parse_kind(k: &str) -> Result<FeedKind, Failure> {
    FeedKind::parse(k)
        .filter(|k| probe::PROBED.contains(&k.as_str()))
        .ok_or_else(|| {
            Failure::usage(format!("--kind {k} is not a kind feeds add can try"))
                .with_hint(format!("kinds: {}", probe::PROBED.join(", ")))
        })
}

/// A line (or lines) on stdout; a closed pipe ends the command quietly.
pub fn out(text: &str) -> CmdResult {
    raw(&format!("{text}\n"))
}

pub fn raw(text: &str) -> CmdResult {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("cannot write to stdout")?;
    Ok(())
}

/// The product behind a URL for `basket watch`: a Shopify product (all its
/// variants) when the URL is one, else a product page.
pub fn find_product(ctx: &Context, name: &str, url: &str) -> Result<probe::Sample, Failure> {
    let rules = ctx.load_rules().ok();
    let currency = rules.as_ref().map(|r| r.settings.currency.clone());
    let fetcher = crate::check::fetcher(ctx, rules.as_ref(), false, ctx.interactive && !ctx.quiet)?;
    let mut tried = Vec::new();
    let mut kinds = vec![FeedKind::Page];
    if crate::feeds::shopify_product_url(url).is_some() {
        kinds.insert(0, FeedKind::Shopify(crate::feeds::Pages::default()));
    }
    for kind in kinds {
        match probe::probe(&fetcher, name, url, Some(kind), currency.clone(), ctx.now) {
            Ok(found) => return Ok(found),
            Err(t) => tried.extend(t),
        }
    }
    Err(Failure::failed(view::nothing_found(url, &tried)).with_hint(
        "watch reads one product page; for a whole shop or feed use `basket feeds add NAME URL`",
    ))
}

/// A feed name from a URL: its last path segment (`chelsea-boot-black-42`),
/// else its host, made of letters, digits and `-`, and not one in use.
pub fn feed_name_for(url: &str, file: &RulesFile) -> String {
    let parsed = reqwest::Url::parse(url).ok();
    let segment = parsed
        .as_ref()
        .and_then(|u| u.path_segments())
        .and_then(|mut s| s.rfind(|s| !s.is_empty()).map(str::to_string));
    let host = parsed
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_string));
    let raw = segment.or(host).unwrap_or_else(|| "watched".into());
    let mut slug = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "watched" } else { slug };
    let mut name = slug.to_string();
    let mut n = 2;
    while file.has_feed(&name) {
        name = format!("{slug}-{n}");
        n += 1;
    }
    name
}

/// The rule's name: `Chelsea boot under £15.00`, `Chelsea boot 20% down`,
/// made unique in the file.
pub fn rule_name(
    product: &str,
    condition: &crate::rules::edit::NewCondition,
    currency: &str,
    file: &RulesFile,
) -> String {
    use crate::rules::edit::NewCondition;
    let base = match condition {
        NewCondition::Below(p) => {
            let amount = crate::model::money(*p);
            let shown = match currency {
                "GBP" => format!("£{amount}"),
                "EUR" => format!("€{amount}"),
                "USD" => format!("${amount}"),
                other => format!("{amount} {other}"),
            };
            format!("{product} under {shown}")
        }
        NewCondition::Drop(pct) => format!("{product} {}% down", pct.normalize()),
    };
    let mut name = base.clone();
    let mut n = 2;
    while file.has_rule(&name) {
        name = format!("{base} ({n})");
        n += 1;
    }
    name
}
