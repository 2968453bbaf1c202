//! The rules file: any text must give a RuleSet or a RulesError, never a panic
//! or a stack overflow.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = basket::api::rules::parse_str(std::path::Path::new("rules.toml"), text);
    }
});
