//! Full-text search: a tantivy index per node in the data folder, fed once
//! from the change journal, queried with the same access scope as SQL.

/// Tokenizers: raw (lower-cased, ё folded) and stemmed (every stemmer of
/// the word's script).
pub mod analysis;
/// The query language of the search box, parsed without I/O.
pub mod query;
/// A Ukrainian stemmer of our own (Snowball has none).
pub mod ukrainian;
