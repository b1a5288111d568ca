//! A parsed query, its filters and the viewer's access keys as one tantivy
//! query; hits are tickets with a highlighted snippet of the matching text.

use std::ops::Bound;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query,
    RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DateTime, Order, TantivyDocument, Term};
use time::OffsetDateTime;

use super::analysis;
use super::index::Live;
use super::query::Parsed;
use super::schema::Fields;
use crate::domain::ids::{DepartmentId, TicketId, UserId};
use crate::domain::priority::Priority;
use crate::domain::queue::Assignee;
use crate::domain::status::Status;
use crate::store::access::SearchKeys;

/// Hits a relevance-ordered search pages through at most.
pub const MAX_OFFSET: usize = 1_000;

/// The order of the hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Best match first; `pinned` is the snapshot the first page came
    /// from, so later pages neither repeat nor skip hits.
    Relevance { offset: usize, pinned: Option<u64> },
    /// Last activity then number, newest first; `after` is the previous
    /// page's last key.
    Recent { after: Option<u64> },
}

/// Everything a search needs, resolved (names to ids, dates to instants).
#[derive(Debug, Clone)]
pub struct Request {
    pub parsed: Parsed,
    pub access: SearchKeys,
    pub viewer: UserId,
    /// Staff see internal notes.
    pub notes: bool,
    /// `dept:` resolved: `Some(empty)` when nothing matched it.
    pub departments: Option<Vec<DepartmentId>>,
    pub created_from: Option<OffsetDateTime>,
    pub created_before: Option<OffsetDateTime>,
    // The queue form's filters, beside the box.
    pub statuses: Vec<Status>,
    pub priority: Option<Priority>,
    pub assignee: Assignee,
    pub department: Option<DepartmentId>,
    pub requester: Option<String>,
    pub active_since: Option<OffsetDateTime>,
    pub sort: Sort,
    pub limit: usize,
}

/// One ticket found.
#[derive(Debug, Clone)]
pub struct Hit {
    pub ticket: TicketId,
    pub score: f32,
    pub recent: u64,
    /// The best fragment: (text, highlighted) parts.
    pub snippet: Vec<(String, bool)>,
}

#[derive(Debug, Clone)]
pub struct Hits {
    pub hits: Vec<Hit>,
    /// Tickets matching, exactly.
    pub total: usize,
    /// The next page, if there is one.
    pub next: Option<Sort>,
}

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
    fn word(&self, word: &str) -> Box<dyn Query> {
        let f = self.f;
        let tokens = raw_tokens(word);
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
        any_of(any)
    }

    /// A quoted phrase: these words in this order, exact forms only.
    fn phrase(&self, text: &str) -> Box<dyn Query> {
        let tokens = raw_tokens(text);
        let mut fields = vec![self.f.subject, self.f.body, self.f.files];
        if self.notes {
            fields.push(self.f.notes);
        }
        any_of(
            fields
                .into_iter()
                .filter_map(|field| in_order(field, &tokens))
                .collect(),
        )
    }

    fn subject(&self, text: &str) -> Box<dyn Query> {
        let tokens = raw_tokens(text);
        let mut any: Vec<Box<dyn Query>> = in_order(self.f.subject, &tokens).into_iter().collect();
        if let [one] = tokens.as_slice() {
            any.extend(
                analysis::stems(one)
                    .iter()
                    .map(|s| term(self.f.subject_stem, s)),
            );
        }
        any_of(any)
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

/// The whole query for `req`.
pub fn build(f: &Fields, req: &Request) -> Box<dyn Query> {
    let b = Builder {
        f,
        notes: req.notes,
    };
    let p = &req.parsed;
    let mut clauses: Vec<Clause> = access(f, &req.access);
    let mut scored = false;
    for w in &p.words {
        clauses.push((Occur::Must, b.word(w)));
        scored = true;
    }
    for ph in &p.phrases {
        clauses.push((Occur::Must, b.phrase(ph)));
        scored = true;
    }
    for s in &p.subject {
        clauses.push((Occur::Must, b.subject(s)));
        scored = true;
    }
    for x in &p.excluded {
        clauses.push((Occur::MustNot, b.word(x)));
    }
    for who in p.from.iter().chain(req.requester.iter()) {
        let q =
            in_order(f.requester_words, &raw_tokens(who)).unwrap_or_else(|| Box::new(EmptyQuery));
        clauses.push(filter(q));
    }
    for who in &p.agent {
        let q = if who.eq_ignore_ascii_case("me") {
            term(f.agents, &req.viewer.to_string())
        } else {
            in_order(f.agent_words, &raw_tokens(who)).unwrap_or_else(|| Box::new(EmptyQuery))
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
    if let Sort::Recent { after: Some(key) } = req.sort {
        clauses.push(filter(Box::new(RangeQuery::new(
            Bound::Unbounded,
            Bound::Excluded(Term::from_field_u64(f.recent, key)),
        ))));
    }
    if !scored {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// What highlights a snippet: every stem of the positive words.
fn highlight(p: &Parsed, field: Field) -> Box<dyn Query> {
    let words = p
        .words
        .iter()
        .chain(&p.phrases)
        .chain(&p.subject)
        .flat_map(|w| raw_tokens(w));
    let mut terms = Vec::new();
    for w in words {
        for s in analysis::stems(&w) {
            terms.push(term(field, &s));
        }
    }
    any_of(terms)
}

fn snippet(
    generator: &SnippetGenerator,
    doc: &TantivyDocument,
    field: Field,
) -> Vec<(String, bool)> {
    let text: String = doc
        .get_all(field)
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let cut: String = text.chars().take(100_000).collect();
    let s = generator.snippet(&cut);
    if s.highlighted().is_empty() {
        return Vec::new();
    }
    let fragment = s.fragment();
    let mut parts = Vec::new();
    let mut at = 0;
    for r in s.highlighted() {
        if r.start > at {
            parts.push((fragment[at..r.start].to_string(), false));
        }
        parts.push((fragment[r.start..r.end].to_string(), true));
        at = r.end;
    }
    if at < fragment.len() {
        parts.push((fragment[at..].to_string(), false));
    }
    parts
}

/// Runs `req` on `live`. Blocking: call it from `spawn_blocking`.
pub fn run(live: &Live, req: &Request) -> anyhow::Result<Hits> {
    let f = &live.fields;
    let searcher = match req.sort {
        Sort::Relevance { pinned, .. } => live.searcher(pinned),
        Sort::Recent { .. } => live.reader.searcher(),
    };
    let generation = searcher.generation().generation_id();
    let query = build(f, req);
    let limit = req.limit.max(1);
    let (docs, total): (Vec<(f32, u64, tantivy::DocAddress)>, usize) = match req.sort {
        Sort::Relevance { offset, .. } => {
            let offset = offset.min(MAX_OFFSET);
            let (top, total) = searcher.search(
                &query,
                &(
                    TopDocs::with_limit(limit + 1)
                        .and_offset(offset)
                        .order_by_score(),
                    Count,
                ),
            )?;
            (top.into_iter().map(|(s, a)| (s, 0, a)).collect(), total)
        }
        Sort::Recent { .. } => {
            let (top, total) = searcher.search(
                &query,
                &(
                    TopDocs::with_limit(limit + 1)
                        .order_by_fast_field::<u64>("recent", Order::Desc),
                    Count,
                ),
            )?;
            (
                top.into_iter()
                    .map(|(k, a)| (0.0, k.unwrap_or(0), a))
                    .collect(),
                total,
            )
        }
    };
    let more = docs.len() > limit;
    let body_gen = SnippetGenerator::create(
        &searcher,
        &*highlight(&req.parsed, f.body_stem),
        f.body_stem,
    )?;
    let notes_gen = if req.notes {
        Some(SnippetGenerator::create(
            &searcher,
            &*highlight(&req.parsed, f.notes_stem),
            f.notes_stem,
        )?)
    } else {
        None
    };
    let mut hits = Vec::with_capacity(limit);
    for (score, recent, addr) in docs.into_iter().take(limit) {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let Some(ticket) = doc
            .get_first(f.ticket)
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<TicketId>().ok())
        else {
            continue;
        };
        let mut parts = snippet(&body_gen, &doc, f.body);
        if parts.is_empty()
            && let Some(generator) = &notes_gen
        {
            parts = snippet(generator, &doc, f.notes);
        }
        hits.push(Hit {
            ticket,
            score,
            recent,
            snippet: parts,
        });
    }
    let next = more.then(|| match req.sort {
        Sort::Relevance { offset, .. } => Sort::Relevance {
            offset: offset + limit,
            pinned: Some(generation),
        },
        Sort::Recent { .. } => Sort::Recent {
            after: hits.last().map(|h| h.recent),
        },
    });
    let next =
        next.filter(|s| !matches!(s, Sort::Relevance { offset, .. } if *offset >= MAX_OFFSET));
    Ok(Hits { hits, total, next })
}
