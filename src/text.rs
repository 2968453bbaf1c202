//! Text folding for matching: selectors compare case-insensitively and ignore
//! accents, and category tags are compared without their `en:` language prefix.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Lowercases and strips accents: `"Crème Brûlée"` -> `"creme brulee"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// [`fold`], appended to `out`: the engine folds every product of a feed into
/// the same few buffers instead of allocating new strings for each.
pub fn fold_into(s: &str, out: &mut String) {
    if s.is_ascii() {
        let start = out.len();
        out.push_str(s);
        out[start..].make_ascii_lowercase();
        return;
    }
    // Character by character rather than through an NFD stream: the combining
    // marks NFD would reorder are dropped anyway, so decomposing each character
    // alone gives the same text, several times faster. The ASCII between them
    // (most of a name like "Crème fraîche 200ml") is copied a run at a time.
    let mut rest = s;
    while !rest.is_empty() {
        let run = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let start = out.len();
        out.push_str(&rest[..run]);
        out[start..].make_ascii_lowercase();
        rest = &rest[run..];
        let Some(c) = rest.chars().next() else { break };
        decompose_canonical(c, |d| {
            if !is_combining_mark(d) {
                out.extend(d.to_lowercase());
            }
        });
        rest = &rest[c.len_utf8()..];
    }
}

/// Folds a category or tag and drops a language prefix (`en:chocolates` -> `chocolates`).
/// Dashes and spaces are equivalent (`en:dark-chocolates` matches `Dark chocolates`).
pub fn fold_tag(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_tag_into(s, &mut out);
    out
}

/// [`fold_tag`], appended to `out` (see [`fold_into`]).
pub fn fold_tag_into(s: &str, out: &mut String) {
    let s = s.trim();
    let s = match s.split_once(':') {
        Some((lang, rest)) if lang.len() == 2 && lang.chars().all(|c| c.is_ascii_alphabetic()) => {
            rest
        }
        _ => s,
    };
    // This runs for every category of every product a check reads, so the
    // usual tag (ASCII, words apart by single spaces) is copied in one go.
    if is_plain_tag(s) {
        let start = out.len();
        out.push_str(s);
        out[start..].make_ascii_lowercase();
        return;
    }
    // Otherwise whole words copied at once, then lowercased in place.
    let folded;
    let s = if s.is_ascii() {
        s
    } else {
        folded = fold(s);
        folded.as_str()
    };
    let start = out.len();
    for word in s.split(|c: char| c == '-' || c.is_whitespace()) {
        if word.is_empty() {
            continue;
        }
        if out.len() > start {
            out.push(' ');
        }
        out.push_str(word);
    }
    out[start..].make_ascii_lowercase();
}

/// What the hot scans need to know of an ASCII byte, looked up in one step
/// rather than through a chain of comparisons: every product of a feed has
/// its brand and categories scanned byte by byte. (Name words are found by
/// [`word_mask`], whose comparisons vectorize where a lookup cannot.)
///
/// White space as [`char::is_whitespace`] has it in ASCII (which, unlike
/// [`u8::is_ascii_whitespace`], counts the vertical tab).
const SPACE: u8 = 2;
/// What [`fold_tag`] changes in a tag besides its case, a space aside; and
/// any byte outside ASCII.
const NOT_IN_PLAIN_TAG: u8 = 4;

/// One entry per byte value, so that a lookup needs no bounds check.
static BYTE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if matches!(c, b' ' | b'\t'..=b'\r') {
            table[b] = SPACE;
        }
        if matches!(c, b'-' | b':' | b'\t'..=b'\r' | 0x80..=0xff) {
            table[b] |= NOT_IN_PLAIN_TAG;
        }
        b += 1;
    }
    table
};

#[inline]
fn class(b: u8) -> u8 {
    BYTE_CLASS[usize::from(b)]
}

/// ASCII, no dashes or colons, and words apart by single spaces (`s` is
/// trimmed): a tag that [`fold_tag`] only lowercases.
///
/// Without a branch per byte: where the spaces fall is what a processor
/// cannot predict, and a mispredicted branch costs as much as a dozen bytes
/// of this loop. Every product's every category meets it.
pub(crate) fn is_plain_tag(s: &str) -> bool {
    let mut bad = 0u8;
    let mut after_space = false;
    for &b in s.as_bytes() {
        let space = b == b' ';
        bad |= class(b) & NOT_IN_PLAIN_TAG | u8::from(space & after_space);
        after_space = space;
    }
    bad == 0
}

/// The byte range of `s` without its leading and trailing white space, as
/// [`str::trim`] has it: the engine keeps the range rather than trimming the
/// same text again at each comparison. ASCII ends (the usual case) are read
/// a byte at a time.
#[inline]
pub(crate) fn trimmed_range(s: &str) -> (usize, usize) {
    let b = s.as_bytes();
    let mut start = 0;
    while start < b.len() && class(b[start]) & SPACE != 0 {
        start += 1;
    }
    let mut end = b.len();
    while end > start && class(b[end - 1]) & SPACE != 0 {
        end -= 1;
    }
    if start == end || (b[start].is_ascii() && b[end - 1].is_ascii()) {
        return (start, end);
    }
    // Unicode white space (a no-break space, say) at an end.
    let inner = &s[start..end];
    let trimmed = inner.trim();
    let from = start + (trimmed.as_ptr() as usize - inner.as_ptr() as usize);
    (from, from + trimmed.len())
}

/// Whether `s` holds a control character (C0, DEL or C1: `char::is_control`),
/// which a terminal acts on instead of printing: an escape sequence in a
/// product name could clear the screen, recolour or retitle the terminal, or
/// hide text in a proposal's line.
///
/// Every text field of every product of a feed meets this, most of them a
/// few bytes long, so the usual answer comes eight bytes at a time (SWAR):
/// any ASCII control byte, DEL, or `0xC2` (the first byte of every C1
/// control, and of `£`, `°` or a no-break space). Only text with a `0xC2`
/// is looked at again, character by character.
#[inline]
pub fn has_control(s: &str) -> bool {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // The high bit of each byte that is zero (exact as "any", the classic
    // test: a borrow only runs on from a byte that is zero itself).
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let suspect = |x: u64| {
        // Below 0x20: (x - 0x20 per byte) borrows, for a byte without its high bit.
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        below_space | zero_bytes(x ^ (ONES * 0x7f)) | zero_bytes(x ^ (ONES * 0xc2))
    };
    let bytes = s.as_bytes();
    let word = |eight: &[u8]| u64::from_le_bytes(eight.try_into().unwrap_or_default());
    let found = if bytes.len() >= 8 {
        // Whole words, then the last eight bytes (overlapping the words
        // before them: a byte looked at twice is no harm).
        let mut found = suspect(word(&bytes[bytes.len() - 8..]));
        for eight in bytes.chunks_exact(8) {
            found |= suspect(word(eight));
        }
        found != 0
    } else {
        bytes.iter().any(|&b| b < 0x20 || b == 0x7f || b == 0xc2)
    };
    found && s.chars().any(char::is_control)
}

/// Replaces each run of control characters of `s` (see [`has_control`])
/// with one space (a quoted line break in a CSV name, `\r\n`, becomes one
/// space), and trims what that leaves at either end. Text without one is not
/// touched: the check allocates nothing.
pub fn make_printable(s: &mut String) {
    if !has_control(s) {
        return;
    }
    let mut cleaned = String::with_capacity(s.len());
    let mut in_run = false;
    for c in s.chars() {
        if !c.is_control() {
            cleaned.push(c);
        } else if !in_run {
            cleaned.push(' ');
        }
        in_run = c.is_control();
    }
    *s = cleaned.trim().to_string();
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

/// The folded text and the byte ranges of its words, into buffers the caller
/// reuses (both are cleared first): what [`words`] gives, without allocating
/// once the buffers have grown (the engine's per-product hot path).
pub fn word_ranges_into(s: &str, folded: &mut String, ranges: &mut Vec<(usize, usize)>) {
    folded.clear();
    fold_into(s, folded);
    word_ranges_of(folded, ranges);
}

/// The byte ranges of the words (runs of letters and digits) of `s`, into
/// `ranges` (cleared first). `s` is folded text, or ASCII text in any case:
/// case does not change where words are.
pub fn word_ranges_of(s: &str, ranges: &mut Vec<(usize, usize)>) {
    if s.is_ascii() {
        ascii_word_ranges(s, ranges);
    } else {
        ranges.clear();
        let steps = s.char_indices().map(|(i, c)| (i, c.is_alphanumeric()));
        push_runs(steps, s.len(), ranges);
    }
}

/// [`word_ranges_of`] for a text the caller knows is ASCII: bytes are
/// characters.
///
/// Every product's name meets this. Where words begin and end is what a
/// processor cannot predict, so there is no branch per byte: each 64 bytes
/// become a mask of their word bytes, and the words are read off the mask,
/// one step per word.
pub fn ascii_word_ranges(s: &str, ranges: &mut Vec<(usize, usize)>) {
    ranges.clear();
    for (n, chunk) in s.as_bytes().chunks(64).enumerate() {
        let base = n * 64;
        let mask = word_mask(chunk);
        // Bit i of `starts`: byte i begins a word; of `ends`: it ends one.
        let mut starts = mask & !(mask << 1);
        let mut ends = mask & !(mask >> 1);
        while starts != 0 {
            let (a, b) = (
                base + starts.trailing_zeros() as usize,
                base + ends.trailing_zeros() as usize + 1,
            );
            match ranges.last_mut() {
                // A word across two chunks: within one, words never touch.
                Some(last) if last.1 == a => last.1 = b,
                _ => ranges.push((a, b)),
            }
            starts &= starts - 1;
            ends &= ends - 1;
        }
    }
}

/// Bit `i` set where `chunk[i]` (at most 64 bytes) is an ASCII letter or digit.
///
/// Comparisons over a whole zeroed 64-byte block rather than [`BYTE_CLASS`]
/// per byte: the compiler vectorizes the first loop (a table lookup per byte
/// cannot be), and each 8 flags (bytes of 0 or 1) are gathered into 8 bits by
/// one multiplication, byte `k`'s flag landing on bit 56 + `k`. A zero byte
/// is not a word byte, so the padding past a short name reads as a gap.
#[inline]
fn word_mask(chunk: &[u8]) -> u64 {
    let mut block = [0u8; 64];
    block[..chunk.len()].copy_from_slice(chunk);
    let mut flags = [0u8; 64];
    for (flag, &b) in flags.iter_mut().zip(&block) {
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        *flag = u8::from(letter | digit);
    }
    let mut mask = 0u64;
    for (i, eight) in flags.chunks_exact(8).enumerate() {
        let eight = u64::from_le_bytes(eight.try_into().unwrap_or_default());
        mask |= (eight.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * i);
    }
    mask
}

/// The ranges of the runs of `true` in `(offset, in_word)` steps over a text
/// of `len` bytes.
fn push_runs(
    steps: impl Iterator<Item = (usize, bool)>,
    len: usize,
    ranges: &mut Vec<(usize, usize)>,
) {
    let mut start = None;
    for (i, word) in steps {
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(b)) => {
                ranges.push((b, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(b) = start {
        ranges.push((b, len));
    }
}

/// Whether `text` equals `folded` (text already folded, so lowercase) once
/// folded, for a `text` that is folded or plain ASCII: the two then differ at
/// most in ASCII case. The engine compares feed text this way without copying it.
pub fn caseless_eq(text: &str, folded: &str) -> bool {
    text.eq_ignore_ascii_case(folded)
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
    fn control_characters_become_one_space_and_the_rest_is_untouched() {
        let printable = |s: &str| {
            let mut s = s.to_string();
            make_printable(&mut s);
            s
        };
        assert_eq!(printable("Mint\r\nTea"), "Mint Tea");
        assert_eq!(printable("\u{1b}[2JTea\u{7}"), "[2JTea");
        assert_eq!(printable("Tea\u{9b}31m"), "Tea 31m");
        // `£`, `°` and a no-break space share 0xC2 with the C1 controls.
        assert!(!has_control("£5 for 2 · 30\u{b0}C\u{a0}max"));
        assert!(has_control("a\u{85}b") && has_control("\u{7f}") && has_control("\t"));
        assert!(!has_control("") && !has_control("plain text longer than eight"));
    }

    proptest::proptest! {
        /// Decomposing character by character is NFD without the reordering
        /// of combining marks, which folding drops: the same text.
        #[test]
        fn folding_matches_the_nfd_stream(s in "\\PC{0,24}") {
            use unicode_normalization::UnicodeNormalization;
            let reference: String = s
                .nfd()
                .filter(|c| !is_combining_mark(*c))
                .flat_map(char::to_lowercase)
                .collect();
            proptest::prop_assert_eq!(fold(&s), reference);
        }

        /// The engine keeps trimmed ranges instead of trimming again: the
        /// range must be exactly what `str::trim` leaves, Unicode spaces and
        /// the vertical tab included.
        #[test]
        fn trimmed_range_is_what_trim_leaves(
            s in "[ \t\u{0B}\u{A0}\u{3000}a-c\u{E9}-]{0,12}"
        ) {
            let (a, b) = trimmed_range(&s);
            proptest::prop_assert_eq!(&s[a..b], s.trim());
        }

        /// `make_printable` leaves no control character, and changes nothing
        /// else: every other character stays, in order.
        #[test]
        fn printable_text_keeps_all_but_the_controls(
            s in "[a-z £°\u{A0}\u{1b}\u{7}\t\n\u{7f}\u{9b}\u{85}é]{0,24}"
        ) {
            let mut cleaned = s.clone();
            make_printable(&mut cleaned);
            proptest::prop_assert!(!cleaned.chars().any(char::is_control));
            let kept = |t: &str| {
                t.chars().filter(|c| !c.is_control() && !c.is_whitespace()).collect::<String>()
            };
            proptest::prop_assert_eq!(kept(&cleaned), kept(&s));
            proptest::prop_assert_eq!(has_control(&s), s.chars().any(char::is_control));
        }

        /// Words of names longer than the 64 bytes read at a time, and words
        /// across the 64th byte, come out whole.
        #[test]
        fn long_names_split_into_the_same_words(s in "[a-c0-9 ,-]{0,200}") {
            let mut ranges = Vec::new();
            ascii_word_ranges(&s, &mut ranges);
            let from_ranges: Vec<String> =
                ranges.iter().map(|&(a, b)| s[a..b].to_string()).collect();
            proptest::prop_assert_eq!(from_ranges, words(&s));
        }

        /// The table-driven scans say what the plain definitions say.
        #[test]
        fn byte_scans_agree_with_their_definitions(
            s in "[ \t\u{0B}a-cA-C0-9:\u{E9}_,-]{0,16}"
        ) {
            let mut after_space = false;
            let plain = s.chars().all(|c| {
                let space = c == ' ';
                let ok = c.is_ascii() && c != '-' && c != ':' && !(after_space && space)
                    && (space || !c.is_whitespace());
                after_space = space;
                ok
            });
            proptest::prop_assert_eq!(is_plain_tag(&s), plain);
            if s.is_ascii() {
                let mut ranges = vec![(9, 9)];
                ascii_word_ranges(&s, &mut ranges);
                let from_ranges: Vec<String> =
                    ranges.iter().map(|&(a, b)| s[a..b].to_ascii_lowercase()).collect();
                proptest::prop_assert_eq!(from_ranges, words(&s));
            }
        }
    }

    #[test]
    fn trimmed_range_keeps_inner_spaces() {
        assert_eq!(trimmed_range("  Dark  chocolate\t"), (2, 17));
        assert_eq!(trimmed_range("\u{A0}Pâtes\u{A0} "), (2, 8));
        assert_eq!(trimmed_range("   "), (3, 3));
        assert_eq!(trimmed_range(""), (0, 0));
    }

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
            let (mut folded, mut ranges) = (String::from("stale"), vec![(0, 1)]);
            word_ranges_into(text, &mut folded, &mut ranges);
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
