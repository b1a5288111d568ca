//! Running a search: ranked or by date, an exact total, and for each hit
//! the highlighted fragment of the matching text.

use tantivy::collector::{Count, TopDocs};
use tantivy::schema::{Field, Value};
use tantivy::{Order, TantivyDocument};
use time::OffsetDateTime;

use super::build::{build, excluded_phrases};
use super::index::Live;
use super::query::Parsed;
use super::snippet::Marks;
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
    /// By last activity (or creation), then number; `after` is the
    /// previous page's last key.
    Date {
        created: bool,
        ascending: bool,
        after: Option<u64>,
    },
}

impl Sort {
    /// The queue's order as a search order: relevance, or a date.
    pub fn from_queue(sort: crate::domain::queue::Sort) -> Sort {
        use crate::domain::queue::Sort as Q;
        match sort {
            // The index keeps no due times: best match first.
            Q::Relevance | Q::DueSoonest => Sort::Relevance {
                offset: 0,
                pinned: None,
            },
            other => Sort::Date {
                created: other.by_created(),
                ascending: !other.descending(),
                after: None,
            },
        }
    }
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
    /// `from:` values (and the form's requester) resolved to the people
    /// they name now, so a renamed customer is found by the new name;
    /// `None` where a value named too many to list (then the indexed
    /// words decide).
    pub from_ids: Vec<Option<Vec<UserId>>>,
    /// `agent:` values resolved the same way (`agent:me` is the viewer).
    pub agent_ids: Vec<Option<Vec<UserId>>>,
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

/// The stored text of `field`, its values one per line.
fn text_of(doc: &TantivyDocument, field: Field) -> String {
    doc.get_all(field)
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `req` on `live`. Blocking: call it from `spawn_blocking`.
pub fn run(live: &Live, req: &Request) -> anyhow::Result<Hits> {
    let f = &live.fields;
    let searcher = match req.sort {
        Sort::Relevance { pinned, .. } => live.searcher(pinned),
        Sort::Date { .. } => live.reader.searcher(),
    };
    let generation = searcher.generation().generation_id();
    let phrases = excluded_phrases(&searcher, f, req)?;
    let query = build(f, req, true, &phrases);
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
        Sort::Date {
            created,
            ascending,
            after,
        } => {
            let key = if created { "opened" } else { "recent" };
            let order = if ascending { Order::Asc } else { Order::Desc };
            let top = searcher.search(
                &query,
                &TopDocs::with_limit(limit + 1).order_by_fast_field::<u64>(key, order),
            )?;
            // Later pages carry the keyset in the query: the total is of
            // the whole search, counted without it.
            let total = if after.is_some() {
                searcher.search(&*build(f, req, false, &phrases), &Count)?
            } else if top.len() <= limit {
                top.len()
            } else {
                searcher.search(&query, &Count)?
            };
            (
                top.into_iter()
                    .map(|(k, a)| (0.0, k.unwrap_or(0), a))
                    .collect(),
                total,
            )
        }
    };
    let more = docs.len() > limit;
    let p = &req.parsed;
    let marks = Marks::new(p.words.iter().chain(&p.phrases).chain(&p.subject));
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
        let mut parts = marks.fragment(&text_of(&doc, f.body));
        if parts.is_empty() && req.notes {
            parts = marks.fragment(&text_of(&doc, f.notes));
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
        Sort::Date {
            created, ascending, ..
        } => Sort::Date {
            created,
            ascending,
            after: hits.last().map(|h| h.recent),
        },
    });
    let next =
        next.filter(|s| !matches!(s, Sort::Relevance { offset, .. } if *offset >= MAX_OFFSET));
    Ok(Hits { hits, total, next })
}
