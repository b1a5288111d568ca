//! The analyzers the index and the query share: a raw one (lower-cased,
//! ё folded) and a stemmed one that emits, at the word's own position, the
//! stem of every language of the word's script (Russian and Ukrainian for
//! Cyrillic, English and German for Latin): a ticket's language is not known,
//! and a search word must meet every inflected form of itself.

use tantivy::Index;
use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TextAnalyzerBuilder, Token,
    TokenFilter, TokenStream, Tokenizer,
};

use crate::search::ukrainian;

/// Tokenizer name of the raw analyzer (exact words).
pub const RAW: &str = "bilet_raw";
/// Tokenizer name of the stemming analyzer.
pub const STEM: &str = "bilet_stem";

/// Tokens of this many bytes or more are dropped (hashes, base64, URLs' junk).
const MAX_TOKEN_BYTES: usize = 64;

/// Words → lower case → ё folded. Users type е for ё almost always.
pub fn raw_analyzer() -> TextAnalyzer {
    raw_chain().build()
}

/// The raw chain followed by [`MultiStem`].
pub fn stem_analyzer() -> TextAnalyzer {
    raw_chain().filter(MultiStem).build()
}

fn raw_chain() -> TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(FoldYo)
}

/// Registers both analyzers under [`RAW`] and [`STEM`].
pub fn register(index: &Index) {
    index.tokenizers().register(RAW, raw_analyzer());
    index.tokenizers().register(STEM, stem_analyzer());
}

/// One word as the raw chain leaves it: lower-cased (per char, as
/// LowerCaser does) with ё folded to е.
pub fn fold(word: &str) -> String {
    let lower = word.chars().flat_map(char::to_lowercase);
    lower.map(fold_char).collect()
}

/// The distinct stems [`MultiStem`] emits for a folded word, in its order.
pub fn stems(folded_word: &str) -> Vec<String> {
    if folded_word.is_empty() || folded_word.len() >= MAX_TOKEN_BYTES {
        return Vec::new();
    }
    let (first, second) = stem_pair(folded_word);
    std::iter::once(first).chain(second).collect()
}

/// The token texts an analyzer makes of `text`.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |token: &Token| out.push(token.text.clone());
    analyzer.token_stream(text).process(&mut push);
    out
}

fn fold_char(c: char) -> char {
    if c == 'ё' || c == 'Ё' { 'е' } else { c }
}

/// The stems of one word by every stemmer of its script; the second only
/// when it differs from the first. Digits or mixed scripts ("ip6", "v2",
/// "serverсервер") are codes, better left as typed.
fn stem_pair(word: &str) -> (String, Option<String>) {
    use frostem::{Algorithm, Stemmer};
    let snowball = |algorithm| Stemmer::new(algorithm).stem(word).into_owned();
    let cyrillic =
        |c: char| c == 'ʼ' || (c.is_alphabetic() && ('\u{400}'..='\u{52f}').contains(&c));
    let latin =
        |c: char| c.is_alphabetic() && (c.is_ascii() || ('\u{c0}'..='\u{24f}').contains(&c));
    let (first, second) = if word.chars().all(cyrillic) {
        (snowball(Algorithm::Russian), ukrainian::stem(word))
    } else if word.chars().all(latin) {
        (snowball(Algorithm::English), snowball(Algorithm::German))
    } else {
        return (word.to_string(), None);
    };
    let second = (second != first).then_some(second);
    (first, second)
}

/// What a filter makes of one token's text: its new text (None: unchanged)
/// and an optional second token at the same position and offsets.
type Rewrite = fn(&str) -> (Option<String>, Option<String>);

/// Folds ё/Ё to е after LowerCaser (which keeps ё as it is).
#[derive(Clone)]
pub struct FoldYo;

impl TokenFilter for FoldYo {
    type Tokenizer<T: Tokenizer> = RewriteFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> RewriteFilter<T> {
        // Most tokens have no ё: they are left alone, not copied.
        let rewrite: Rewrite = |text| {
            let has_yo = text.contains(['ё', 'Ё']);
            (has_yo.then(|| text.chars().map(fold_char).collect()), None)
        };
        RewriteFilter { inner, rewrite }
    }
}

/// Replaces each word by its stems, all at the word's position and offsets,
/// like synonyms: phrase queries still see one word per position, and
/// snippets highlight the source word.
#[derive(Clone)]
pub struct MultiStem;

impl TokenFilter for MultiStem {
    type Tokenizer<T: Tokenizer> = RewriteFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> RewriteFilter<T> {
        let rewrite: Rewrite = |text| {
            let (first, second) = stem_pair(text);
            (Some(first), second)
        };
        RewriteFilter { inner, rewrite }
    }
}

/// The tokenizer both filters build: `inner` with `rewrite` applied.
#[derive(Clone)]
pub struct RewriteFilter<T> {
    inner: T,
    rewrite: Rewrite,
}

impl<T: Tokenizer> Tokenizer for RewriteFilter<T> {
    type TokenStream<'a> = RewriteStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RewriteStream {
            tail: self.inner.token_stream(text),
            rewrite: self.rewrite,
            pending: None,
        }
    }
}

pub struct RewriteStream<T> {
    tail: T,
    rewrite: Rewrite,
    /// The second token of the current word, emitted by the next advance.
    pending: Option<String>,
}

impl<T: TokenStream> TokenStream for RewriteStream<T> {
    fn advance(&mut self) -> bool {
        // Only the tail token's text changes: position and offsets stay the
        // source word's, so a second token is a twin of the first.
        if let Some(text) = self.pending.take() {
            self.tail.token_mut().text = text;
            return true;
        }
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        let (text, second) = (self.rewrite)(&token.text);
        if let Some(text) = text {
            token.text = text;
        }
        self.pending = second;
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
    use tantivy::{Term, doc};

    /// The stem analyzer's tokens of `a` and of `b` meet.
    fn meet(a: &str, b: &str) -> bool {
        let mut stem = stem_analyzer();
        let left = tokens(&mut stem, a);
        tokens(&mut stem, b).iter().any(|t| left.contains(t))
    }

    fn all_tokens(mut analyzer: TextAnalyzer, text: &str) -> Vec<Token> {
        let (mut out, mut stream) = (Vec::new(), analyzer.token_stream(text));
        stream.process(&mut |t| out.push(t.clone()));
        out
    }

    #[test]
    fn inflected_forms_share_a_stem() {
        for form in ["сервера", "серверов", "сервером", "серверів", "Сервер"]
        {
            assert!(meet("сервер", form), "сервер / {form}");
        }
        assert!(meet("сертифікат", "сертифіката") && meet("сертифікатів", "сертифікатом"));
        assert!(meet("disk", "disks") && meet("Rechnung", "Rechnungen"));
        assert!(!meet("сервер", "сертифікат") && !meet("disk", "Rechnung"));
    }

    #[test]
    fn yo_is_folded_in_both_analyzers() {
        assert_eq!(tokens(&mut raw_analyzer(), "ёлка Ёлка"), ["елка", "елка"]);
        let stemmed = tokens(&mut stem_analyzer(), "Ёлка");
        assert_eq!(stemmed, tokens(&mut stem_analyzer(), "елка"));
        assert_eq!(stems(&fold("Ёлка")), stemmed);
        assert_eq!(fold("ЁЛКА Ёж"), "елка еж");
    }

    #[test]
    fn stems_keep_position_and_offsets_of_their_word() {
        let text = "Сервера не отвечают, disks 42 东京 failed";
        let words = all_tokens(raw_analyzer(), text);
        let stemmed = all_tokens(stem_analyzer(), text);
        for (position, word) in words.iter().enumerate() {
            // Each word gives its distinct stems, in stems() order, at its
            // own position and byte offsets.
            let at: Vec<&Token> = stemmed.iter().filter(|t| t.position == position).collect();
            let texts: Vec<&str> = at.iter().map(|t| t.text.as_str()).collect();
            assert_eq!(texts, stems(&word.text), "{}", word.text);
            let span = (word.offset_from, word.offset_to);
            assert!(at.iter().all(|t| (t.offset_from, t.offset_to) == span));
        }
        let expected: usize = words.iter().map(|w| stems(&w.text).len()).sum();
        assert_eq!(stemmed.len(), expected);
        // «отвечают»: Russian отвеча, Ukrainian keeps it; both at position 2.
        assert_eq!(stems("отвечают"), ["отвеча", "отвечают"]);
        assert_eq!(stems("сервера"), ["сервер"]);
        for code in ["42", "东京", "ip6", "serverсервер"] {
            assert_eq!(stems(code), [code]);
        }
    }

    #[test]
    fn long_words_are_dropped() {
        let long = "а".repeat(40); // 80 bytes
        let text = format!("один {long} два");
        assert_eq!(tokens(&mut raw_analyzer(), &text), ["один", "два"]);
        let short = tokens(&mut stem_analyzer(), "один два");
        assert_eq!(tokens(&mut stem_analyzer(), &text), short);
        assert!(stems(&long).is_empty());
    }

    #[test]
    fn index_finds_inflected_words() -> tantivy::Result<()> {
        let mut builder = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(STEM)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let options = TextOptions::default().set_indexing_options(indexing);
        let body = builder.add_text_field("body", options);
        let index = Index::create_in_ram(builder.build());
        register(&index);
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
        let docs = "Сервера не отвечают|Rechnungen offen|two disks failed";
        for text in docs.split('|') {
            writer.add_document(doc!(body => text))?;
        }
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        // One segment, documents in insertion order: doc ids 0, 1, 2.
        let find = |word: &str| -> Vec<u32> {
            let terms = stems(&fold(word)).into_iter().map(|stem| {
                let term = Term::from_field_text(body, &stem);
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>
            });
            let query = BooleanQuery::union(terms.collect());
            let top = TopDocs::with_limit(10).order_by_score();
            let hits = searcher.search(&query, &top).expect("search");
            hits.iter().map(|(_, address)| address.doc_id).collect()
        };
        assert_eq!(find("сервер"), [0]);
        assert_eq!(find("Rechnung"), [1]);
        assert_eq!(find("disk"), [2]);
        assert_eq!(find("failing"), [2]);
        assert!(find("сертификат").is_empty());
        Ok(())
    }
}
