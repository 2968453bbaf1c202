//! `basket watch URL`: one product page (or Shopify product) becomes a feed and
//! a rule in one step, appended to the rules file like `feeds add` does.

use crate::cli::WatchArgs;
use crate::connect::{append, feed_name_for, find_product, open_for, out, rule_name};
use crate::context::Context;
use crate::error::CmdResult;
use crate::output::feeds as view;
use crate::rules::edit::{NewCondition, NewFeed, NewRule, RulesFile};

pub fn run(ctx: &Context, args: &WatchArgs) -> CmdResult {
    let name = match &args.name {
        Some(n) => n.clone(),
        None => feed_name_for(&args.url, &RulesFile::open(&ctx.rules_path)?),
    };
    let file = open_for(ctx, &name, false)?;
    let sample = find_product(ctx, &name, &args.url)?;
    out(&view::found(&sample))?;
    let condition = match (args.below, args.drop) {
        (Some(price), _) => NewCondition::Below(price),
        (None, Some(pct)) => NewCondition::Drop(pct),
        // clap requires one of the two.
        (None, None) => return Ok(()),
    };
    let product = sample.products.first().map_or(name.as_str(), |p| {
        // A product's variants are named "Title - Variant": the rule is on the title.
        match p.name.rsplit_once(" - ") {
            Some((title, _)) if sample.count > 1 => title,
            _ => p.name.as_str(),
        }
    });
    let currency = ctx
        .load_rules()
        .map(|r| r.settings.currency)
        .unwrap_or_default();
    let rule = NewRule {
        name: rule_name(product, &condition, &currency, &file),
        feed: name.clone(),
        condition,
        notify: args.notify,
    };
    let feed = NewFeed {
        name: name.clone(),
        kind: sample.source.kind.to_string(),
        url: sample.source.url.clone(),
    };
    append(ctx, &file, &RulesFile::addition(&feed, Some(&rule)), false)?;
    if !ctx.quiet {
        out("next: `basket check` runs the new rule with the others")?;
    }
    Ok(())
}
