//! Which rules a product can possibly satisfy, found by lookups rather than by
//! trying every rule: the reason a check over a million products with a hundred
//! rules costs little more than reading the feed.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::rules::Selector;
use crate::text;

use super::folded::{significant_digits, Folded};

/// What an item of the index (a rule, or a selector) needs of a product.
pub(super) enum Anchor<'s> {
    /// Every product may matter.
    Every,
    /// No product matters (the item has nothing to do).
    Never,
    /// Only products that might satisfy this selector.
    Selector(&'s Selector),
    /// Only products in one of these (folded) categories.
    Categories(Vec<&'s str>),
}

/// Items indexed by the one identity condition each must meet (id, GTIN,
/// brand, category, or a word of the name, in that order of preference); items
/// with none meet every product. A product from a million-line feed then meets
/// only the few that could want it.
#[derive(Default)]
pub(super) struct AnchorIndex {
    always: Vec<usize>,
    by_id: Anchors,
    by_gtin: Anchors,
    by_brand: Anchors,
    by_category: Anchors,
    by_word: Anchors,
}

impl AnchorIndex {
    /// `anchors[i]` is what item `i` needs of a product.
    pub(super) fn build(anchors: &[Anchor]) -> AnchorIndex {
        let mut index = AnchorIndex {
            by_id: Anchors::exact(),
            ..AnchorIndex::default()
        };
        for (i, anchor) in anchors.iter().enumerate() {
            let s = match anchor {
                Anchor::Every => {
                    index.always.push(i);
                    continue;
                }
                Anchor::Never => continue,
                Anchor::Categories(categories) => {
                    for c in categories {
                        index.by_category.insert(c, i);
                    }
                    continue;
                }
                Anchor::Selector(s) => s,
            };
            if let Some(id) = &s.id {
                index.by_id.insert(id, i);
            } else if let Some(gtin) = &s.gtin {
                index.by_gtin.insert(significant_digits(gtin), i);
            } else if let Some(brand) = &s.brand {
                index.by_brand.insert(brand, i);
            } else if let Some(category) = &s.category {
                index.by_category.insert(category, i);
            } else if let Some(word) = s.name_words.iter().max_by_key(|w| w.len()) {
                // Every word must occur in the name, so the longest (likely the
                // rarest) is a sound anchor.
                index.by_word.insert(word, i);
            } else {
                index.always.push(i);
            }
        }
        index
    }

    /// The items `f` can satisfy, appended to `out` (unsorted, maybe repeated).
    pub(super) fn candidates(&self, f: &Folded, out: &mut Vec<usize>) {
        out.extend_from_slice(&self.always);
        let mut add = |anchors: &Anchors, key: Option<&str>| {
            if let Some(items) = key.and_then(|k| anchors.get(k)) {
                out.extend_from_slice(items);
            }
        };
        add(&self.by_id, Some(f.product.id.as_str()));
        if !self.by_gtin.is_empty() {
            add(&self.by_gtin, f.gtin_digits());
        }
        if !self.by_brand.is_empty() {
            add(&self.by_brand, f.brand());
        }
        if !self.by_category.is_empty() {
            for c in f.categories() {
                add(&self.by_category, Some(c));
            }
        }
        if !self.by_word.is_empty() {
            for w in f.words() {
                add(&self.by_word, Some(w));
            }
        }
    }
}

/// Anchor text -> items. Keys are hashed and compared without regard to ASCII
/// case (they are folded, and the product's text is folded or plain ASCII; see
/// `folded`), except ids, which compare exactly. Every product looks up each of
/// its words and categories and almost none is an anchor, so a small bit filter
/// on the key's length and ends answers most lookups before any hashing.
#[derive(Default)]
struct Anchors {
    /// Caseless hash -> the keys with that hash, and their items.
    map: HashMap<u64, Vec<(Box<str>, Vec<usize>)>, BuildHasherDefault<Prehashed>>,
    filter: [u64; 8],
    exact: bool,
}

impl Anchors {
    fn exact() -> Anchors {
        Anchors {
            exact: true,
            ..Anchors::default()
        }
    }

    /// The filter's word and bit for `key`, the same in any ASCII case.
    fn filter_bit(key: &str) -> (usize, u64) {
        let b = key.as_bytes();
        let end = |i: Option<&u8>| usize::from(i.map_or(0, u8::to_ascii_lowercase));
        let mix = end(b.first()) * 31 + end(b.last()) * 7 + b.len();
        ((mix >> 6) & 7, 1 << (mix & 63))
    }

    fn insert(&mut self, key: &str, item: usize) {
        let (word, bit) = Anchors::filter_bit(key);
        self.filter[word] |= bit;
        let same = self.map.entry(text::caseless_hash(key)).or_default();
        match same.iter_mut().find(|(k, _)| **k == *key) {
            Some((_, items)) => items.push(item),
            None => same.push((key.into(), vec![item])),
        }
    }

    fn get(&self, key: &str) -> Option<&[usize]> {
        let (word, bit) = Anchors::filter_bit(key);
        if self.filter[word] & bit == 0 {
            return None;
        }
        self.map
            .get(&text::caseless_hash(key))?
            .iter()
            .find(|(k, _)| {
                if self.exact {
                    **k == *key
                } else {
                    text::caseless_eq(key, k)
                }
            })
            .map(|(_, items)| items.as_slice())
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The hasher of a map whose keys are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; any other input still hashes well.
        self.0 = text::fnv1a64_continue(self.0 ^ text::FNV_OFFSET, bytes);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_ignore_ascii_case_except_for_ids() {
        let mut words = Anchors::default();
        words.insert("chocolate", 1);
        words.insert("chocolate", 2);
        words.insert("tea", 3);
        assert_eq!(words.get("Chocolate"), Some(&[1, 2][..]));
        assert_eq!(words.get("TEA"), Some(&[3][..]));
        assert_eq!(words.get("te"), None);
        assert_eq!(words.get("coffee"), None);
        let mut ids = Anchors::exact();
        ids.insert("SKU-1", 4);
        assert_eq!(ids.get("SKU-1"), Some(&[4][..]));
        assert_eq!(ids.get("sku-1"), None);
    }
}
