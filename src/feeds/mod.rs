//! Temporary stand-in until the feeds branch merges.
use std::time::Duration;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind { Json, Csv, Merchant, Page, OpenFoodFacts }
impl FeedKind {
    pub const ALL: [&'static str; 5] = ["json", "csv", "merchant", "page", "openfoodfacts"];
    pub fn parse(s: &str) -> Option<FeedKind> { match s { "json" => Some(FeedKind::Json), "csv" => Some(FeedKind::Csv), "merchant" => Some(FeedKind::Merchant), "page" => Some(FeedKind::Page), "openfoodfacts" => Some(FeedKind::OpenFoodFacts), _ => None } }
    pub fn as_str(self) -> &'static str { match self { FeedKind::Json => "json", FeedKind::Csv => "csv", FeedKind::Merchant => "merchant", FeedKind::Page => "page", FeedKind::OpenFoodFacts => "openfoodfacts" } }
}
#[derive(Debug, Clone)]
pub struct FeedSource { pub name: String, pub kind: FeedKind, pub url: String, pub currency: Option<String> }
pub mod open_meteo { pub const DEFAULT_URL: &str = "https://api.open-meteo.com/v1/forecast"; }
pub struct FetchOptions { pub connect_timeout: Duration }
