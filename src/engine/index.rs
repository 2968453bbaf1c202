//! Which rules a product can possibly satisfy, found by lookups rather than by
//! trying every rule: the reason a check over a million products with a hundred
//! rules costs little more than reading the feed.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::model::BasketItem;
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
/// category, brand, or a word of the name, in that order of preference); items
/// with none meet every product. A product from a million-line feed then meets
/// only the few that could want it.
#[derive(Default)]
pub(super) struct AnchorIndex {
    always: Vec<usize>,
    by_id: Anchors,
    by_gtin: Anchors,
    by_brand: Anchors,
    by_category: Anchors,
    /// Items anchored by their name's words are anchored by all of them:
    /// `(item, which word)`, and an item is a candidate only if every one of
    /// its `words_needed` occurs. Names are made of common words ("sensitive
    /// tea"), so any single word would let through far too many products.
    by_word: Anchors<(usize, u8)>,
    words_needed: Vec<u8>,
}

/// Buffers [`AnchorIndex::candidates`] reuses from product to product.
#[derive(Default)]
pub(super) struct Scratch {
    word_hits: Vec<(usize, u8)>,
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
            // Any one condition is a sound anchor, as a match meets them all;
            // the likely rarest is the best. A rule's category is usually a
            // specific one ("Night Nappies"), narrower than a brand's range.
            if let Some(id) = &s.id {
                index.by_id.insert(id, i);
            } else if let Some(gtin) = &s.gtin {
                index.by_gtin.insert(significant_digits(gtin), i);
            } else if let Some(category) = &s.category {
                index.by_category.insert(category, i);
            } else if let Some(brand) = &s.brand {
                index.by_brand.insert(brand, i);
            } else if !s.name_words.is_empty() {
                let mut words: Vec<&str> = s.name_words.iter().map(String::as_str).collect();
                words.sort_unstable();
                words.dedup();
                // Beyond 255 words, the first 255 still narrow it down.
                words.truncate(usize::from(u8::MAX));
                index.words_needed.resize(anchors.len(), 0);
                index.words_needed[i] = u8::try_from(words.len()).unwrap_or(u8::MAX);
                for (n, word) in (0..=u8::MAX).zip(words) {
                    index.by_word.insert(word, (i, n));
                }
            } else {
                index.always.push(i);
            }
        }
        index
    }

    /// The items `f` can satisfy, appended to `out` (unsorted, maybe repeated).
    pub(super) fn candidates(&self, f: &Folded, scratch: &mut Scratch, out: &mut Vec<usize>) {
        out.extend_from_slice(&self.always);
        // Not a closure: this way it is inlined at each of its calls.
        #[inline(always)]
        fn add(out: &mut Vec<usize>, anchors: &Anchors, key: Option<&str>) {
            if let Some(items) = key.and_then(|k| anchors.get(k)) {
                out.extend_from_slice(items);
            }
        }
        add(out, &self.by_id, Some(f.product.id.as_str()));
        if !self.by_gtin.is_empty() {
            add(out, &self.by_gtin, f.gtin_digits());
        }
        if !self.by_brand.is_empty() {
            add(out, &self.by_brand, f.brand());
        }
        if !self.by_category.is_empty() {
            for c in f.categories() {
                add(out, &self.by_category, Some(c));
            }
        }
        if !self.by_word.is_empty() {
            let hits = &mut scratch.word_hits;
            hits.clear();
            for w in f.words() {
                if let Some(found) = self.by_word.get(w) {
                    hits.extend_from_slice(found);
                }
            }
            // A word may occur twice in a name: count each of an item's
            // words once.
            hits.sort_unstable();
            hits.dedup();
            for run in hits.chunk_by(|a, b| a.0 == b.0) {
                let item = run[0].0;
                if run.len() == usize::from(self.words_needed[item]) {
                    out.push(item);
                }
            }
        }
    }
}

/// The basket's items by id and by GTIN, for the question every product of a
/// feed asks: is it in the basket? Through the same signature filter, most
/// products are answered without hashing anything.
pub(super) struct BasketIndex<'b> {
    basket: &'b [BasketItem],
    by_id: Anchors,
    by_gtin: Anchors,
}

impl<'b> BasketIndex<'b> {
    pub(super) fn new(basket: &'b [BasketItem]) -> BasketIndex<'b> {
        let mut index = BasketIndex {
            basket,
            by_id: Anchors::exact(),
            by_gtin: Anchors::exact(),
        };
        for (i, item) in basket.iter().enumerate() {
            index.by_id.insert(&item.product.id, i);
            if let Some(g) = item.product.gtin14() {
                index.by_gtin.insert(significant_digits(&g), i);
            }
        }
        index
    }

    /// The same product as a basket item: the same feed and id, or the same GTIN.
    pub(super) fn contains(&self, f: &Folded) -> bool {
        if self.basket.is_empty() {
            return false;
        }
        let p = f.product;
        let same_feed =
            |items: &[usize]| items.iter().any(|&i| self.basket[i].product.feed == p.feed);
        self.by_id.get(&p.id).is_some_and(same_feed)
            || f.gtin_digits()
                .is_some_and(|g| self.by_gtin.get(g).is_some())
    }
}

/// Anchor text -> items. Keys are compared without regard to ASCII case (they
/// are folded, and the product's text is folded or plain ASCII; see `folded`),
/// except ids, which compare exactly.
///
/// Every product looks up each of its words and categories, and almost none is
/// an anchor, so lookups go by a signature that costs a few instructions
/// rather than a hash of every byte: the length and four letters. A bit per
/// signature answers most lookups at once; the few that pass compare the keys
/// that share the signature.
struct Anchors<T = usize> {
    /// Signature -> the keys with that signature, and their items.
    map: HashMap<u64, Vec<Keyed<T>>, BuildHasherDefault<Prehashed>>,
    /// One bit per signature (4,096 of them, in 512 bytes).
    filter: Box<[u64; 64]>,
    exact: bool,
}

/// An anchor's text and its items.
type Keyed<T> = (Box<str>, Vec<T>);

impl<T> Default for Anchors<T> {
    fn default() -> Self {
        Anchors {
            map: HashMap::default(),
            filter: Box::new([0; 64]),
            exact: false,
        }
    }
}

impl Anchors {
    fn exact() -> Anchors {
        Anchors {
            exact: true,
            ..Anchors::default()
        }
    }
}

impl<T: Copy> Anchors<T> {
    /// `key`'s signature, the same in any ASCII case: its length and its
    /// first, middle, last but one and last bytes, mixed. Setting bit 5 of
    /// each byte folds ASCII case (it also merges a few punctuation marks
    /// with others, which only makes the rare extra comparison).
    #[inline]
    fn signature(key: &str) -> u64 {
        let b = key.as_bytes();
        let n = b.len();
        let packed = match n {
            0 => 0,
            _ => {
                let byte = |i: usize| u64::from(b[i] | 0x20);
                byte(0) | byte(n / 2) << 8 | byte(n.saturating_sub(2)) << 16 | byte(n - 1) << 24
            }
        } | (n as u64) << 32;
        packed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    /// The filter's word and bit for a signature (its top 12 bits).
    fn filter_bit(signature: u64) -> (usize, u64) {
        let top = signature >> 52;
        ((top >> 6) as usize, 1 << (top & 63))
    }

    fn insert(&mut self, key: &str, item: T) {
        let signature = Self::signature(key);
        let (word, bit) = Self::filter_bit(signature);
        self.filter[word] |= bit;
        let same = self.map.entry(signature).or_default();
        match same.iter_mut().find(|(k, _)| **k == *key) {
            Some((_, items)) => items.push(item),
            None => same.push((key.into(), vec![item])),
        }
    }

    // Inlined: it runs a dozen times per product, and mostly ends at the
    // filter, a few instructions that a call would double.
    #[inline(always)]
    fn get(&self, key: &str) -> Option<&[T]> {
        let signature = Self::signature(key);
        let (word, bit) = Self::filter_bit(signature);
        if self.filter[word] & bit == 0 {
            return None;
        }
        self.map
            .get(&signature)?
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
    use crate::model::Product;

    fn candidates(index: &AnchorIndex, name: &str, categories: &[&str]) -> Vec<usize> {
        let product = Product {
            id: "x".into(),
            name: name.into(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            ..Product::default()
        };
        let mut out = Vec::new();
        index.candidates(&Folded::new(&product), &mut Scratch::default(), &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// A name selector's item is a candidate only when all its words occur,
    /// each counted once however often the name repeats it.
    #[test]
    fn name_anchors_need_every_word() {
        let sweet_cream = Selector {
            name_words: vec!["sweet".into(), "cream".into(), "cream".into()],
            ..Selector::default()
        };
        let tea = Selector {
            category: Some("tea".into()),
            ..Selector::default()
        };
        let index = AnchorIndex::build(&[
            Anchor::Selector(&sweet_cream),
            Anchor::Selector(&tea),
            Anchor::Every,
            Anchor::Never,
            Anchor::Categories(vec!["soap", "tea"]),
        ]);
        assert_eq!(candidates(&index, "Cream Cream Cake", &[]), [2]);
        assert_eq!(candidates(&index, "SWEET Cream 200ml", &[]), [0, 2]);
        assert_eq!(candidates(&index, "Swéet CREAM", &[]), [0, 2]);
        assert_eq!(candidates(&index, "Crème sweet", &[]), [2]);
        assert_eq!(
            candidates(&index, "Earl Grey", &["Drinks", "Tea"]),
            [1, 2, 4]
        );
        assert_eq!(candidates(&index, "Bar", &["en:soap"]), [2, 4]);
    }

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
