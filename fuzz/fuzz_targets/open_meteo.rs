//! An Open-Meteo answer: any bytes give a Forecast or a FeedError, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = basket::api::feeds::open_meteo::parse_forecast(data);
});
