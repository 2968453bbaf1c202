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
    // One pass, one allocation: this runs for every category of every product
    // a check reads.
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    let mut push = |c: char| {
        if c == '-' || c.is_whitespace() {
            gap = !out.is_empty();
        } else {
            if gap {
                out.push(' ');
                gap = false;
            }
            out.push(c);
        }
    };
    if s.is_ascii() {
        s.chars()
            .map(|c| c.to_ascii_lowercase())
            .for_each(&mut push);
    } else {
        fold(s).chars().for_each(&mut push);
    }
    out
}

/// The words of a text, folded: what `name` selectors match against.
pub fn words(s: &str) -> Vec<String> {
    if s.is_ascii() {
        // The common case, without folding the whole text first.
        return s
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
    }
    fold(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The folded text and the byte ranges of its words: what `words` gives,
/// with one allocation for the text and one for the ranges instead of one per
/// word (the engine's per-product hot path).
pub fn word_ranges(s: &str) -> (String, Vec<(usize, usize)>) {
    let folded = fold(s);
    let mut ranges = Vec::new();
    let mut start = None;
    for (i, c) in folded.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(b)) => {
                ranges.push((b, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(b) = start {
        ranges.push((b, folded.len()));
    }
    (folded, ranges)
}

/// FNV-1a as a `Hasher`, for the engine's lookup tables keyed by short
/// strings: much cheaper than SipHash, and nothing there is attacker-chosen in a
/// way that could hurt (the keys come from the shopper's own rules).
#[derive(Default, Clone, Copy)]
pub struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

pub type FnvBuild = std::hash::BuildHasherDefault<FnvHasher>;

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
    fn tags_collapse_runs_of_dashes_and_spaces() {
        assert_eq!(
            fold_tag("  Food -  Snacks--Chocolate "),
            "food snacks chocolate"
        );
        assert_eq!(fold_tag("en:-x-"), "x");
        assert_eq!(fold_tag("Crème - Brûlée"), "creme brulee");
    }

    #[test]
    fn word_ranges_give_the_same_words() {
        for text in [
            "Sun-cream SPF30, 200ml",
            "Crème Brûlée  à la  carte",
            "",
            "--",
        ] {
            let (folded, ranges) = word_ranges(text);
            let from_ranges: Vec<&str> = ranges.iter().map(|&(a, b)| &folded[a..b]).collect();
            assert_eq!(from_ranges, words(text), "{text}");
        }
    }

    #[test]
    fn words_split_on_punctuation() {
        assert_eq!(
            words("Sun-cream SPF30, 200ml"),
            vec!["sun", "cream", "spf30", "200ml"]
        );
    }
}
