//! The tantivy query of a search: every word must match somewhere (exact
//! forms boosted over stems), phrases on the raw fields, operators and the
//! queue form's filters as zero-score filters, and the viewer's access.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query,
    RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DateTime, Term};
use time::OffsetDateTime;

use super::analysis;
use super::find::{Request, Sort};
use super::schema::Fields;
use crate::domain::ids::UserId;
use crate::domain::queue::Assignee;
use crate::store::access::SearchKeys;

type Clause = (Occur, Box<dyn Query>);

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(q: Box<dyn Query>, by: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, by))
}

fn filter(q: Box<dyn Query>) -> Clause {
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

fn any_of(clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if clauses.is_empty() {
        return Box::new(EmptyQuery);
    }
    Box::new(BooleanQuery::new(
        clauses.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

fn id_set(field: Field, ids: impl IntoIterator<Item = String>) -> Box<dyn Query> {
    Box::new(TermSetQuery::new(
        ids.into_iter().map(|i| Term::from_field_text(field, &i)),
    ))
}

/// The raw tokens of `text` (lower-cased, ё folded).
fn raw_tokens(text: &str) -> Vec<String> {
    analysis::tokens(&mut analysis::raw_analyzer(), text)
}

/// `tokens` in order in `field`: a term for one token, a phrase for more.
fn in_order(field: Field, tokens: &[String]) -> Option<Box<dyn Query>> {
    match tokens {
        [] => None,
        [one] => Some(term(field, one)),
        many => Some(Box::new(PhraseQuery::new(
            many.iter()
                .map(|t| Term::from_field_text(field, t))
                .collect(),
        ))),
    }
}

struct Builder<'a> {
    f: &'a Fields,
    notes: bool,
}

impl Builder<'_> {
    /// A free word: exact forms rank first, every stem of its script too.
    fn word(&self, word: &str) -> Option<Box<dyn Query>> {
        let f = self.f;
        let tokens = raw_tokens(word);
        if tokens.is_empty() {
            // A dash or an emoji asks for nothing: it must not ask for
            // something no ticket has.
            return None;
        }
        let mut any = Vec::new();
        let mut text = vec![(f.subject, 3.0), (f.body, 2.0)];
        if self.notes {
            text.push((f.notes, 2.0));
        }
        text.extend([
            (f.requester_words, 1.5),
            (f.people, 1.0),
            (f.agent_words, 1.0),
            (f.files, 1.5),
        ]);
        for (field, boost) in text {
            if let Some(q) = in_order(field, &tokens) {
                any.push(boosted(q, boost));
            }
        }
        if let [one] = tokens.as_slice() {
            let mut stems = vec![(f.subject_stem, 1.5), (f.body_stem, 1.0)];
            if self.notes {
                stems.push((f.notes_stem, 1.0));
            }
            for s in analysis::stems(one) {
                for (field, boost) in &stems {
                    any.push(boosted(term(*field, &s), *boost));
                }
            }
            if let Ok(n) = one.parse::<u64>() {
                any.push(boosted(
                    Box::new(TermQuery::new(
                        Term::from_field_u64(f.number, n),
                        IndexRecordOption::Basic,
                    )),
                    5.0,
                ));
            }
        }
        Some(any_of(any))
    }

    /// What an excluded word or phrase rules out, one clause each: a union
    /// of phrase queries under a must-not trips tantivy's phrase scorer.
    fn excluded(&self, text: &str) -> Vec<Box<dyn Query>> {
        let f = self.f;
        let tokens = raw_tokens(text);
        let mut fields = vec![f.subject, f.body, f.files];
        if self.notes {
            fields.push(f.notes);
        }
        let [one] = tokens.as_slice() else {
            // Phrases are ruled out by number (see `excluded_phrases`).
            return Vec::new();
        };
        let mut out: Vec<Box<dyn Query>> =
            fields.into_iter().map(|field| term(field, one)).collect();
        {
            let mut stems = vec![f.subject_stem, f.body_stem];
            if self.notes {
                stems.push(f.notes_stem);
            }
            for s in analysis::stems(one) {
                out.extend(stems.iter().map(|field| term(*field, &s)));
            }
        }
        out
    }

    /// A quoted phrase: these words in this order, exact forms only.
    fn phrase(&self, text: &str) -> Option<Box<dyn Query>> {
        let tokens = raw_tokens(text);
        if tokens.is_empty() {
            return None;
        }
        let mut fields = vec![self.f.subject, self.f.body, self.f.files];
        if self.notes {
            fields.push(self.f.notes);
        }
        Some(any_of(
            fields
                .into_iter()
                .filter_map(|field| in_order(field, &tokens))
                .collect(),
        ))
    }

    fn subject(&self, text: &str) -> Option<Box<dyn Query>> {
        let tokens = raw_tokens(text);
        if tokens.is_empty() {
            return None;
        }
        let mut any: Vec<Box<dyn Query>> = in_order(self.f.subject, &tokens).into_iter().collect();
        if let [one] = tokens.as_slice() {
            any.extend(
                analysis::stems(one)
                    .iter()
                    .map(|s| term(self.f.subject_stem, s)),
            );
        }
        Some(any_of(any))
    }
}

fn access(f: &Fields, keys: &SearchKeys) -> Vec<Clause> {
    match keys {
        SearchKeys::All => Vec::new(),
        SearchKeys::Nothing => vec![(Occur::Must, Box::new(EmptyQuery))],
        SearchKeys::Departments(ids) => {
            vec![filter(id_set(
                f.department,
                ids.iter().map(|d| d.to_string()),
            ))]
        }
        SearchKeys::Customer {
            user,
            organisation,
            mail_proven,
        } => {
            let mut mine = vec![
                term(f.requester, &user.to_string()),
                term(f.participants, &user.to_string()),
            ];
            if let Some(org) = organisation {
                mine.push(term(f.organisation, &org.to_string()));
            }
            let mut clauses = vec![filter(any_of(mine))];
            if !mail_proven {
                clauses.push((Occur::MustNot, term(f.mail_authors, &user.to_string())));
            }
            clauses
        }
    }
}

fn date_range(
    field: Field,
    from: Option<OffsetDateTime>,
    before: Option<OffsetDateTime>,
) -> Box<dyn Query> {
    let at = |t: OffsetDateTime| {
        Term::from_field_date_for_search(field, DateTime::from_timestamp_secs(t.unix_timestamp()))
    };
    Box::new(RangeQuery::new(
        from.map_or(Bound::Unbounded, |t| Bound::Included(at(t))),
        before.map_or(Bound::Unbounded, |t| Bound::Excluded(at(t))),
    ))
}

/// People named by a `from:`/`agent:` value: their ids when resolved,
/// else the value's words in the indexed names.
fn people(
    field: Field,
    words: Field,
    ids: Option<&Option<Vec<UserId>>>,
    value: &str,
) -> Box<dyn Query> {
    match ids {
        Some(Some(ids)) => id_set(field, ids.iter().map(|u| u.to_string())),
        _ => in_order(words, &raw_tokens(value)).unwrap_or_else(|| Box::new(EmptyQuery)),
    }
}

/// The numbers of the tickets holding an excluded phrase. Under a
/// must-not, tantivy 0.27's phrase scorer is sought backwards (a debug
/// assertion, and no guarantee in release), so phrases are looked up
/// first and their tickets excluded by number. `None` past the cap: the
/// phrase's words, all of them, exclude instead.
pub(super) fn excluded_phrases(
    searcher: &tantivy::Searcher,
    f: &Fields,
    req: &Request,
) -> anyhow::Result<Vec<Option<Vec<u64>>>> {
    const CAP: usize = 10_000;
    let b = Builder {
        f,
        notes: req.notes,
    };
    let mut out = Vec::new();
    for x in &req.parsed.excluded {
        if raw_tokens(x).len() < 2 {
            continue;
        }
        let Some(q) = b.phrase(x) else { continue };
        let docs = searcher.search(&*q, &tantivy::collector::DocSetCollector)?;
        if docs.len() > CAP {
            out.push(None);
            continue;
        }
        let mut numbers = Vec::with_capacity(docs.len());
        for addr in docs {
            let column = searcher
                .segment_reader(addr.segment_ord)
                .fast_fields()
                .u64("number")?;
            numbers.extend(column.first(addr.doc_id));
        }
        out.push(Some(numbers));
    }
    Ok(out)
}

/// The whole query for `req`; `paged` adds the keyset of a date order
/// (left out for the total, which counts every page). `phrases` are the
/// excluded phrases' tickets, from [`excluded_phrases`].
pub fn build(
    f: &Fields,
    req: &Request,
    paged: bool,
    phrases: &[Option<Vec<u64>>],
) -> Box<dyn Query> {
    let b = Builder {
        f,
        notes: req.notes,
    };
    let p = &req.parsed;
    let mut clauses: Vec<Clause> = access(f, &req.access);
    let mut scored = false;
    let positive = p
        .words
        .iter()
        .map(|w| b.word(w))
        .chain(p.phrases.iter().map(|ph| b.phrase(ph)))
        .chain(p.subject.iter().map(|s| b.subject(s)));
    for q in positive.flatten() {
        clauses.push((Occur::Must, q));
        scored = true;
    }
    for x in &p.excluded {
        clauses.extend(b.excluded(x).into_iter().map(|q| (Occur::MustNot, q)));
    }
    let long: Vec<&String> = p
        .excluded
        .iter()
        .filter(|x| raw_tokens(x).len() >= 2)
        .collect();
    for (x, numbers) in long.iter().zip(phrases) {
        match numbers {
            Some(numbers) => clauses.push((
                Occur::MustNot,
                Box::new(TermSetQuery::new(
                    numbers.iter().map(|n| Term::from_field_u64(f.number, *n)),
                )),
            )),
            None => {
                let all: Vec<(Occur, Box<dyn Query>)> = raw_tokens(x)
                    .iter()
                    .map(|t| (Occur::Must, any_of(b.excluded(t))))
                    .collect();
                clauses.push((Occur::MustNot, Box::new(BooleanQuery::new(all))));
            }
        }
    }
    for (i, who) in p.from.iter().chain(req.requester.iter()).enumerate() {
        clauses.push(filter(people(
            f.requester,
            f.requester_words,
            req.from_ids.get(i),
            who,
        )));
    }
    for (i, who) in p.agent.iter().enumerate() {
        let q = if who.eq_ignore_ascii_case("me") {
            term(f.agents, &req.viewer.to_string())
        } else {
            people(f.agents, f.agent_words, req.agent_ids.get(i), who)
        };
        clauses.push(filter(q));
    }
    if let Some(ids) = &req.departments {
        clauses.push(filter(id_set(
            f.department,
            ids.iter().map(|d| d.to_string()),
        )));
    }
    if let Some(d) = req.department {
        clauses.push(filter(term(f.department, &d.to_string())));
    }
    if !p.status.is_empty() {
        clauses.push(filter(id_set(
            f.status,
            p.status.iter().map(|s| s.as_str().to_string()),
        )));
    }
    if !req.statuses.is_empty() {
        clauses.push(filter(id_set(
            f.status,
            req.statuses.iter().map(|s| s.as_str().to_string()),
        )));
    }
    if !p.priority.is_empty() {
        clauses.push(filter(id_set(
            f.priority,
            p.priority.iter().map(|s| s.as_str().to_string()),
        )));
    }
    if let Some(pr) = req.priority {
        clauses.push(filter(term(f.priority, pr.as_str())));
    }
    match req.assignee {
        Assignee::Anyone => {}
        Assignee::Me => clauses.push(filter(term(f.assignee, &req.viewer.to_string()))),
        Assignee::Unassigned => clauses.push(filter(term(f.assignee, "none"))),
        Assignee::User(u) => clauses.push(filter(term(f.assignee, &u.to_string()))),
    }
    if !p.numbers.is_empty() {
        clauses.push(filter(Box::new(TermSetQuery::new(
            p.numbers
                .iter()
                .map(|n| Term::from_field_u64(f.number, (*n).max(0) as u64)),
        ))));
    }
    if p.has_attachment {
        clauses.push(filter(Box::new(TermQuery::new(
            Term::from_field_u64(f.has_attachment, 1),
            IndexRecordOption::Basic,
        ))));
    }
    if req.created_from.is_some() || req.created_before.is_some() {
        clauses.push(filter(date_range(
            f.created,
            req.created_from,
            req.created_before,
        )));
    }
    if let Some(since) = req.active_since {
        clauses.push(filter(date_range(f.updated, Some(since), None)));
    }
    if let Sort::Date {
        created,
        ascending,
        after: Some(key),
    } = req.sort
        && paged
    {
        let field = if created { f.opened } else { f.recent };
        let past = Bound::Excluded(Term::from_field_u64(field, key));
        let (lower, upper) = if ascending {
            (past, Bound::Unbounded)
        } else {
            (Bound::Unbounded, past)
        };
        clauses.push(filter(Box::new(RangeQuery::new(lower, upper))));
    }
    if !scored {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    Box::new(BooleanQuery::new(clauses))
}
