//! A size out of a product name, byte by byte: numbers at the start of a
//! word, the unit word after them, and the `2 x 85g` / `330ml x 6` forms of
//! a multipack. No regex and no allocation: this runs for every product of a
//! million-line feed (BENCHMARKS.md, "sizes from names").

use rust_decimal::Decimal;

use super::{Size, SizeUnit};

/// What a unit word means: a weight, a volume, or a count of items.
enum Unit {
    Measure(SizeUnit, Decimal),
    Count,
}

/// A number read at some place in the name, and what follows it.
struct Reading {
    value: Decimal,
    /// Just past the number.
    end: usize,
}

pub(super) fn read(name: &[u8]) -> Option<Size> {
    let mut count = None;
    let mut i = 0;
    while i < name.len() {
        if !starts_number(name, i) {
            i += 1;
            continue;
        }
        let Some(first) = number_at(name, i) else {
            i += 1;
            continue;
        };
        let after = skip_spaces(name, first.end);
        // `2 x 85g`, `4x125g`, `12 × 330 ml`.
        if let Some(second_at) = times(name, after) {
            if let Some(second) = number_at(name, second_at) {
                match unit_after(name, second.end) {
                    Some((Unit::Measure(unit, factor), _)) => {
                        return Size::new(first.value * second.value * factor, unit);
                    }
                    Some((Unit::Count, _)) if count.is_none() => {
                        count = Some(first.value * second.value);
                    }
                    _ => {}
                }
                i = second.end;
                continue;
            }
        }
        match unit_after(name, first.end) {
            Some((Unit::Measure(unit, factor), end)) => {
                if network_generation(name, i, first.end, end) {
                    i = end;
                    continue;
                }
                // `330ml x 6`: the multiplier after the measure.
                let times_after = multiplier_after(name, end).unwrap_or(Decimal::ONE);
                return Size::new(first.value * factor * times_after, unit);
            }
            Some((Unit::Count, end)) => {
                count = count.or(Some(first.value));
                i = end;
            }
            None => {
                if count.is_none() && follows_pack_of(name, i) {
                    count = Some(first.value);
                }
                i = first.end;
            }
        }
    }
    count.and_then(|c| Size::new(c, SizeUnit::Count))
}

/// A number starts here: a digit at the start of a word, not the second
/// half of `2-3` or `1/2`, nor inside `B12` or `iPhone15`.
fn starts_number(name: &[u8], i: usize) -> bool {
    if !name[i].is_ascii_digit() {
        return false;
    }
    let Some(&before) = i.checked_sub(1).and_then(|b| name.get(b)) else {
        return true;
    };
    if before.is_ascii_alphanumeric() || before == b'.' || before == b',' {
        return false;
    }
    let joined = matches!(before, b'-' | b'/');
    let after_digit = i >= 2 && name[i - 2].is_ascii_digit();
    !(joined && after_digit)
}

/// The number at `i`: digits, with a decimal point or comma (`1.5`, `0,75`);
/// a comma before exactly three digits groups thousands (`1,000`).
fn number_at(name: &[u8], i: usize) -> Option<Reading> {
    let mut mantissa: i64 = 0;
    let mut scale = 0u32;
    let mut in_fraction = false;
    let mut j = i;
    let mut digits = 0;
    while j < name.len() {
        let b = name[j];
        if b.is_ascii_digit() {
            digits += 1;
            if digits > 15 {
                return None;
            }
            mantissa = mantissa * 10 + i64::from(b - b'0');
            if in_fraction {
                scale += 1;
            }
            j += 1;
            continue;
        }
        let next_is_digit = name.get(j + 1).is_some_and(u8::is_ascii_digit);
        if in_fraction || !next_is_digit || !(b == b'.' || b == b',') {
            break;
        }
        let run = name[j + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if b == b',' && run == 3 {
            // Thousands: read on as part of the whole number.
            j += 1;
            continue;
        }
        in_fraction = true;
        j += 1;
    }
    Some(Reading {
        value: Decimal::new(mantissa, scale),
        end: j,
    })
}

/// A whole text that is one number (`750`, `1.5`, `0,75`), for measures.
pub(super) fn number(text: &[u8]) -> Option<Decimal> {
    if text.first().is_none_or(|b| !b.is_ascii_digit()) {
        return None;
    }
    let r = number_at(text, 0)?;
    (r.end == text.len()).then_some(r.value)
}

/// Past spaces (and no-break spaces) from `i`.
fn skip_spaces(name: &[u8], mut i: usize) -> usize {
    loop {
        match name.get(i..) {
            Some([b' ' | b'\t', ..]) => i += 1,
            Some([0xC2, 0xA0, ..]) => i += 2,
            _ => return i,
        }
    }
}

/// A multiplication sign at `i` (`x`, `X`, `*`, `×`) followed by a number:
/// where that number starts.
fn times(name: &[u8], i: usize) -> Option<usize> {
    let past = match name.get(i..)? {
        [b'x' | b'X' | b'*', ..] => i + 1,
        [0xC3, 0x97, ..] => i + 2,
        _ => return None,
    };
    let at = skip_spaces(name, past);
    name.get(at).is_some_and(u8::is_ascii_digit).then_some(at)
}

/// ` x 6` after a measure, ending the word: the number of them.
fn multiplier_after(name: &[u8], end: usize) -> Option<Decimal> {
    let at = times(name, skip_spaces(name, end))?;
    let n = number_at(name, at)?;
    let ends_word = name.get(n.end).is_none_or(|b| !b.is_ascii_alphanumeric());
    let is_count_or_nothing = matches!(unit_after(name, n.end), None | Some((Unit::Count, _)));
    (ends_word || is_count_or_nothing).then_some(n.value)
}

/// The unit word after a number (spaces or a hyphen between), and where it
/// ends; `None` when what follows is no unit (`%`, `GB`, nothing).
fn unit_after(name: &[u8], end: usize) -> Option<(Unit, usize)> {
    let mut at = skip_spaces(name, end);
    let hyphen = name.get(at) == Some(&b'-');
    if hyphen {
        at += 1;
    }
    let word_end = word_end(name, at);
    if word_end == at {
        return None;
    }
    let word = &name[at..word_end];
    // `fl oz`, `fl. oz`.
    if word.eq_ignore_ascii_case(b"fl") {
        let mut next = word_end;
        if name.get(next) == Some(&b'.') {
            next += 1;
        }
        let next = skip_spaces(name, next);
        let oz_end = word_end_of(name, next);
        if name[next..oz_end].eq_ignore_ascii_case(b"oz") {
            return Some((Unit::Measure(SizeUnit::Ml, fl_oz()), oz_end));
        }
        return None;
    }
    let found = unit(word).map(|(u, f)| Unit::Measure(u, f));
    let found = found.or_else(|| is_count_word(word).then_some(Unit::Count))?;
    // `6-pack` is a count; `500-g` is not how a size is written.
    if hyphen && !matches!(found, Unit::Count) {
        return None;
    }
    Some((found, word_end))
}

/// The end of the ASCII letters from `at`, if the word ends there (a unit
/// glued to more letters or digits, `400gsm`, is no unit).
fn word_end(name: &[u8], at: usize) -> usize {
    let end = word_end_of(name, at);
    if name
        .get(end)
        .is_some_and(|b| b.is_ascii_digit() || *b >= 0x80)
    {
        return at;
    }
    end
}

fn word_end_of(name: &[u8], at: usize) -> usize {
    at + name
        .get(at..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count()
}

fn fl_oz() -> Decimal {
    Decimal::new(295_735_295_625, 10)
}

/// A weight or volume unit word, and how many of the unit kept one is.
pub(super) fn unit(word: &[u8]) -> Option<(SizeUnit, Decimal)> {
    const WORDS: &[(&[&str], SizeUnit)] = &[
        (
            &[
                "g", "gr", "grs", "gram", "grams", "gramm", "gramme", "grammes",
            ],
            SizeUnit::G,
        ),
        (
            &["kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"],
            SizeUnit::Kg,
        ),
        (
            &[
                "ml",
                "mls",
                "millilitre",
                "millilitres",
                "milliliter",
                "milliliters",
            ],
            SizeUnit::Ml,
        ),
        (&["cl", "centilitre", "centilitres"], SizeUnit::Cl),
        (
            &[
                "l", "lt", "ltr", "ltrs", "litre", "litres", "liter", "liters",
            ],
            SizeUnit::L,
        ),
    ];
    for (words, unit) in WORDS {
        if words
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w.as_bytes()))
        {
            return Some((*unit, Decimal::ONE));
        }
    }
    let one_of = |words: &[&str]| {
        words
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w.as_bytes()))
    };
    if one_of(&["oz", "ozs", "ounce", "ounces"]) {
        return Some((SizeUnit::G, Decimal::new(28_349_523_125, 9)));
    }
    if one_of(&["lb", "lbs"]) {
        return Some((SizeUnit::G, Decimal::new(45_359_237, 5)));
    }
    if one_of(&["floz"]) {
        return Some((SizeUnit::Ml, fl_oz()));
    }
    if one_of(&["ct"]) {
        return Some((SizeUnit::Count, Decimal::ONE));
    }
    None
}

/// Words that count items: `6 pack`, `12 eggs`, `80 bags`.
fn is_count_word(word: &[u8]) -> bool {
    const WORDS: &[&str] = &[
        "pack", "packs", "pk", "pcs", "pc", "pieces", "piece", "count", "ct", "cans", "bottles",
        "rolls", "bags", "teabags", "pods", "capsules", "tablets", "sachets", "eggs", "pairs",
        "stuks",
    ];
    WORDS
        .iter()
        .any(|w| word.eq_ignore_ascii_case(w.as_bytes()))
}

/// `5G`, `4G` after a phone's name: the network, not five grams. Only
/// a single digit glued to a capital G.
fn network_generation(name: &[u8], start: usize, number_end: usize, unit_end: usize) -> bool {
    number_end == start + 1
        && matches!(name[start], b'2'..=b'5')
        && unit_end == number_end + 1
        && name[number_end] == b'G'
}

/// `Pack of 6`, `Case of 24`: the number after it counts items.
fn follows_pack_of(name: &[u8], i: usize) -> bool {
    let before = &name[..i];
    let trimmed = before.trim_ascii_end();
    ["pack of", "case of", "box of", "set of"].iter().any(|p| {
        trimmed.len() >= p.len()
            && trimmed[trimmed.len() - p.len()..].eq_ignore_ascii_case(p.as_bytes())
    })
}
