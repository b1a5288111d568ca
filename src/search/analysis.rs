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
/// LowerCaser does) with ё folded to е. It does not split at ʼ: a query
/// word with one is cut by [`tokens`] first.
pub fn fold(word: &str) -> String {
    let lower = word.chars().flat_map(char::to_lowercase);
    lower.map(fold_char).collect()
}

/// The distinct stems [`MultiStem`] emits for a folded word, in its order.
pub fn stems(folded_word: &str) -> Vec<String> {
    if folded_word.is_empty() || folded_word.len() >= MAX_TOKEN_BYTES {
        return Vec::new();
    }
    use frostem::{Algorithm, Stemmer};
    let snowball = |algorithm| Stemmer::new(algorithm).stem(folded_word).into_owned();
    // Cyrillic U+0400..U+052F (and ʼ, a letter of it), Latin up to U+024F.
    let cyrillic = |c: char| c == 'ʼ' || (c.is_alphabetic() && matches!(c, 'Ѐ'..='ԯ'));
    let latin = |c: char| c.is_alphabetic() && (c.is_ascii() || matches!(c, 'À'..='ɏ'));
    // Every stemmer of the word's script. Digits or mixed scripts ("ip6",
    // "v2", "serverсервер") are codes, better left as typed.
    let (first, second) = if folded_word.chars().all(cyrillic) {
        (snowball(Algorithm::Russian), ukrainian::stem(folded_word))
    } else if folded_word.chars().all(latin) {
        (snowball(Algorithm::English), snowball(Algorithm::German))
    } else {
        return vec![folded_word.to_string()];
    };
    let mut both = vec![first, second];
    both.dedup();
    both
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

/// Folds ё/Ё to е after LowerCaser (which keeps ё as it is), and cuts words
/// at the Ukrainian apostrophe ʼ (U+02BC), a letter to SimpleTokenizer,
/// as it already cuts them at ' and ’: зв'язок, зв’язок and звʼязок then
/// give the same two tokens at two positions.
#[derive(Clone)]
pub struct FoldYo;

impl TokenFilter for FoldYo {
    type Tokenizer<T: Tokenizer> = RewriteFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> RewriteFilter<T> {
        RewriteFilter(inner, fold_yo)
    }
}

fn fold_yo(token: &Token, out: &mut Vec<Token>) -> bool {
    if !token.text.contains(['ё', 'Ё', 'ʼ']) {
        return false; // most tokens: left alone, not copied
    }
    let folded: String = token.text.chars().map(fold_char).collect();
    // Piece offsets are exact only if lower-casing kept the byte length.
    let exact = folded.len() == token.offset_to - token.offset_from;
    let mut start = 0;
    for piece in folded.split('ʼ') {
        if !piece.is_empty() {
            let mut t = retext(token, piece.to_string());
            t.position = token.position + out.len();
            if exact {
                t.offset_from = token.offset_from + start;
                t.offset_to = t.offset_from + piece.len();
            }
            out.push(t);
        }
        start += piece.len() + 'ʼ'.len_utf8();
    }
    true
}

/// Replaces each word by its [`stems`], all at the word's position and
/// offsets, like synonyms: phrase queries still see one word per position,
/// and snippets highlight the source word.
#[derive(Clone)]
pub struct MultiStem;

impl TokenFilter for MultiStem {
    type Tokenizer<T: Tokenizer> = RewriteFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> RewriteFilter<T> {
        let rewrite: Rewrite = |token, out| {
            out.extend(stems(&token.text).into_iter().map(|s| retext(token, s)));
            true
        };
        RewriteFilter(inner, rewrite)
    }
}

/// What a filter makes of one token: false to keep it as it is, or true and
/// the tokens to emit instead (maybe none). These may take later positions
/// (a cut word): the words after them move along.
type Rewrite = fn(&Token, &mut Vec<Token>) -> bool;

fn retext(token: &Token, text: String) -> Token {
    let mut copy = token.clone();
    copy.text = text;
    copy
}

/// The tokenizer both filters build: a tokenizer and a rewrite of its tokens.
#[derive(Clone)]
pub struct RewriteFilter<T>(T, Rewrite);

impl<T: Tokenizer> Tokenizer for RewriteFilter<T> {
    type TokenStream<'a> = RewriteStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RewriteStream {
            tail: self.0.token_stream(text),
            rewrite: self.1,
            token: Token::default(),
            queue: Vec::new(),
            shift: 0,
        }
    }
}

pub struct RewriteStream<T> {
    tail: T,
    rewrite: Rewrite,
    token: Token,
    /// Tokens still to emit for the current word, last first.
    queue: Vec<Token>,
    /// Positions added by cut words so far.
    shift: usize,
}

impl<T: TokenStream> TokenStream for RewriteStream<T> {
    fn advance(&mut self) -> bool {
        loop {
            if let Some(next) = self.queue.pop() {
                self.token = next;
                return true;
            }
            if !self.tail.advance() {
                return false;
            }
            self.token.clone_from(self.tail.token());
            self.token.position += self.shift;
            if !(self.rewrite)(&self.token, &mut self.queue) {
                return true;
            }
            if let Some(last) = self.queue.last() {
                self.shift += last.position - self.token.position;
            }
            self.queue.reverse();
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
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
        for form in "сервера серверов сервером серверів Сервер".split(' ')
        {
            assert!(meet("сервер", form), "сервер / {form}");
        }
        assert!(meet("сертифікат", "сертифіката") && meet("сертифікатів", "сертифікатом"));
        assert!(meet("disk", "disks") && meet("Rechnung", "Rechnungen"));
        assert!(!meet("сервер", "сертифікат") && !meet("disk", "Rechnung"));
    }

    #[test]
    fn yo_is_folded_and_long_words_dropped_in_both_analyzers() {
        assert_eq!(tokens(&mut raw_analyzer(), "ёлка Ёлка"), ["елка", "елка"]);
        let stemmed = tokens(&mut stem_analyzer(), "Ёлка");
        assert_eq!(stemmed, tokens(&mut stem_analyzer(), "елка"));
        assert_eq!(stems(&fold("Ёлка")), stemmed);
        assert_eq!(fold("ЁЛКА Ёж"), "елка еж");
        let long = "а".repeat(40); // 80 bytes
        let text = format!("один {long} два");
        assert_eq!(tokens(&mut raw_analyzer(), &text), ["один", "два"]);
        let short = tokens(&mut stem_analyzer(), "один два");
        assert_eq!(tokens(&mut stem_analyzer(), &text), short);
        assert!(stems(&long).is_empty());
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
        let codes = ["42", "东京", "ip6", "serverсервер"];
        assert!(codes.iter().all(|&code| stems(code) == [code]));
    }

    #[test]
    fn apostrophes_cut_words_alike() {
        let cut = ["зв", "язок", "язк", "є"];
        for text in ["зв'язок є", "зв’язок є", "звʼязок є"] {
            assert_eq!(tokens(&mut stem_analyzer(), text), cut);
        }
        let raw = all_tokens(raw_analyzer(), "Звʼязок є");
        let span = |t: &Token| (t.position, t.offset_from, t.offset_to);
        let spans: Vec<_> = raw.iter().map(span).collect();
        assert_eq!(spans, [(0, 0, 4), (1, 6, 14), (2, 15, 17)]);
        assert_eq!(tokens(&mut raw_analyzer(), "ʼ ʼʼ a"), ["a"]);
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
