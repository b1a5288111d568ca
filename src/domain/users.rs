//! Roles and what each may reach.

use serde::{Deserialize, Serialize};

/// One table holds customers and staff; the role says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "user_role", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Agent,
    Admin,
}

impl Role {
    /// Agents and admins work in the agent workspace.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Agent | Role::Admin)
    }

    /// The home page of the role's area.
    pub fn home(self) -> &'static str {
        match self {
            Role::Customer => "/portal",
            Role::Agent => "/agent",
            Role::Admin => "/admin",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Agent => "agent",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "customer" => Ok(Role::Customer),
            "agent" => Ok(Role::Agent),
            "admin" => Ok(Role::Admin),
            other => Err(format!("unknown role {other:?}: customer, agent or admin")),
        }
    }
}
