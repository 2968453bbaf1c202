//! The price-string parser: any text, with or without a currency hint, gives a
//! price or None, never a panic; a price is never negative.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Split on the first NUL: before it the text, after it the hint.
    let (text, hint) = match text.split_once('\0') {
        Some((t, h)) => (t, Some(h)),
        None => (text, None),
    };
    for hint in [hint, None, Some("EUR"), Some("kr")] {
        if let Some(p) = basket::api::feeds::price::parse_price(text, hint) {
            assert!(!p.amount.is_sign_negative() || p.amount.is_zero(), "{text:?} -> {p:?}");
        }
    }
    for sep in ['.', ',', '€'] {
        let _ = basket::api::feeds::price::parse_price_with_separator(text, hint, Some(sep));
    }
});
