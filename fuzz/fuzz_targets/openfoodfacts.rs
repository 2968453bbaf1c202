//! An Open Food Facts answer (a product, or a search page): any bytes give facts
//! or a FeedError, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = basket::api::feeds::openfoodfacts::parse_product("off", "3017620422003", data);
    let _ = basket::api::feeds::openfoodfacts::parse_search_page("off", data);
});
