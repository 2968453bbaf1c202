//! Looking products up in the feeds by hand (`basket add QUERY`): the same
//! gathering as a check, without the weather, keeping only what matches.

use crate::context::Context;
use crate::error::Failure;
use crate::model::Product;
use crate::rules::RuleSet;

/// The products of every feed that match `query` (see
/// [`Product::matches_query`]); what could not be read is warned about.
pub fn find_in_feeds(
    ctx: &Context,
    ruleset: &RuleSet,
    query: &str,
    offline: bool,
) -> Result<Vec<Product>, Failure> {
    let gathered = super::gather(ctx, ruleset, offline, false)?;
    for w in &gathered.warnings {
        ctx.warn(w);
    }
    let mut found: Vec<Product> = Vec::new();
    for body in &gathered.bodies {
        let result = body.parse(ctx.now, &mut |p| {
            if p.matches_query(query) {
                found.push(p);
            }
        });
        match result {
            Ok(report) => {
                for w in report.warning().into_iter().chain(report.kept_warning()) {
                    ctx.warn(&w);
                }
            }
            Err(e) => ctx.warn(&format!("feed '{}': {e}", body.source.name)),
        }
    }
    Ok(found)
}
