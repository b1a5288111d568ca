//! Use cases shared by the web, the CLI, mail and jobs. Owns transactions;
//! asks `domain` for the rules and `store` for the data. No HTTP here.

pub mod accounts;
pub mod backup;
pub mod blob_gc;
pub mod blob_migrate;
pub mod catalog;
pub mod doctor;
pub mod health;
pub mod journal;
pub mod mail;
pub mod notifications;
pub mod privacy;
pub mod rating_links;
pub mod search;
pub mod seed;
pub mod sla;
pub mod stats;
pub mod tickets;
pub mod tokens;
pub mod webhooks;

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
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// Too many attempts, or no turn for a password hash; try again in
    /// this many seconds.
    #[error("throttled; retry after {retry_after} s")]
    Throttled { retry_after: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Why a change collides with the ticket as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The form was made from an older version of the ticket.
    Stale,
    /// The change would leave things as they are.
    Unchanged,
    /// The ticket is already closed.
    AlreadyClosed,
    /// Only resolved or closed tickets are rated as a whole.
    NotResolved,
    /// A rating older than the change window stays as it is.
    RatingFixed,
    /// A ticket's only message cannot be split out.
    SplitLastMessage,
    /// The ticket was merged into another.
    Merged,
    /// Closed longer than the reopen window: a reply opens a new ticket.
    ReopenWindowPassed,
    /// Admins may not disable their own account.
    OwnAccount,
    /// A journal reader fell behind the journal's retention.
    JournalPruned,
    /// The mail was filed already; a retry would file it twice.
    MailDone,
}

impl Conflict {
    /// The notice key the pages show for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Conflict::Stale => "stale",
            Conflict::Unchanged => "nothing-changed",
            Conflict::AlreadyClosed => "already-closed",
            Conflict::NotResolved => "not-resolved",
            Conflict::RatingFixed => "rating-fixed",
            Conflict::SplitLastMessage => "split-last-message",
            Conflict::Merged => "merged-away",
            Conflict::ReopenWindowPassed => "reopen-window-passed",
            Conflict::OwnAccount => "own-account",
            Conflict::JournalPruned => "journal-pruned",
            Conflict::MailDone => "mail-done",
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        Error::Internal(err.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One form error: the field (`""` for the form as a whole), the locale key
/// of its message, and the number the message mentions, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub key: &'static str,
    pub n: Option<i64>,
    /// A name the message mentions (a file name).
    pub name: Option<String>,
    /// Further arguments whose text is itself a message: (argument, key).
    pub terms: Vec<(&'static str, &'static str)>,
}

/// The errors of one form submission.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, key: &'static str) {
        self.push(field, key, None, None);
    }

    /// An error whose message mentions a number ("at least { $n } characters").
    pub fn add_n(&mut self, field: &'static str, key: &'static str, n: i64) {
        self.push(field, key, Some(n), None);
    }

    /// An error about something named, such as one of several files.
    pub fn add_named(
        &mut self,
        field: &'static str,
        key: &'static str,
        name: &str,
        n: Option<i64>,
    ) {
        self.push(field, key, n, Some(name.to_string()));
    }

    /// A file refused for being other than its name says: "screenshot.png
    /// is not a PNG image: it is a program".
    pub fn add_file_refused(
        &mut self,
        field: &'static str,
        name: &str,
        claimed: &'static str,
        actual: &'static str,
    ) {
        self.push(
            field,
            "error-file-not-claimed",
            None,
            Some(name.to_string()),
        );
        if let Some(last) = self.0.last_mut() {
            last.terms = vec![("claimed", claimed), ("actual", actual)];
        }
    }

    fn push(
        &mut self,
        field: &'static str,
        key: &'static str,
        n: Option<i64>,
        name: Option<String>,
    ) {
        self.0.push(FieldError {
            field,
            key,
            n,
            name,
            terms: Vec::new(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The error of `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }

    /// `Err(Invalid)` when there are errors.
    pub fn into_result(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self))
        }
    }

    /// The errors of a form with one error.
    pub fn one_error(field: &'static str, key: &'static str) -> FieldErrors {
        let mut errors = FieldErrors::default();
        errors.add(field, key);
        errors
    }

    /// A single error.
    pub fn one(field: &'static str, key: &'static str) -> Error {
        let mut errors = FieldErrors::default();
        errors.add(field, key);
        Error::Invalid(errors)
    }
}
