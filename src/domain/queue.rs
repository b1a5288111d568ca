//! What an agent's queue shows: filters, sort orders and the built-in
//! workspaces. Saved searches store a [`Filter`] as JSON.

use serde::{Deserialize, Serialize};

use super::ids::{DepartmentId, UserId};
use super::priority::Priority;
use super::status::Status;

/// Whose tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind", content = "user")]
pub enum Assignee {
    #[default]
    Anyone,
    /// The agent looking at the queue.
    Me,
    Unassigned,
    User(UserId),
}

/// The order of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    ActivityNewest,
    ActivityOldest,
    CreatedNewest,
    CreatedOldest,
    /// Best match first: a text search's order (newest first without text).
    Relevance,
    /// The earliest service-level due time first; only tickets that owe
    /// something (the index holds no others).
    DueSoonest,
}

impl Sort {
    pub const ALL: [Sort; 6] = [
        Sort::Relevance,
        Sort::ActivityNewest,
        Sort::ActivityOldest,
        Sort::CreatedNewest,
        Sort::CreatedOldest,
        Sort::DueSoonest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::ActivityNewest => "activity_newest",
            Sort::ActivityOldest => "activity_oldest",
            Sort::CreatedNewest => "created_newest",
            Sort::CreatedOldest => "created_oldest",
            Sort::Relevance => "relevance",
            Sort::DueSoonest => "due_soonest",
        }
    }

    /// Ordered by the service-level due time?
    pub fn by_due(self) -> bool {
        self == Sort::DueSoonest
    }

    /// Newest first?
    pub fn descending(self) -> bool {
        matches!(
            self,
            Sort::ActivityNewest | Sort::CreatedNewest | Sort::Relevance
        )
    }

    /// Ordered by creation rather than last activity?
    pub fn by_created(self) -> bool {
        matches!(self, Sort::CreatedNewest | Sort::CreatedOldest)
    }
}

impl std::str::FromStr for Sort {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Sort::ALL.into_iter().find(|x| x.as_str() == s).ok_or(())
    }
}

/// A queue filter. Empty lists mean "any".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Filter {
    pub statuses: Vec<Status>,
    pub priority: Option<Priority>,
    pub assignee: Assignee,
    pub department: Option<DepartmentId>,
    /// Words in the subject or any message.
    pub text: Option<String>,
    /// The requester's address or name.
    pub requester: Option<String>,
    /// Exactly this requester (the API's "a customer's tickets").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester_id: Option<UserId>,
    /// Only tickets with activity within this many days.
    pub within_days: Option<u32>,
    /// Only tickets whose earliest due time has passed.
    pub overdue: bool,
    pub sort: Sort,
}

impl Filter {
    /// Whether the maintained counts (by department, status and assignee)
    /// answer this filter exactly; otherwise it needs a capped count.
    pub fn counted_by_counters(&self) -> bool {
        self.priority.is_none()
            && self.text.is_none()
            && self.requester.is_none()
            && self.requester_id.is_none()
            && self.within_days.is_none()
            && !self.overdue
            && !self.sort.by_due()
    }
}

/// The workspaces every agent has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    MineOpen,
    Unassigned,
    Waiting,
    /// Tickets past a service-level due time, the most overdue first.
    Overdue,
    RecentlyClosed,
}

impl Builtin {
    pub const ALL: [Builtin; 5] = [
        Builtin::MineOpen,
        Builtin::Unassigned,
        Builtin::Waiting,
        Builtin::Overdue,
        Builtin::RecentlyClosed,
    ];

    /// The slug in URLs (`/agent?ws=mine`).
    pub fn slug(self) -> &'static str {
        match self {
            Builtin::MineOpen => "mine",
            Builtin::Unassigned => "unassigned",
            Builtin::Waiting => "waiting",
            Builtin::Overdue => "overdue",
            Builtin::RecentlyClosed => "closed",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.slug() == slug)
    }

    /// Its filter.
    pub fn filter(self) -> Filter {
        match self {
            Builtin::MineOpen => Filter {
                statuses: vec![Status::Open, Status::Pending],
                assignee: Assignee::Me,
                ..Filter::default()
            },
            Builtin::Unassigned => Filter {
                statuses: vec![Status::Open, Status::Pending],
                assignee: Assignee::Unassigned,
                ..Filter::default()
            },
            Builtin::Waiting => Filter {
                statuses: vec![Status::Pending],
                ..Filter::default()
            },
            Builtin::Overdue => Filter {
                statuses: vec![Status::Open, Status::Pending],
                overdue: true,
                sort: Sort::DueSoonest,
                ..Filter::default()
            },
            Builtin::RecentlyClosed => Filter {
                statuses: vec![Status::Resolved, Status::Closed],
                within_days: Some(7),
                ..Filter::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_json() {
        let f = Filter {
            statuses: vec![Status::Open],
            assignee: Assignee::User(UserId::new()),
            text: Some("502".into()),
            sort: Sort::CreatedOldest,
            ..Filter::default()
        };
        let json = serde_json::to_value(&f).expect("json");
        assert_eq!(serde_json::from_value::<Filter>(json).expect("back"), f);
        // Older or partial JSON still reads.
        assert_eq!(
            serde_json::from_str::<Filter>("{}").expect("empty"),
            Filter::default()
        );
    }

    #[test]
    fn builtins_have_unique_slugs() {
        for b in Builtin::ALL {
            assert_eq!(Builtin::from_slug(b.slug()), Some(b));
        }
    }
}
