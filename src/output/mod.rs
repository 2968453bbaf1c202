//! output: what the shopper sees — tables, and the text around them.
//!
//! [`table`] is the one place that decides how basket's tables look (preset,
//! content arrangement, width, header); the commands only say what goes in
//! the cells.

pub mod table;
