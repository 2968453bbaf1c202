//! A product's text as selectors compare it: lowercase, no accents, no `en:`
//! prefix, GTINs as their significant digits.
//!
//! This is the hot path of a check over a large feed: every product meets it
//! once, before any rule. Most feed text is plain ASCII, whose folded form
//! differs from the text only in case, so such text is not copied at all: it
//! is compared without regard to ASCII case ([`text::caseless_eq`]; the
//! index's signatures ignore it too). Only the rest (accents,
//! `en:` tags, dashes, GTINs with spaces) is folded, into buffers reused from
//! product to product. Rules' keys are folded when the rules are read, so they
//! are lowercase already.

use std::borrow::Cow;

use crate::model::{is_plain_gtin, normalize_gtin_into, Product};
use crate::text;

/// A product with its text folded once for all the rules that look at it.
pub(crate) struct Folded<'p> {
    pub(crate) product: &'p Product,
    text: Cow<'p, FoldedText>,
}

/// The parts of one product's text that had to be folded, in buffers that keep
/// their capacity when refilled with the next product.
#[derive(Clone, Default)]
pub(crate) struct FoldedText {
    /// The name folded, if it is not ASCII (else the words are read from the
    /// product's own name).
    name: String,
    name_folded: bool,
    /// The byte ranges of the name's words, in `name` or the product's name.
    words: Vec<(usize, usize)>,
    /// The brand folded, if it is not ASCII; `brand_span` says where the
    /// brand to compare is (none without a brand).
    brand: String,
    brand_span: Option<Span>,
    /// The categories that had to be folded, one after another;
    /// `category_spans` has one entry per category of the product.
    categories: String,
    category_spans: Vec<Span>,
    /// A GTIN that is not just digits (`5 449000 011527`), normalized.
    gtin: String,
    gtin_digits: GtinDigits,
}

/// Where a part of a product's text is as selectors compare it: trimmed once
/// here, not at each comparison.
#[derive(Clone, Copy)]
enum Span {
    /// These bytes of the product's own text: plain ASCII, compared without
    /// regard to case.
    Own(usize, usize),
    /// These bytes of the buffer it was folded into.
    Folded(usize, usize),
}

impl Span {
    #[inline]
    fn of<'t>(self, own: &'t str, folded: &'t str) -> &'t str {
        match self {
            Span::Own(a, b) => &own[a..b],
            Span::Folded(a, b) => &folded[a..b],
        }
    }
}

/// Where a product's GTIN's significant digits are: looked up for every
/// product (the basket, the index), so found once.
#[derive(Clone, Copy, Default)]
enum GtinDigits {
    /// No GTIN, or not one.
    #[default]
    None,
    /// The product's own GTIN, from this byte on.
    Raw(usize),
    /// `FoldedText::gtin`, from this byte on.
    Normalized(usize),
}

impl FoldedText {
    /// Folds what `p` needs folded, reusing the buffers.
    pub(crate) fn refill(&mut self, p: &Product) {
        self.name_folded = !p.name.is_ascii();
        if self.name_folded {
            text::word_ranges_into(&p.name, &mut self.name, &mut self.words);
        } else {
            text::ascii_word_ranges(&p.name, &mut self.words);
        }

        self.brand.clear();
        self.brand_span = p.brand.as_deref().map(|brand| {
            let (a, b) = text::trimmed_range(brand);
            if brand.is_ascii() {
                Span::Own(a, b)
            } else {
                text::fold_into(&brand[a..b], &mut self.brand);
                Span::Folded(0, self.brand.len())
            }
        });

        self.categories.clear();
        self.category_spans.clear();
        for c in &p.categories {
            let (a, b) = text::trimmed_range(c);
            let span = if text::is_plain_tag(&c[a..b]) {
                Span::Own(a, b)
            } else {
                let start = self.categories.len();
                text::fold_tag_into(&c[a..b], &mut self.categories);
                Span::Folded(start, self.categories.len())
            };
            self.category_spans.push(span);
        }

        let zeros = |digits: &str| digits.len() - significant_digits(digits).len();
        self.gtin_digits = match p.gtin.as_deref() {
            None => GtinDigits::None,
            Some(g) if is_plain_gtin(g) => GtinDigits::Raw(zeros(g)),
            Some(g) if normalize_gtin_into(g, &mut self.gtin) => {
                GtinDigits::Normalized(zeros(&self.gtin))
            }
            Some(_) => GtinDigits::None,
        };
    }
}

impl<'p> Folded<'p> {
    /// Folds `product` into new buffers: for the few products outside the
    /// stream (the basket's items).
    pub(crate) fn new(product: &'p Product) -> Folded<'p> {
        let mut text = FoldedText::default();
        text.refill(product);
        Folded {
            product,
            text: Cow::Owned(text),
        }
    }

    /// `product` with its text already folded into `text` by
    /// [`FoldedText::refill`].
    pub(crate) fn borrowing(product: &'p Product, text: &'p FoldedText) -> Folded<'p> {
        Folded {
            product,
            text: Cow::Borrowed(text),
        }
    }

    /// The name's words, to compare with [`text::caseless_eq`].
    pub(crate) fn words(&self) -> impl Iterator<Item = &str> {
        let t = &*self.text;
        let name = if t.name_folded {
            t.name.as_str()
        } else {
            self.product.name.as_str()
        };
        t.words.iter().map(move |&(a, b)| &name[a..b])
    }

    pub(crate) fn has_word(&self, folded_word: &str) -> bool {
        self.words().any(|w| text::caseless_eq(w, folded_word))
    }

    /// The brand, to compare with [`text::caseless_eq`].
    pub(crate) fn brand(&self) -> Option<&str> {
        let own = self.product.brand.as_deref()?;
        Some(self.text.brand_span?.of(own, &self.text.brand))
    }

    pub(crate) fn brand_is(&self, folded_brand: &str) -> bool {
        self.brand()
            .is_some_and(|b| text::caseless_eq(b, folded_brand))
    }

    /// The categories, to compare with [`text::caseless_eq`].
    pub(crate) fn categories(&self) -> impl Iterator<Item = &str> {
        let t = &*self.text;
        self.product
            .categories
            .iter()
            .zip(&t.category_spans)
            .map(move |(c, span)| span.of(c, &t.categories))
    }

    pub(crate) fn in_category(&self, folded_category: &str) -> bool {
        self.categories()
            .any(|c| text::caseless_eq(c, folded_category))
    }

    /// The GTIN's significant digits (without leading zeros), what
    /// [`significant_digits`] gives for a rule's or the basket's GTIN.
    pub(crate) fn gtin_digits(&self) -> Option<&str> {
        match self.text.gtin_digits {
            GtinDigits::None => None,
            GtinDigits::Raw(from) => self.product.gtin.as_deref().map(|g| &g[from..]),
            GtinDigits::Normalized(from) => Some(&self.text.gtin[from..]),
        }
    }
}

/// A GTIN without its leading zeros: GTIN-8, -12, -13 and -14 forms of one code
/// compare equal once padded to 14 digits, and so once the padding is dropped.
pub(crate) fn significant_digits(gtin: &str) -> &str {
    gtin.trim_start_matches('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(
        name: &str,
        brand: Option<&str>,
        categories: &[&str],
        gtin: Option<&str>,
    ) -> Product {
        Product {
            name: name.into(),
            brand: brand.map(Into::into),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            gtin: gtin.map(Into::into),
            ..Product::default()
        }
    }

    /// Whatever path a part takes (read in place or folded), it compares as
    /// the folding functions say it should.
    #[test]
    fn plain_and_folded_text_compare_alike() {
        let p = product(
            "Crème BRÛLÉE, Sun-cream SPF30",
            Some("  Nestlé "),
            &["Food > x", " Dark  Chocolate ", "en:plant-milks", "Pâtes"],
            Some("5 449000 011527"),
        );
        let f = Folded::new(&p);
        let words: Vec<&str> = f.words().collect();
        assert_eq!(words, text::words(&p.name));
        assert!(f.has_word("brulee") && f.has_word("spf30") && !f.has_word("sun-cream"));
        assert!(f.brand_is("nestle"));
        let cats: Vec<String> = f.categories().map(str::to_lowercase).collect();
        let expected: Vec<String> = p.categories.iter().map(|c| text::fold_tag(c)).collect();
        assert_eq!(cats, expected);
        assert!(f.in_category("dark chocolate") && f.in_category("plant milks"));
        assert_eq!(f.gtin_digits(), Some("5449000011527"));

        let plain = product(
            "Dark Chocolate 70%",
            Some("Acme"),
            &["Snacks"],
            Some("05449000011527"),
        );
        let f = Folded::new(&plain);
        assert!(f.has_word("dark") && f.has_word("70") && !f.has_word("dar"));
        assert!(f.brand_is("acme") && !f.brand_is("acm"));
        assert!(f.in_category("snacks"));
        assert_eq!(f.gtin_digits(), Some("5449000011527"));
        let not_gtin = product("x", None, &[], Some("abc"));
        assert_eq!(Folded::new(&not_gtin).gtin_digits(), None);
    }

    #[test]
    fn buffers_are_refilled_not_mixed() {
        let accented = product("Crème", Some("Nestlé"), &["en:a-b"], Some("1-2"));
        let plain = product("Tea", Some("Acme"), &["Drinks"], Some("12"));
        let mut buffers = FoldedText::default();
        buffers.refill(&accented);
        buffers.refill(&plain);
        let f = Folded::borrowing(&plain, &buffers);
        assert_eq!(f.words().collect::<Vec<_>>(), ["Tea"]);
        assert_eq!(f.brand(), Some("Acme"));
        assert_eq!(f.categories().collect::<Vec<_>>(), ["Drinks"]);
        assert_eq!(f.gtin_digits(), Some("12"));
    }
}
