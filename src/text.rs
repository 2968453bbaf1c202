//! Text folding for matching: selectors compare case-insensitively and ignore
//! accents, and category tags are compared without their `en:` language prefix.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Lowercases and strips accents: `"Crème Brûlée"` -> `"creme brulee"`.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Folds a category or tag and drops a language prefix (`en:chocolates` -> `chocolates`).
/// Dashes and spaces are equivalent (`en:dark-chocolates` matches `Dark chocolates`).
pub fn fold_tag(s: &str) -> String {
    let s = s.trim();
    let s = match s.split_once(':') {
        Some((lang, rest)) if lang.len() == 2 && lang.chars().all(|c| c.is_ascii_alphabetic()) => {
            rest
        }
        _ => s,
    };
    fold(s)
        .replace('-', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of a text, folded: what `name` selectors match against.
pub fn words(s: &str) -> Vec<String> {
    fold(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// 64-bit FNV-1a: a small, stable hash for proposal ids (stable across builds and
/// platforms, unlike `std`'s `DefaultHasher`).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_continue(FNV_OFFSET, bytes)
}

/// FNV-1a's starting value: `fnv1a64(b) == fnv1a64_continue(FNV_OFFSET, b)`.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Goes on hashing from `hash`, so a stream can be hashed chunk by chunk:
/// `fnv1a64_continue(fnv1a64(a), b) == fnv1a64(a ++ b)`.
pub fn fnv1a64_continue(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(fold("Crème Brûlée"), "creme brulee");
        assert_eq!(fold("NOCCIOLATA"), "nocciolata");
    }

    #[test]
    fn tags_lose_language_prefix_and_dashes() {
        assert_eq!(fold_tag("en:dark-chocolates"), "dark chocolates");
        assert_eq!(fold_tag("Dark chocolates"), "dark chocolates");
        assert_eq!(fold_tag("fr:pâtes-à-tartiner"), "pates a tartiner");
    }

    #[test]
    fn words_split_on_punctuation() {
        assert_eq!(
            words("Sun-cream SPF30, 200ml"),
            vec!["sun", "cream", "spf30", "200ml"]
        );
    }
}
