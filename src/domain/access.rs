//! The access rule, written once. Every read and write of a ticket (pages,
//! attachments, search, API, live updates, mail) asks [`scope`] what the
//! viewer may reach, and `store::access` turns that scope into the one SQL
//! predicate that every ticket query carries. A ticket outside the scope
//! does not exist for the viewer: callers answer 404, never 403.
//!
//! - admins reach every ticket;
//! - agents reach the tickets of the departments granted to them, at the
//!   granted level (read < reply < manage);
//! - customers reach the tickets they requested, those they take part in
//!   with portal access, and their organisation's tickets when the
//!   organisation shares them; they may read and reply, never manage;
//! - disabled accounts reach nothing;
//! - an API token narrows its user: to the departments (and levels) it was
//!   given, and to reading when it is read-only. What the user could not
//!   reach the token never reaches.
//!
//! Besides seeing, the rule says who works a department: staff at
//! [`WORKS_IN`] or above (and admins) may be assigned its tickets, are told
//! about customer messages, keep an assigned ticket through a transfer, and
//! may answer a ticket by mail (their mail becomes an internal note).
//! `store::access` holds the SQL twin of every function here; the live
//! stream, which keeps a staff member's [`Grants`] in memory, uses
//! [`Grants::reaches`], the in-memory twin of the same rule.

use serde::{Deserialize, Serialize};

use super::ids::{DepartmentId, OrganisationId, TokenId, UserId};
use super::users::Role;

/// How much an agent may do in a department. Ordered: read < reply < manage.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(type_name = "access_level", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum AccessLevel {
    /// See the tickets, nothing more.
    Read,
    /// Also reply, add notes and attachments.
    Reply,
    /// Also assign, transfer, split, merge and change status or priority.
    Manage,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Read => "read",
            AccessLevel::Reply => "reply",
            AccessLevel::Manage => "manage",
        }
    }
}

impl std::str::FromStr for AccessLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read" => Ok(AccessLevel::Read),
            "reply" => Ok(AccessLevel::Reply),
            "manage" => Ok(AccessLevel::Manage),
            other => Err(format!(
                "unknown access level {other:?}: read, reply or manage"
            )),
        }
    }
}

/// The person asking, as far as the rule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: UserId,
    pub role: Role,
    pub organisation_id: Option<OrganisationId>,
    pub disabled: bool,
    /// A customer's address is proven: until then they do not see tickets
    /// that mail from that address opened or answered (whoever registered
    /// the address first must not read its owner's mail).
    pub mail_proven: bool,
    /// Set when the person acts through an API token.
    pub narrowing: Option<Narrowing>,
}

/// How an API token narrows its user's reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Narrowing {
    pub token: TokenId,
    /// Only the departments listed for the token, at their levels.
    pub departments: bool,
    /// Nothing above [`AccessLevel::Read`].
    pub read_only: bool,
}

/// The tickets a viewer reaches for one kind of need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every ticket.
    All,
    /// Tickets of the departments granted to `agent` at `at_least` or above.
    Departments {
        agent: UserId,
        at_least: AccessLevel,
    },
    /// The customer's own, shared-with and organisation tickets.
    Customer {
        user: UserId,
        organisation: Option<OrganisationId>,
        mail_proven: bool,
    },
    /// Tickets of the departments listed for an API token at `at_least`
    /// or above, and (`agent` set) granted to its user there too.
    Token {
        token: TokenId,
        agent: Option<UserId>,
        at_least: AccessLevel,
    },
    /// No ticket at all.
    Nothing,
}

/// The rule itself.
pub fn scope(viewer: &Viewer, need: AccessLevel) -> Scope {
    if viewer.disabled {
        return Scope::Nothing;
    }
    if let Some(n) = viewer.narrowing {
        if n.read_only && need > AccessLevel::Read {
            return Scope::Nothing;
        }
        if n.departments {
            return match viewer.role {
                Role::Admin => Scope::Token {
                    token: n.token,
                    agent: None,
                    at_least: need,
                },
                Role::Agent => Scope::Token {
                    token: n.token,
                    agent: Some(viewer.user_id),
                    at_least: need,
                },
                Role::Customer => Scope::Nothing,
            };
        }
    }
    match viewer.role {
        Role::Admin => Scope::All,
        Role::Agent => Scope::Departments {
            agent: viewer.user_id,
            at_least: need,
        },
        Role::Customer if need <= AccessLevel::Reply => Scope::Customer {
            user: viewer.user_id,
            organisation: viewer.organisation_id,
            mail_proven: viewer.mail_proven,
        },
        Role::Customer => Scope::Nothing,
    }
}

/// The least level at which a staff member works a department's tickets.
pub const WORKS_IN: AccessLevel = AccessLevel::Reply;

/// A staff member's grants, as the live stream holds them in memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grants {
    pub admin: bool,
    pub disabled: bool,
    pub departments: Vec<(DepartmentId, AccessLevel)>,
}

impl Grants {
    /// The level in `department`: what [`scope`] grants there.
    pub fn level_in(&self, department: DepartmentId) -> Option<AccessLevel> {
        if self.disabled {
            return None;
        }
        if self.admin {
            return Some(AccessLevel::Manage);
        }
        self.departments
            .iter()
            .find(|(d, _)| *d == department)
            .map(|(_, l)| *l)
    }

    /// Whether a ticket of `department` is within reach at `need`.
    pub fn reaches(&self, department: DepartmentId, need: AccessLevel) -> bool {
        self.level_in(department).is_some_and(|l| l >= need)
    }
}

/// Whether someone at `level` in a department works its tickets.
pub fn works_in(level: Option<AccessLevel>) -> bool {
    level.is_some_and(|l| l >= WORKS_IN)
}

/// Whether the holder of `scope` reads internal notes (and their
/// attachments). Customers never do.
pub fn reads_notes(scope: Scope) -> bool {
    !matches!(scope, Scope::Customer { .. } | Scope::Nothing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(role: Role) -> Viewer {
        Viewer {
            user_id: UserId::new(),
            role,
            organisation_id: None,
            disabled: false,
            mail_proven: true,
            narrowing: None,
        }
    }

    #[test]
    fn tokens_narrow_to_their_departments_and_to_reading() {
        let token = TokenId::new();
        let mut admin = viewer(Role::Admin);
        admin.narrowing = Some(Narrowing {
            token,
            departments: true,
            read_only: false,
        });
        assert_eq!(
            scope(&admin, AccessLevel::Manage),
            Scope::Token {
                token,
                agent: None,
                at_least: AccessLevel::Manage
            }
        );
        let mut reader = viewer(Role::Admin);
        reader.narrowing = Some(Narrowing {
            token,
            departments: false,
            read_only: true,
        });
        assert_eq!(scope(&reader, AccessLevel::Read), Scope::All);
        assert_eq!(scope(&reader, AccessLevel::Reply), Scope::Nothing);
    }

    #[test]
    fn levels_are_ordered() {
        assert!(AccessLevel::Read < AccessLevel::Reply);
        assert!(AccessLevel::Reply < AccessLevel::Manage);
    }

    #[test]
    fn admins_reach_everything_and_disabled_users_nothing() {
        assert_eq!(scope(&viewer(Role::Admin), AccessLevel::Manage), Scope::All);
        let mut disabled = viewer(Role::Admin);
        disabled.disabled = true;
        assert_eq!(scope(&disabled, AccessLevel::Read), Scope::Nothing);
    }

    #[test]
    fn agents_are_limited_to_their_departments_at_the_needed_level() {
        let agent = viewer(Role::Agent);
        assert_eq!(
            scope(&agent, AccessLevel::Reply),
            Scope::Departments {
                agent: agent.user_id,
                at_least: AccessLevel::Reply
            }
        );
    }

    #[test]
    fn grants_follow_the_same_rule_as_the_scope() {
        let tech = DepartmentId::new();
        let billing = DepartmentId::new();
        let agent = Grants {
            admin: false,
            disabled: false,
            departments: vec![(tech, AccessLevel::Read)],
        };
        assert!(agent.reaches(tech, AccessLevel::Read));
        assert!(!agent.reaches(tech, AccessLevel::Reply));
        assert!(!agent.reaches(billing, AccessLevel::Read));
        assert!(!works_in(agent.level_in(tech)));
        let admin = Grants {
            admin: true,
            ..Grants::default()
        };
        assert!(admin.reaches(billing, AccessLevel::Manage));
        let disabled = Grants {
            disabled: true,
            ..admin
        };
        assert!(!disabled.reaches(billing, AccessLevel::Read));
    }

    #[test]
    fn customers_read_and_reply_but_never_manage() {
        let customer = viewer(Role::Customer);
        assert!(matches!(
            scope(&customer, AccessLevel::Reply),
            Scope::Customer { .. }
        ));
        assert_eq!(scope(&customer, AccessLevel::Manage), Scope::Nothing);
    }
}
