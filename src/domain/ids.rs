//! Typed identifiers. Internal ids are UUIDs and never leave the server;
//! tickets are addressed from outside by their public number.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
        #[sqlx(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A person: customer or staff.
    UserId
);
id_type!(
    /// A department.
    DepartmentId
);
id_type!(
    /// A ticket (internal; the public face is [`TicketNumber`]).
    TicketId
);
id_type!(
    /// A message within a ticket.
    MessageId
);
id_type!(
    /// An attachment row (served by this id, never by content hash).
    AttachmentId
);
id_type!(
    /// A server-side session.
    SessionId
);
id_type!(
    /// An organisation customers may belong to.
    OrganisationId
);
id_type!(
    /// An API token.
    TokenId
);

/// The public ticket number: plain digits, used in URLs, mail subject tags
/// and JSON (as a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
#[sqlx(transparent)]
pub struct TicketNumber(pub i64);

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for TicketNumber {
    type Err = InvalidTicketNumber;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Digits only: "+5", "05 " or "1e3" are not ticket numbers.
        if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidTicketNumber);
        }
        s.parse().map(TicketNumber).map_err(|_| InvalidTicketNumber)
    }
}

impl Serialize for TicketNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TicketNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Not a ticket number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a ticket number")]
pub struct InvalidTicketNumber;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_are_plain_digits() {
        assert_eq!("1001".parse::<TicketNumber>(), Ok(TicketNumber(1001)));
        for bad in ["", "+5", "-1", "1e3", " 5", "abc", "9999999999999999999"] {
            assert!(bad.parse::<TicketNumber>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ticket_numbers_are_strings_in_json() {
        let json = serde_json::to_string(&TicketNumber(42)).expect("serialises");
        assert_eq!(json, "\"42\"");
    }
}
