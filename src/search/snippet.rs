//! The fragment shown under a hit, with the matching words marked. Cheaper
//! than tantivy's snippet generator, which runs the whole ticket through
//! the stemming analyzer: here the text gets the raw analyzer only, and a
//! word is stemmed just when it could share a stem with a query word (a
//! stem starts with the word's first two letters).

use std::collections::HashSet;

use tantivy::tokenizer::TokenStream;

use super::analysis;

/// Characters of text looked at, and of the fragment shown.
const SCAN_CHARS: usize = 100_000;
const FRAGMENT_CHARS: usize = 180;

/// What marks a word: the query's raw tokens and their stems.
pub struct Marks {
    raw: HashSet<String>,
    stems: HashSet<String>,
    prefixes: HashSet<String>,
}

fn prefix(word: &str) -> String {
    word.chars().take(2).collect()
}

impl Marks {
    pub fn new<'a>(words: impl IntoIterator<Item = &'a String>) -> Marks {
        let mut raw = HashSet::new();
        for w in words {
            raw.extend(analysis::tokens(&mut analysis::raw_analyzer(), w));
        }
        let stems: HashSet<String> = raw.iter().flat_map(|w| analysis::stems(w)).collect();
        let prefixes = raw.iter().chain(&stems).map(|w| prefix(w)).collect();
        Marks {
            raw,
            stems,
            prefixes,
        }
    }

    fn marks(&self, token: &str) -> bool {
        self.raw.contains(token)
            || (self.prefixes.contains(&prefix(token))
                && analysis::stems(token)
                    .iter()
                    .any(|s| self.stems.contains(s)))
    }

    /// The best fragment of `text`: the window holding the most marked
    /// words; empty when none is marked.
    pub fn fragment(&self, text: &str) -> Vec<(String, bool)> {
        if self.raw.is_empty() {
            return Vec::new();
        }
        let end = text
            .char_indices()
            .nth(SCAN_CHARS)
            .map_or(text.len(), |(i, _)| i);
        let text = &text[..end];
        let mut found: Vec<(usize, usize)> = Vec::new();
        let mut analyzer = analysis::raw_analyzer();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            if self.marks(&t.text) {
                found.push((t.offset_from, t.offset_to));
            }
        }
        let Some(&(first, _)) = found.first() else {
            return Vec::new();
        };
        // The window (in bytes, about FRAGMENT_CHARS × 2 for Cyrillic)
        // starting at the marked word with the most marks after it.
        let width = FRAGMENT_CHARS * 2;
        let (mut best_start, mut best_count) = (first, 0);
        for (i, &(start, _)) in found.iter().enumerate() {
            let count = found[i..]
                .iter()
                .take_while(|(s, _)| *s < start + width)
                .count();
            if count > best_count {
                (best_start, best_count) = (start, count);
            }
        }
        let from = floor_boundary(text, best_start.saturating_sub(40));
        let to = floor_boundary(text, (best_start + width).min(text.len()));
        let mut parts = Vec::new();
        let mut at = from;
        for &(s, e) in found.iter().filter(|(s, e)| *s >= from && *e <= to) {
            if s > at {
                parts.push((text[at..s].to_string(), false));
            }
            parts.push((text[s..e].to_string(), true));
            at = e;
        }
        if at < to {
            parts.push((text[at..to].to_string(), false));
        }
        if let Some(first) = parts.first_mut()
            && from > 0
        {
            first.0.insert(0, '…');
        }
        if to < text.len()
            && let Some(last) = parts.last_mut()
        {
            last.0.push('…');
        }
        parts
    }
}

/// The nearest char boundary at or before `i`.
fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::Marks;

    fn marked(parts: &[(String, bool)]) -> Vec<&str> {
        parts
            .iter()
            .filter(|(_, m)| *m)
            .map(|(t, _)| t.as_str())
            .collect()
    }

    #[test]
    fn word_forms_are_marked_in_the_matching_part() {
        let m = Marks::new(&["сервер".to_string()]);
        let text = format!(
            "{}Письма с сервером mail.example.com не уходят",
            "Начало. ".repeat(60)
        );
        let parts = m.fragment(&text);
        assert_eq!(marked(&parts), ["сервером"]);
        assert!(parts[0].0.starts_with('…'), "cut before: {parts:?}");
    }

    #[test]
    fn nothing_marked_gives_nothing_and_odd_text_never_panics() {
        let m = Marks::new(&["disk".to_string()]);
        assert!(m.fragment("no match here").is_empty());
        assert!(m.fragment("").is_empty());
        assert_eq!(marked(&m.fragment("🔥 disks ёжик ʼ")), ["disks"]);
        assert!(Marks::new(&["—".to_string()]).fragment("— dash").is_empty());
    }
}
