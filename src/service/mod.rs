//! Use cases shared by the web, the CLI, mail and jobs. Owns transactions;
//! asks `domain` for the rules and `store` for the data. No HTTP here.

pub mod accounts;
pub mod departments;
pub mod health;
pub mod passwords;
pub mod sessions;
pub mod tickets;

/// What went wrong in a use case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// It does not exist, or the asker may not see it: the same to them.
    #[error("not found")]
    NotFound,
    /// They may see it but not do this.
    #[error("forbidden")]
    Forbidden,
    /// The input is wrong; each entry names a field and a message key.
    #[error("invalid input: {0:?}")]
    Invalid(FieldErrors),
    /// The request collides with the current state.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// Too many failed attempts; try again later.
    #[error("throttled")]
    Throttled,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        Error::Internal(err.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Form errors: (field name, locale key of the message). The field `""`
/// is about the form as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, &'static str)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message_key: &'static str) {
        self.0.push((field, message_key));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message key for `field`, if it has an error.
    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| *m)
    }

    /// `Err(Invalid)` when there are errors.
    pub fn into_result(self) -> Result<()> {
        if self.is_empty() { Ok(()) } else { Err(Error::Invalid(self)) }
    }

    /// A single error.
    pub fn one(field: &'static str, message_key: &'static str) -> Error {
        Error::Invalid(FieldErrors(vec![(field, message_key)]))
    }
}
