//! Pure types and rules: ids, roles, the ticket status machine, the access
//! rule, addresses. No I/O: sqlx appears only as derives so that rows can
//! carry these types, and nothing here knows about HTTP or mail.

pub mod access;
/// Business-hours calendars and business durations for service levels.
pub mod business_time;
pub mod email;
pub mod ids;
pub mod journal;
pub mod messages;
pub mod placeholders;
pub mod priority;
pub mod queue;
/// Service-level policies: due times, pauses, warnings and outcomes.
pub mod sla;
pub mod sla_clock;
pub mod status;
pub mod subjects;
pub mod uploads;
pub mod users;
pub mod webhooks;
