//! "You have a similar open ticket": more-like-this over a customer's own
//! tickets, by the stems of the new subject and description, so that
//! "Серверы не отвечают" meets "Сервер не отвечает".

use std::collections::BTreeSet;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use super::analysis;
use super::index::Live;
use crate::domain::ids::{TicketId, UserId};

/// Description words that take part: the first ones say what it is about.
const DESCRIPTION_WORDS: usize = 40;

fn words(text: &str, min_chars: usize) -> Vec<String> {
    let mut seen = BTreeSet::new();
    analysis::tokens(&mut analysis::raw_analyzer(), text)
        .into_iter()
        .filter(|w| w.chars().count() >= min_chars && seen.insert(w.clone()))
        .collect()
}

fn term(field: tantivy::schema::Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

/// The requester's active or resolved tickets sharing stems with the new
/// one, most alike first.
pub fn candidates(
    live: &Live,
    requester: UserId,
    subject: &str,
    description: &str,
    limit: usize,
) -> anyhow::Result<Vec<TicketId>> {
    let f = &live.fields;
    let mut alike: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for w in words(subject, 3) {
        for s in analysis::stems(&w) {
            alike.push((
                Occur::Should,
                Box::new(BoostQuery::new(term(f.subject_stem, &s), 3.0)),
            ));
        }
    }
    for w in words(description, 4).into_iter().take(DESCRIPTION_WORDS) {
        for s in analysis::stems(&w) {
            alike.push((Occur::Should, term(f.subject_stem, &s)));
            alike.push((
                Occur::Should,
                Box::new(BoostQuery::new(term(f.body_stem, &s), 0.5)),
            ));
        }
    }
    if alike.is_empty() {
        return Ok(Vec::new());
    }
    let statuses: Vec<(Occur, Box<dyn Query>)> = ["open", "pending", "resolved"]
        .into_iter()
        .map(|s| (Occur::Should, term(f.status, s)))
        .collect();
    let query = BooleanQuery::new(vec![
        (
            Occur::Must,
            Box::new(ConstScoreQuery::new(
                term(f.requester, &requester.to_string()),
                0.0,
            )),
        ),
        (
            Occur::Must,
            Box::new(ConstScoreQuery::new(
                Box::new(BooleanQuery::new(statuses)),
                0.0,
            )),
        ),
        (Occur::Must, Box::new(BooleanQuery::new(alike))),
    ]);
    let searcher = live.reader.searcher();
    let top = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
    let mut out = Vec::with_capacity(top.len());
    for (_, addr) in top {
        let doc: TantivyDocument = searcher.doc(addr)?;
        if let Some(id) = doc
            .get_first(f.ticket)
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse().ok())
        {
            out.push(id);
        }
    }
    Ok(out)
}

/// Whether two subjects name the same problem: at least half of their
/// words (three letters or more) are shared, a word meeting another when
/// they have a stem in common.
pub fn subjects_alike(a: &str, b: &str) -> bool {
    let stemmed =
        |s: &str| -> Vec<Vec<String>> { words(s, 3).iter().map(|w| analysis::stems(w)).collect() };
    let (a, b) = (stemmed(a), stemmed(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let shared = a
        .iter()
        .filter(|x| b.iter().any(|y| x.iter().any(|s| y.contains(s))))
        .count();
    let all = a.len() + b.len() - shared;
    shared * 2 >= all
}

#[cfg(test)]
mod tests {
    use super::subjects_alike;

    #[test]
    fn word_forms_make_subjects_alike() {
        assert!(subjects_alike("Серверы не отвечают", "Сервер не отвечает"));
        assert!(subjects_alike("Invoice for the disks", "invoices disk"));
        assert!(subjects_alike("Rechnungen offen", "Rechnung offen"));
        assert!(!subjects_alike("Сервер не отвечает", "Оплата счёта"));
        assert!(!subjects_alike("", "Оплата"));
    }
}
