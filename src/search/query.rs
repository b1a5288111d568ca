//! The query language of the search box: free words, "quoted phrases",
//! -exclusions, #ticket numbers and operators (from:, agent:, dept:,
//! subject:, status:, priority:, after:, before:, has:), with Russian
//! aliases. Pure code: no I/O, never panics, bounded on hostile input.
//! [`compose`] builds the same language from the advanced search form and
//! [`render`] shows a parsed query back in canonical form.

use crate::domain::priority::Priority;
use crate::domain::status::Status;
use time::{Date, Month};

/// Input beyond this many characters is cut: a search box needs no more,
/// and every later step is then bounded by it.
pub const MAX_CHARS: usize = 1_000;
/// Words, phrases, exclusions, text operators and numbers kept: each one
/// becomes a clause of the index query, so their count bounds its cost.
pub const MAX_TERMS: usize = 32;
/// `#` with more digits than this is a word: 18 digits always fit an i64.
const MAX_NUMBER_DIGITS: usize = 18;

/// A search box query, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// Free words, as typed (the analyzer lower-cases).
    pub words: Vec<String>,
    /// "Quoted phrases": the inner text, whitespace collapsed.
    pub phrases: Vec<String>,
    /// `-word` or `-"phrase"`: must not match.
    pub excluded: Vec<String>,
    /// Requester name or address.
    pub from: Vec<String>,
    /// Agent name or login; `agent:me` is kept as "me".
    pub agent: Vec<String>,
    /// Department slug or name.
    pub dept: Vec<String>,
    /// A word or phrase of the subject.
    pub subject: Vec<String>,
    pub status: Vec<Status>,
    pub priority: Vec<Priority>,
    /// Inclusive: from the start of that day.
    pub after: Option<Date>,
    /// Exclusive: up to the start of that day.
    pub before: Option<Date>,
    pub has_attachment: bool,
    /// `#123`: ticket numbers.
    pub numbers: Vec<i64>,
    /// What was ignored or cut, for a message beside the box.
    pub problems: Vec<Problem>,
}

/// Something in the query that was ignored or cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The input was cut to this many characters.
    TooLong {
        kept_chars: usize,
    },
    /// A quote was never closed: the rest of the input became the phrase.
    UnclosedQuote,
    UnknownStatus(String),
    UnknownPriority(String),
    /// `has:` with something other than an attachment.
    UnknownHas(String),
    /// `op` is the canonical operator name ("after" or "before").
    BadDate {
        op: &'static str,
        value: String,
    },
    /// More than [`MAX_TERMS`] terms: this many were dropped.
    TooManyTerms {
        dropped: usize,
    },
    /// `-status:open`, `-#12`: only words and phrases can be excluded, so
    /// the term was ignored. Holds the canonical operator name, or "#".
    CannotExclude(&'static str),
    /// after: is not before before:, so nothing can match (both are kept).
    EmptyDateRange,
    /// No department is named by dept:. Never made by `parse`, which does
    /// no I/O: the search service adds it after looking the names up.
    UnknownDepartment(String),
}

impl Parsed {
    /// Nothing to search for and no filter. Exclusions alone count as a
    /// query ("everything but"); problems do not.
    pub fn is_empty(&self) -> bool {
        self.terms() == 0
            && self.status.is_empty()
            && self.priority.is_empty()
            && self.after.is_none()
            && self.before.is_none()
            && !self.has_attachment
    }

    /// The terms counted against [`MAX_TERMS`].
    fn terms(&self) -> usize {
        [
            &self.words,
            &self.phrases,
            &self.excluded,
            &self.from,
            &self.agent,
            &self.dept,
            &self.subject,
        ]
        .iter()
        .map(|v| v.len())
        .sum::<usize>()
            + self.numbers.len()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    From,
    Agent,
    Dept,
    Subject,
    Status,
    Priority,
    After,
    Before,
    Has,
}

impl Op {
    /// The canonical name (the first of the table), used by render and in
    /// problems.
    fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(op, _)| *op == self)
            .map_or("", |(_, names)| names[0])
    }
}

// Every alias in one place. Keys are matched lower-cased with ё written as
// е (see `key`), so the tables hold only that form. English status and
// priority keys come from their `FromStr`.

const OPERATORS: &[(Op, &[&str])] = &[
    (Op::From, &["from", "от"]),
    (Op::Agent, &["agent", "агент"]),
    (Op::Dept, &["dept", "department", "отдел"]),
    (Op::Subject, &["subject", "тема"]),
    (Op::Status, &["status", "статус"]),
    (Op::Priority, &["priority", "приоритет"]),
    (Op::After, &["after", "после"]),
    (Op::Before, &["before", "до"]),
    (Op::Has, &["has", "есть"]),
];
const STATUS_ALIASES: &[(Status, &[&str])] = &[
    (Status::Open, &["открыт", "открыта", "открытые"]),
    (Status::Pending, &["ожидает"]),
    (Status::Resolved, &["решен", "решена"]),
    (Status::Closed, &["закрыт", "закрыта"]),
];
const PRIORITY_ALIASES: &[(Priority, &[&str])] = &[
    (Priority::Low, &["низкий"]),
    (Priority::Normal, &["обычный", "нормальный"]),
    (Priority::High, &["высокий"]),
    (Priority::Urgent, &["срочный"]),
];
/// `has:` values: only attachments can be asked for.
const HAS_ATTACHMENT: &[&str] = &[
    "attachment",
    "attachments",
    "file",
    "files",
    "вложение",
    "вложения",
    "файл",
    "файлы",
];
/// `agent:me` and `агент:я` both mean the agent searching.
const ME: &[&str] = &["me", "я"];

fn key(s: &str) -> String {
    s.to_lowercase().replace('ё', "е")
}

fn lookup<T: Copy>(table: &[(T, &[&str])], s: &str) -> Option<T> {
    let k = key(s);
    table
        .iter()
        .find(|(_, names)| names.contains(&k.as_str()))
        .map(|&(v, _)| v)
}

/// One lexical unit of the query.
enum Token {
    Word(String),
    Phrase(String),
    Number(i64),
    Filter(Op, String),
}

/// Parses the search box. Never fails: what cannot be used is ignored and
/// listed in `problems`.
pub fn parse(input: &str) -> Parsed {
    let mut p = Parsed::default();
    // Take one char more than the limit to know whether we cut, without
    // walking a huge input.
    let mut s: Vec<char> = input
        .chars()
        .take(MAX_CHARS + 1)
        .map(normalize_char)
        .collect();
    if s.len() > MAX_CHARS {
        s.truncate(MAX_CHARS);
        p.problems.push(Problem::TooLong {
            kept_chars: MAX_CHARS,
        });
    }
    let mut dropped = 0;
    let mut i = 0;
    while i < s.len() {
        if s[i].is_whitespace() {
            i += 1;
            continue;
        }
        let negated = s[i] == '-';
        if negated {
            i += 1;
            // A lone "-" (a dash between words) excludes nothing.
            if s.get(i).is_none_or(|c| c.is_whitespace()) {
                continue;
            }
        }
        // `lex` always moves past `i`: the loop ends.
        let (token, next) = lex(&s, i, &mut p.problems);
        apply(&mut p, token, negated, &mut dropped);
        i = next;
    }
    if dropped > 0 {
        p.problems.push(Problem::TooManyTerms { dropped });
    }
    if let (Some(a), Some(b)) = (p.after, p.before)
        && a >= b
    {
        p.problems.push(Problem::EmptyDateRange);
    }
    p
}

/// Control characters (NUL, newlines and tabs of a paste) separate words,
/// and so do invisible format characters (zero-width space, BOM, bidi
/// overrides that would scramble the query shown back in the box; not the
/// joiners U+200C/D, which are part of emoji and scripts). Typographic
/// quotes, which phones and word processors put in for ", are quotes.
fn normalize_char(c: char) -> char {
    match c {
        c if c.is_control() => ' ',
        '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' => ' ',
        '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' => ' ',
        '«' | '»' | '“' | '”' | '„' => '"',
        c => c,
    }
}

/// Reads the token at `s[i]` (neither whitespace nor the leading "-") and
/// returns it with the index where the next one may start (always > i).
fn lex(s: &[char], i: usize, problems: &mut Vec<Problem>) -> (Token, usize) {
    if s[i] == '"' {
        let (text, next) = quoted(s, i + 1, problems);
        return (Token::Phrase(text), next);
    }
    // A quote ends a bare word, so words never hold one and `foo"bar baz"`
    // is the word foo and the phrase "bar baz".
    let end = (i..s.len())
        .find(|&j| s[j].is_whitespace() || s[j] == '"')
        .unwrap_or(s.len());
    let run = &s[i..end];
    if let Some(colon) = run.iter().position(|&c| c == ':') {
        let name: String = run[..colon].iter().collect();
        if let Some(op) = lookup(OPERATORS, &name) {
            let (value, next) = if colon + 1 == run.len() && s.get(end) == Some(&'"') {
                quoted(s, end + 1, problems)
            } else {
                (run[colon + 1..].iter().collect(), end)
            };
            // `from:` with nothing after it is most likely still being
            // typed: search for the word rather than drop it silently.
            if value.is_empty() {
                return (Token::Word(format!("{name}:")), next);
            }
            return (Token::Filter(op, value), next);
        }
    }
    let text: String = run.iter().collect();
    if let Some(digits) = text.strip_prefix('#')
        && (1..=MAX_NUMBER_DIGITS).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = digits.parse()
    {
        return (Token::Number(n), end);
    }
    (Token::Word(text), end)
}

/// The text from `start` up to the closing quote (or the end of input, with
/// a problem), whitespace collapsed; and the index after the closing quote.
fn quoted(s: &[char], start: usize, problems: &mut Vec<Problem>) -> (String, usize) {
    let start = start.min(s.len());
    match s[start..].iter().position(|&c| c == '"') {
        Some(k) => (
            collapse(s[start..start + k].iter().collect()),
            start + k + 1,
        ),
        None => {
            problems.push(Problem::UnclosedQuote);
            (collapse(s[start..].iter().collect()), s.len())
        }
    }
}

fn collapse(s: String) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Punctuation alone (":", "...", "--") matches nothing in the index.
fn junk(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_punctuation())
}

fn apply(p: &mut Parsed, token: Token, negated: bool, dropped: &mut usize) {
    match (token, negated) {
        (Token::Word(t) | Token::Phrase(t), _) if junk(&t) => {}
        (Token::Word(t) | Token::Phrase(t), true) => add(p, dropped, t, |p| &mut p.excluded),
        (Token::Number(_), true) => p.problems.push(Problem::CannotExclude("#")),
        (Token::Filter(op, _), true) => p.problems.push(Problem::CannotExclude(op.name())),
        (Token::Word(t), false) => add(p, dropped, t, |p| &mut p.words),
        (Token::Phrase(t), false) => add(p, dropped, t, |p| &mut p.phrases),
        (Token::Number(n), false) => {
            if room(p, dropped) {
                p.numbers.push(n);
            }
        }
        (Token::Filter(op, v), false) => filter(p, dropped, op, v),
    }
}

fn add(p: &mut Parsed, dropped: &mut usize, t: String, field: fn(&mut Parsed) -> &mut Vec<String>) {
    if room(p, dropped) {
        field(p).push(t);
    }
}

fn room(p: &Parsed, dropped: &mut usize) -> bool {
    let ok = p.terms() < MAX_TERMS;
    if !ok {
        *dropped += 1;
    }
    ok
}

fn filter(p: &mut Parsed, dropped: &mut usize, op: Op, v: String) {
    match op {
        Op::From => add(p, dropped, v, |p| &mut p.from),
        Op::Agent if ME.contains(&key(&v).as_str()) => {
            add(p, dropped, "me".into(), |p| &mut p.agent)
        }
        Op::Agent => add(p, dropped, v, |p| &mut p.agent),
        Op::Dept => add(p, dropped, v, |p| &mut p.dept),
        Op::Subject => add(p, dropped, v, |p| &mut p.subject),
        Op::Status => {
            let unknown = Problem::UnknownStatus;
            add_keys(&v, STATUS_ALIASES, &mut p.status, &mut p.problems, unknown)
        }
        Op::Priority => {
            let unknown = Problem::UnknownPriority;
            add_keys(
                &v,
                PRIORITY_ALIASES,
                &mut p.priority,
                &mut p.problems,
                unknown,
            )
        }
        // A later date replaces an earlier one: the last word is the user's.
        Op::After | Op::Before => match date(&v) {
            Some(d) if op == Op::After => p.after = Some(d),
            Some(d) => p.before = Some(d),
            None => p.problems.push(Problem::BadDate {
                op: op.name(),
                value: v,
            }),
        },
        Op::Has if HAS_ATTACHMENT.contains(&key(&v).as_str()) => p.has_attachment = true,
        Op::Has => p.problems.push(Problem::UnknownHas(v)),
    }
}

/// Adds each status or priority of `v` once; values may be listed
/// (status:open,pending, or quoted with spaces).
fn add_keys<T: Copy + PartialEq + std::str::FromStr>(
    v: &str,
    aliases: &[(T, &[&str])],
    into: &mut Vec<T>,
    problems: &mut Vec<Problem>,
    unknown: fn(String) -> Problem,
) {
    for part in values(v) {
        match key(part).parse().ok().or_else(|| lookup(aliases, part)) {
            Some(x) if !into.contains(&x) => into.push(x),
            Some(_) => {}
            None => problems.push(unknown(part.to_string())),
        }
    }
}

/// The items of `open,pending` or `"open pending"`; `,` alone gives one
/// empty item so that it is reported rather than silently ignored.
fn values(v: &str) -> Vec<&str> {
    let parts: Vec<&str> = v
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() { vec![v] } else { parts }
}

/// YYYY-MM-DD (what a date input sends) or DD.MM.YYYY (how Russians write
/// it); anything else, or a day that does not exist, is None.
fn date(v: &str) -> Option<Date> {
    let ok = |part: &str, lens: std::ops::RangeInclusive<usize>| {
        lens.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    let (y, m, d) = match (
        &v.split('-').collect::<Vec<_>>()[..],
        &v.split('.').collect::<Vec<_>>()[..],
    ) {
        (&[y, m, d], _) if ok(y, 4..=4) && ok(m, 1..=2) && ok(d, 1..=2) => (y, m, d),
        (_, &[d, m, y]) if ok(y, 4..=4) && ok(m, 1..=2) && ok(d, 1..=2) => (y, m, d),
        _ => return None,
    };
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// The canonical query string of `p`: English operator names, dates as
/// YYYY-MM-DD, values quoted only when they hold spaces. `parse(render(p))`
/// gives `p` back without its problems, for any `p` that `parse` made.
/// (Russian aliases render longer, so a query near [`MAX_CHARS`] may be cut.)
pub fn render(p: &Parsed) -> String {
    let mut out: Vec<String> = Vec::new();
    for w in &p.words {
        out.push(bare_or_quoted(w));
    }
    for ph in &p.phrases {
        out.push(quote(ph));
    }
    for x in &p.excluded {
        out.push(format!("-{}", bare_or_quoted(x)));
    }
    for (name, vs) in [
        ("from", &p.from),
        ("agent", &p.agent),
        ("dept", &p.dept),
        ("subject", &p.subject),
    ] {
        out.extend(vs.iter().filter_map(|v| operator(name, v)));
    }
    out.extend(p.status.iter().map(|s| format!("status:{}", s.as_str())));
    out.extend(
        p.priority
            .iter()
            .map(|s| format!("priority:{}", s.as_str())),
    );
    for (name, d) in [("after", p.after), ("before", p.before)] {
        if let Some(d) = d {
            out.push(format!(
                "{name}:{:04}-{:02}-{:02}",
                d.year(),
                u8::from(d.month()),
                d.day()
            ));
        }
    }
    if p.has_attachment {
        out.push("has:attachment".to_string());
    }
    out.extend(p.numbers.iter().map(|n| format!("#{n}")));
    out.join(" ")
}

/// A word as typed when it parses back as that same word, else quoted (a
/// word from elsewhere, say "-x" or "status:open", must not turn into an
/// exclusion or a filter).
fn bare_or_quoted(w: &str) -> String {
    if plain_word(w) {
        w.to_string()
    } else {
        quote(w)
    }
}

fn plain_word(w: &str) -> bool {
    parse(w)
        == Parsed {
            words: vec![w.to_string()],
            ..Parsed::default()
        }
}

fn quote(t: &str) -> String {
    format!("\"{}\"", clean(t))
}

/// Text as the parser would see it inside quotes: no quotes, no control
/// characters, whitespace collapsed, no longer than the parser keeps.
fn clean(t: &str) -> String {
    collapse(
        t.chars()
            .take(MAX_CHARS)
            .map(normalize_char)
            .filter(|&c| c != '"')
            .collect(),
    )
}

fn operator(name: &str, v: &str) -> Option<String> {
    let v = clean(v);
    match () {
        _ if v.is_empty() => None,
        _ if v.contains(' ') => Some(format!("{name}:\"{v}\"")),
        _ => Some(format!("{name}:{v}")),
    }
}

/// The advanced search form; every field optional.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Advanced {
    /// The search box itself, operators allowed.
    pub text: String,
    pub agent: String,
    pub requester: String,
    pub subject: String,
    /// Words to find in the messages: always plain words.
    pub content: String,
    pub department: String,
    pub after: String,
    pub before: String,
    pub status: String,
    pub priority: String,
}

/// The query string of the advanced form, to be parsed like the box.
pub fn compose(a: &Advanced) -> String {
    let mut out: Vec<String> = Vec::new();
    // No more words than the parser keeps: a huge form field costs little.
    for w in clean(&a.content).split(' ').take(MAX_TERMS) {
        if plain_word(w) {
            out.push(w.to_string());
        } else {
            // "-x", "#12", "status:open" typed as content are words to
            // find, not syntax: keep the text between the signs.
            out.extend(
                w.split(['-', '#', ':'])
                    .filter(|s| plain_word(s))
                    .map(str::to_string),
            );
        }
    }
    let fields = [
        ("from", &a.requester),
        ("agent", &a.agent),
        ("subject", &a.subject),
        ("dept", &a.department),
        ("status", &a.status),
        ("priority", &a.priority),
        ("after", &a.after),
        ("before", &a.before),
    ];
    out.extend(fields.iter().filter_map(|(name, v)| operator(name, v)));
    // The box goes last: an unclosed quote in it then swallows nothing of
    // the form's fields.
    let text = a.text.trim();
    if !text.is_empty() {
        out.push(text.to_string());
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn words(p: &Parsed) -> Vec<&str> {
        p.words.iter().map(String::as_str).collect()
    }

    #[test]
    fn free_words_are_kept_as_typed() {
        let p = parse("  Printer  JAMMED again ");
        assert_eq!(words(&p), ["Printer", "JAMMED", "again"]);
        assert!(p.problems.is_empty());
    }

    #[test]
    fn quoted_phrase_collapses_whitespace() {
        let p = parse("\"paper   jam\"  tray");
        assert_eq!(p.phrases, ["paper jam"]);
        assert_eq!(words(&p), ["tray"]);
    }

    #[test]
    fn quote_inside_a_word_starts_a_phrase() {
        let p = parse("foo\"bar baz\"");
        assert_eq!(words(&p), ["foo"]);
        assert_eq!(p.phrases, ["bar baz"]);
    }

    #[test]
    fn typographic_quotes_are_quotes() {
        assert_eq!(parse("«ёлки палки»").phrases, ["ёлки палки"]);
        assert_eq!(parse("“a b”").phrases, ["a b"]);
    }

    #[test]
    fn empty_phrase_is_ignored() {
        assert!(parse("\"\" \"   \"").is_empty());
    }

    #[test]
    fn from_address_and_quoted_name() {
        let p = parse("from:ana@example.com from:\"Ana  Petrova\"");
        assert_eq!(p.from, ["ana@example.com", "Ana Petrova"]);
    }

    #[test]
    fn agent_me_and_names() {
        let p = parse("agent:ivan agent:\"Ivan Petrov\" agent:ME агент:я");
        assert_eq!(p.agent, ["ivan", "Ivan Petrov", "me", "me"]);
    }

    #[test]
    fn dept_slug_and_cyrillic_name() {
        let p = parse("dept:billing отдел:\"Тех поддержка\" department:hr");
        assert_eq!(p.dept, ["billing", "Тех поддержка", "hr"]);
    }

    #[test]
    fn subject_word_and_phrase() {
        let p = parse("subject:invoice тема:\"не работает\"");
        assert_eq!(p.subject, ["invoice", "не работает"]);
    }

    #[test]
    fn value_may_hold_colons() {
        assert_eq!(parse("subject:error:502").subject, ["error:502"]);
    }

    #[test]
    fn status_values_and_lists() {
        let p = parse("status:open status:pending,resolved status:\"closed open\"");
        assert_eq!(
            p.status,
            [
                Status::Open,
                Status::Pending,
                Status::Resolved,
                Status::Closed
            ]
        );
        assert!(p.problems.is_empty());
    }

    #[test]
    fn priority_values() {
        let p = parse("priority:low priority:Normal priority:HIGH priority:urgent");
        assert_eq!(p.priority, Priority::ALL);
    }

    #[test]
    fn unknown_status_is_a_problem() {
        let p = parse("status:bogus");
        assert_eq!(p.problems, [Problem::UnknownStatus("bogus".into())]);
        assert!(p.is_empty());
    }

    #[test]
    fn unknown_priority_is_a_problem() {
        let p = parse("priority:meh status:,");
        assert_eq!(
            p.problems,
            [
                Problem::UnknownPriority("meh".into()),
                Problem::UnknownStatus(",".into())
            ]
        );
    }

    #[test]
    fn russian_status_and_priority_values() {
        let p = parse("статус:открыт,открыта,открытые статус:ожидает статус:решён,решен,решена");
        assert_eq!(p.status, [Status::Open, Status::Pending, Status::Resolved]);
        let p = parse("статус:закрыт статус:ЗАКРЫТА");
        assert_eq!(p.status, [Status::Closed]);
        let p = parse(
            "приоритет:низкий приоритет:обычный приоритет:нормальный приоритет:высокий приоритет:срочный",
        );
        assert_eq!(p.priority, Priority::ALL);
    }

    #[test]
    fn russian_operator_names() {
        let p = parse(
            "от:ana агент:ivan отдел:billing тема:счёт статус:open приоритет:high после:01.11.2026 до:2026-11-30 есть:вложение",
        );
        assert_eq!(p.from, ["ana"]);
        assert_eq!(p.agent, ["ivan"]);
        assert_eq!(p.dept, ["billing"]);
        assert_eq!(p.subject, ["счёт"]);
        assert_eq!(p.status, [Status::Open]);
        assert_eq!(p.priority, [Priority::High]);
        assert_eq!(p.after, Some(date!(2026 - 11 - 01)));
        assert_eq!(p.before, Some(date!(2026 - 11 - 30)));
        assert!(p.has_attachment);
        assert!(p.words.is_empty() && p.problems.is_empty());
    }

    #[test]
    fn operators_are_case_insensitive() {
        let p = parse("From:ana STATUS:Open ОТ:boris Has:Attachments");
        assert_eq!(p.from, ["ana", "boris"]);
        assert_eq!(p.status, [Status::Open]);
        assert!(p.has_attachment);
    }

    #[test]
    fn has_attachment_aliases() {
        for q in [
            "has:attachment",
            "has:attachments",
            "has:file",
            "has:files",
            "есть:вложения",
            "есть:файл",
        ] {
            assert!(parse(q).has_attachment, "{q}");
        }
    }

    #[test]
    fn unknown_has_is_a_problem() {
        let p = parse("has:cats");
        assert!(!p.has_attachment);
        assert_eq!(p.problems, [Problem::UnknownHas("cats".into())]);
    }

    #[test]
    fn unknown_operator_is_a_word() {
        let p = parse("error:502 foo:bar :x");
        assert_eq!(words(&p), ["error:502", "foo:bar", ":x"]);
    }

    #[test]
    fn operator_without_value_is_a_word() {
        assert_eq!(words(&parse("from:")), ["from:"]);
        assert_eq!(words(&parse("Status: open")), ["Status:", "open"]);
        assert_eq!(words(&parse("from:\"\" x")), ["from:", "x"]);
        assert!(parse("status: ").status.is_empty());
    }

    #[test]
    fn punctuation_alone_is_ignored() {
        assert!(parse(": ... -- ,").is_empty());
    }

    #[test]
    fn ticket_numbers() {
        let p = parse("#123 #0042 #abc #12a # #123456789012345678 #1234567890123456789");
        assert_eq!(p.numbers, [123, 42, 123_456_789_012_345_678]);
        assert_eq!(words(&p), ["#abc", "#12a", "#1234567890123456789"]);
    }

    #[test]
    fn excluded_words_and_phrases() {
        let p = parse("printer -toner -\"paper jam\" - -");
        assert_eq!(words(&p), ["printer"]);
        assert_eq!(p.excluded, ["toner", "paper jam"]);
        assert!(p.problems.is_empty());
    }

    #[test]
    fn hyphen_inside_a_word_is_a_word() {
        assert_eq!(words(&parse("ana-maria e-mail")), ["ana-maria", "e-mail"]);
    }

    #[test]
    fn excluding_a_filter_is_a_problem() {
        let p = parse("-status:open -#12 -error:502");
        assert!(p.status.is_empty() && p.numbers.is_empty());
        assert_eq!(p.excluded, ["error:502"]);
        assert_eq!(
            p.problems,
            [
                Problem::CannotExclude("status"),
                Problem::CannotExclude("#")
            ]
        );
    }

    #[test]
    fn exclusions_alone_are_not_empty() {
        assert!(!parse("-spam").is_empty());
    }

    #[test]
    fn unclosed_quote_takes_the_rest() {
        let p = parse("printer \"paper jam status:open");
        assert_eq!(words(&p), ["printer"]);
        assert_eq!(p.phrases, ["paper jam status:open"]);
        assert!(p.status.is_empty());
        assert_eq!(p.problems, [Problem::UnclosedQuote]);
    }

    #[test]
    fn unclosed_quote_in_a_value() {
        let p = parse("from:\"Ana Petrova");
        assert_eq!(p.from, ["Ana Petrova"]);
        assert_eq!(p.problems, [Problem::UnclosedQuote]);
    }

    #[test]
    fn trailing_lone_quote() {
        let p = parse("x \"");
        assert_eq!(words(&p), ["x"]);
        assert!(p.phrases.is_empty());
        assert_eq!(p.problems, [Problem::UnclosedQuote]);
    }

    #[test]
    fn iso_date() {
        let p = parse("after:2026-11-01 before:2026-11-30");
        assert_eq!(p.after, Some(date!(2026 - 11 - 01)));
        assert_eq!(p.before, Some(date!(2026 - 11 - 30)));
        assert!(p.problems.is_empty());
    }

    #[test]
    fn dotted_date_and_short_parts() {
        let p = parse("after:01.11.2026 before:\"5.1.2027\" ");
        assert_eq!(p.after, Some(date!(2026 - 11 - 01)));
        assert_eq!(p.before, Some(date!(2027 - 01 - 05)));
    }

    #[test]
    fn invalid_dates_are_problems() {
        for v in [
            "2026-02-30",
            "2026-13-01",
            "31.04.2026",
            "26-11-01",
            "2026.11.01",
            "2026-11-01.5",
            "tomorrow",
            "2026-1x-01",
            "01.11-2026",
        ] {
            let p = parse(&format!("after:{v} before:{v}"));
            assert_eq!((p.after, p.before), (None, None), "{v}");
            assert_eq!(
                p.problems,
                [
                    Problem::BadDate {
                        op: "after",
                        value: v.into()
                    },
                    Problem::BadDate {
                        op: "before",
                        value: v.into()
                    }
                ],
                "{v}"
            );
        }
    }

    #[test]
    fn later_date_wins() {
        let p = parse("after:2026-01-01 после:2026-02-01");
        assert_eq!(p.after, Some(date!(2026 - 02 - 01)));
    }

    #[test]
    fn empty_date_range_is_reported() {
        let p = parse("after:2026-11-02 before:2026-11-02");
        assert_eq!(p.problems, [Problem::EmptyDateRange]);
        assert!(p.after.is_some() && p.before.is_some());
    }

    #[test]
    fn empty_and_blank_input() {
        assert!(parse("").is_empty());
        assert!(parse("   \t\n  ").is_empty());
        assert!(parse("").problems.is_empty());
    }

    #[test]
    fn long_input_is_cut_at_a_char() {
        let p = parse(&"ж".repeat(10_000));
        assert_eq!(
            p.problems,
            [Problem::TooLong {
                kept_chars: MAX_CHARS
            }]
        );
        assert_eq!(p.words, ["ж".repeat(MAX_CHARS)]);
        assert!(parse(&"a".repeat(MAX_CHARS)).problems.is_empty());
    }

    #[test]
    fn many_words_are_bounded() {
        let input = (0..5_000)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let p = parse(&input);
        assert_eq!(p.words.len(), MAX_TERMS);
        assert!(p.problems.contains(&Problem::TooLong {
            kept_chars: MAX_CHARS
        }));
        assert!(
            p.problems
                .iter()
                .any(|pr| matches!(pr, Problem::TooManyTerms { dropped } if *dropped > 100))
        );
    }

    #[test]
    fn limit_counts_phrases_values_and_numbers() {
        let input = "a \"b c\" -d from:e #1 ".repeat(10);
        let p = parse(&input);
        assert_eq!(p.terms(), MAX_TERMS);
        assert_eq!(p.problems, [Problem::TooManyTerms { dropped: 50 - 32 }]);
        // Filters without text cost nothing and still apply.
        let p = parse(&format!("{} status:open", "x ".repeat(40)));
        assert_eq!(p.status, [Status::Open]);
    }

    #[test]
    fn nul_and_control_characters_separate_words() {
        let p = parse("a\0b\u{7}c\r\nstatus:open\0\"x\0y\"");
        assert_eq!(words(&p), ["a", "b", "c"]);
        assert_eq!(p.status, [Status::Open]);
        assert_eq!(p.phrases, ["x y"]);
        assert!(parse("\0\0\0").is_empty());
    }

    #[test]
    fn invisible_format_characters_separate_words() {
        let p = parse("a\u{200B}b\u{FEFF}c \u{202E}evil\u{202C}");
        assert_eq!(words(&p), ["a", "b", "c", "evil"]);
        // The zero-width joiner holds an emoji sequence together.
        assert_eq!(words(&parse("👩\u{200D}💻")), ["👩\u{200D}💻"]);
    }

    #[test]
    fn emoji_and_combining_marks() {
        let p = parse("🔥 printer🖨️ \"é\u{301} 👍🏽\" -💩 #👍 from:👩‍💻");
        assert_eq!(words(&p), ["🔥", "printer🖨️", "#👍"]);
        assert_eq!(p.phrases, ["é\u{301} 👍🏽"]);
        assert_eq!(p.excluded, ["💩"]);
        assert_eq!(p.from, ["👩‍💻"]);
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let inputs = [
            "\"",
            "-",
            "-\"",
            "#",
            ":",
            "from:\"",
            "\"\"\"",
            "-\"\"",
            "from:-",
            "-from:",
            "#-1",
            "\u{301}",
            "\u{301}\"\u{301}",
            "ё:ё",
            "до:",
            "до:\"",
            "status:\"\"",
        ];
        for i in inputs {
            let _ = render(&parse(i));
        }
        let soup: String = (0u32..2_000)
            .filter_map(|n| char::from_u32(n * 37 % 0x11_0000))
            .collect();
        let _ = render(&parse(&soup));
    }

    fn without_problems(mut p: Parsed) -> Parsed {
        p.problems.clear();
        p
    }

    #[test]
    fn render_round_trips() {
        let inputs = [
            "",
            "printer jam",
            "Printer \"paper  jam\" -toner -\"blue ink\" #12 #7",
            "from:ana@example.com from:\"Ana Petrova\" agent:me agent:\"Ivan Petrov\"",
            "отдел:\"Тех поддержка\" тема:счёт статус:решён приоритет:срочный",
            "status:open,pending priority:low after:1.2.2026 before:2026-03-01 has:files",
            "error:502 from: Status: #abc ana-maria 🔥 \"é\u{301}\"",
            "x \"unclosed from:ana",
            "status:bogus after:2026-02-30 has:cats -status:open",
        ];
        for input in inputs {
            let p = parse(input);
            let r = render(&p);
            assert_eq!(
                without_problems(parse(&r)),
                without_problems(p),
                "{input} -> {r}"
            );
            assert_eq!(render(&parse(&r)), r, "render is canonical: {r}");
        }
    }

    /// Queries glued from tricky fragments by a fixed pseudo-random
    /// sequence: parse stays bounded and render round-trips.
    #[test]
    fn render_round_trips_generated_queries() {
        let fragments = [
            "word",
            "Ünïcödé",
            "ёлка",
            "🔥",
            "-",
            "-x",
            "--",
            "\"",
            "\"a b\"",
            "#12",
            "#x",
            ":",
            "from:",
            "from:\"",
            "От:Анна",
            "agent:me",
            "тема:\"счёт  фактура\"",
            "status:open,решён",
            "status:bogus",
            "priority:срочный",
            "after:2026-11-01",
            "до:31.12.2026",
            "after:2026-02-30",
            "has:file",
            "есть:кот",
            "error:502",
            "-status:open",
            "\0",
            "\u{301}",
            "dept:\"a:b\"",
            "-\"x y\"",
        ];
        let mut seed: u64 = 0x2026_1202;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize % n
        };
        for _ in 0..2_000 {
            let mut input = String::new();
            for _ in 0..next(12) {
                input.push_str(fragments[next(fragments.len())]);
                input.push_str(["", " ", "  "][next(3)]);
            }
            let p = parse(&input);
            assert!(p.terms() <= MAX_TERMS);
            let r = render(&p);
            assert_eq!(
                without_problems(parse(&r)),
                without_problems(p),
                "{input:?} -> {r:?}"
            );
            assert_eq!(render(&parse(&r)), r, "{input:?}");
        }
    }

    #[test]
    fn render_is_canonical() {
        let p = parse("от:Ana  статус:закрыт  до:05.01.2027 \"a  b\" есть:файл");
        assert_eq!(
            render(&p),
            "\"a b\" from:Ana status:closed before:2027-01-05 has:attachment"
        );
    }

    #[test]
    fn render_quotes_words_that_would_change_meaning() {
        let p = Parsed {
            words: vec!["-x".into(), "status:open".into(), "a b".into()],
            from: vec!["Ana \"Nut\" Petrova".into(), "  ".into()],
            ..Parsed::default()
        };
        assert_eq!(
            render(&p),
            "\"-x\" \"status:open\" \"a b\" from:\"Ana Nut Petrova\""
        );
    }

    #[test]
    fn compose_builds_operators() {
        let a = Advanced {
            text: "printer".into(),
            agent: "me".into(),
            requester: "ana@example.com".into(),
            subject: "invoice".into(),
            content: "toner jam".into(),
            department: "billing".into(),
            after: "2026-11-01".into(),
            before: "2026-11-30".into(),
            status: "open".into(),
            priority: "high".into(),
        };
        assert_eq!(
            compose(&a),
            "toner jam from:ana@example.com agent:me subject:invoice dept:billing status:open priority:high after:2026-11-01 before:2026-11-30 printer"
        );
    }

    #[test]
    fn compose_round_trips_with_spaces_and_cyrillic() {
        let a = Advanced {
            text: String::new(),
            agent: "Иван  Петров".into(),
            requester: "Анна \"Аня\" Петрова".into(),
            subject: "не работает принтер".into(),
            content: "ошибка 502 ёлка".into(),
            department: "Тех поддержка".into(),
            after: "01.11.2026".into(),
            before: "2026-11-30".into(),
            status: "открыт, ожидает".into(),
            priority: "срочный".into(),
        };
        let p = parse(&compose(&a));
        assert_eq!(p.agent, ["Иван Петров"]);
        assert_eq!(p.from, ["Анна Аня Петрова"]);
        assert_eq!(p.subject, ["не работает принтер"]);
        assert_eq!(words(&p), ["ошибка", "502", "ёлка"]);
        assert_eq!(p.dept, ["Тех поддержка"]);
        assert_eq!(p.after, Some(date!(2026 - 11 - 01)));
        assert_eq!(p.before, Some(date!(2026 - 11 - 30)));
        assert_eq!(p.status, [Status::Open, Status::Pending]);
        assert_eq!(p.priority, [Priority::Urgent]);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
    }

    #[test]
    fn compose_keeps_content_as_plain_words() {
        let a = Advanced {
            content: "-spam #12 status:open \"quoted\" ... from:".into(),
            ..Advanced::default()
        };
        let p = parse(&compose(&a));
        assert_eq!(
            words(&p),
            ["spam", "12", "status", "open", "quoted", "from:"]
        );
        assert!(p.status.is_empty() && p.excluded.is_empty() && p.numbers.is_empty());
    }

    #[test]
    fn compose_puts_the_box_last() {
        let a = Advanced {
            text: "\"unclosed".into(),
            requester: "ana".into(),
            ..Advanced::default()
        };
        let p = parse(&compose(&a));
        assert_eq!(p.from, ["ana"]);
        assert_eq!(p.phrases, ["unclosed"]);
    }

    #[test]
    fn compose_is_bounded_on_huge_fields() {
        let a = Advanced {
            content: "слово ".repeat(100_000),
            requester: "a".repeat(100_000),
            ..Advanced::default()
        };
        let q = compose(&a);
        assert!(q.chars().count() < 3 * MAX_CHARS, "{}", q.len());
        assert!(parse(&q).words.len() <= MAX_TERMS);
    }

    #[test]
    fn compose_of_an_empty_form_is_empty() {
        let a = Advanced {
            agent: "  ".into(),
            subject: "\"\"".into(),
            ..Advanced::default()
        };
        assert_eq!(compose(&a), "");
        assert!(parse(&compose(&a)).is_empty());
    }

    #[test]
    fn advanced_form_deserializes_with_missing_fields() {
        let a: Advanced = serde_urlencoded::from_str("requester=ana&status=open").expect("form");
        assert_eq!(compose(&a), "from:ana status:open");
    }
}
