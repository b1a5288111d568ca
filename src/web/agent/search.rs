//! The queue when the box holds text: answered by the search index, shown
//! as the same rows with the matching fragment highlighted.

use super::{Queue, QueueQuery, TabView, row_view};
use crate::domain::queue::{Filter, Sort};
use crate::i18n::Arg;
use crate::search::find;
use crate::search::query::Problem;
use crate::service;
use crate::state::AppState;
use crate::web::context::{PageCtx, Visitor};
use crate::web::error::WebError;

/// Rows per page of results.
const PAGE: usize = 50;

/// What the page says above the results.
pub struct Summary {
    pub found: String,
    pub problems: Vec<String>,
    pub rebuilding: bool,
}

/// `after=` of a results page: an offset into the ranking and the pinned
/// snapshot ("r50.7") or the date order's key ("k…").
fn decode(after: Option<&str>, sort: Sort) -> find::Sort {
    match (find::Sort::from_queue(sort), after) {
        (
            find::Sort::Date {
                created, ascending, ..
            },
            Some(a),
        ) => find::Sort::Date {
            created,
            ascending,
            after: a.strip_prefix('k').and_then(|k| k.parse().ok()),
        },
        (find::Sort::Relevance { .. }, Some(a)) => {
            let a = a.strip_prefix('r').unwrap_or_default();
            let (offset, pinned) = a.split_once('.').unwrap_or((a, ""));
            find::Sort::Relevance {
                offset: offset.parse().unwrap_or(0),
                pinned: pinned.parse().ok(),
            }
        }
        (first, None) => first,
    }
}

fn encode(next: find::Sort) -> Option<String> {
    match next {
        find::Sort::Relevance { offset, pinned } => Some(match pinned {
            Some(g) => format!("r{offset}.{g}"),
            None => format!("r{offset}"),
        }),
        find::Sort::Date { after, .. } => after.map(|k| format!("k{k}")),
    }
}

fn problem_text(page: &PageCtx, p: &Problem) -> String {
    match p {
        Problem::TooLong { kept_chars } => page.t1("search-problem-too-long", "n", kept_chars),
        Problem::UnclosedQuote => page.t("search-problem-quote"),
        Problem::UnknownStatus(v) => page.t1("search-problem-status", "value", v),
        Problem::UnknownPriority(v) => page.t1("search-problem-priority", "value", v),
        Problem::UnknownHas(v) => page.t1("search-problem-has", "value", v),
        Problem::BadDate { value, .. } => page.t1("search-problem-date", "value", value),
        Problem::TooManyTerms { dropped } => page.t1("search-problem-too-many", "n", dropped),
        Problem::CannotExclude(_) => page.t("search-problem-exclude"),
        Problem::EmptyDateRange => page.t("search-problem-date-range"),
        Problem::UnknownDepartment(v) => page.t1("search-problem-department", "value", v),
    }
}

/// The results page of `text` with the form's other filters.
#[allow(clippy::too_many_arguments)]
pub(super) async fn queue(
    app: &AppState,
    visitor: &Visitor,
    page: &PageCtx,
    q: &QueueQuery,
    filter: &Filter,
    text: &str,
    query: String,
    tabs: Vec<TabView>,
    title: String,
    adhoc: bool,
) -> Result<Queue, WebError> {
    let sort = decode(q.after.as_deref(), filter.sort);
    let found = service::search::tickets(app, &visitor.user, text, filter, sort, PAGE).await?;
    let now = time::OffsetDateTime::now_utc();
    let mut snippets = found.snippets;
    let rows = found
        .rows
        .into_iter()
        .map(|r| {
            let hit = snippets.remove(&r.id).unwrap_or_default();
            let mut view = row_view(page, r, now);
            view.hit = hit;
            view
        })
        .collect();
    let count = if found.total > service::search::TOTAL_SHOWN {
        format!("{}+", page.fmt.number(service::search::TOTAL_SHOWN as i64))
    } else {
        page.fmt.number(found.total as i64)
    };
    let summary = Summary {
        found: page.locale.t_with(
            "search-found",
            &[
                ("count", Arg::Str(count)),
                (
                    "n",
                    Arg::Num(found.total.min(service::search::TOTAL_SHOWN + 1) as i64),
                ),
            ],
        ),
        problems: found
            .problems
            .iter()
            .map(|p| problem_text(page, p))
            .chain(
                found
                    .unknown_department
                    .iter()
                    .map(|d| page.t1("search-problem-department", "value", d)),
            )
            .collect(),
        rebuilding: found.rebuilding,
    };
    Ok(Queue {
        tabs,
        title,
        rows,
        next: found
            .next
            .and_then(encode)
            .map(|a| format!("/agent?{query}&after={a}")),
        empty_text: page.t("queue-empty-search"),
        query,
        adhoc,
        search: Some(summary),
    })
}

/// GET /agent/search: the advanced form, turned into the box's query.
pub(super) async fn advanced(
    _staff: crate::web::extract::StaffUser,
    axum::extract::Query(form): axum::extract::Query<crate::search::query::Advanced>,
) -> axum::response::Redirect {
    let q = crate::search::query::compose(&form);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", &q)
        .finish();
    axum::response::Redirect::to(&format!("/agent?{query}"))
}
