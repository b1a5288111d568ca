//! Bilet: a self-hosted multi-department helpdesk.

/// Composition root: state, server, jobs, shutdown.
pub mod app;
/// Attachment and raw-mail bytes, content-addressed.
pub mod blobs;
/// The command line.
pub mod cli;
/// Typed configuration and its validation.
pub mod config;
/// Connection pool, migrations, the embedded PostgreSQL cluster.
pub mod database;
/// Pure types and rules: no I/O.
pub mod domain;
/// The event bus on LISTEN/NOTIFY.
pub mod events;
/// Strings, dates and numbers in the reader's language.
pub mod i18n;
/// Background jobs and their supervisor.
pub mod jobs;
/// Mail: parsing, classification, threading rules, Message-IDs, IMAP and SMTP.
pub mod mail;
/// Full-text search over tickets and messages.
pub mod search;
/// The server's keys.
pub mod secrets;
/// Use cases shared by every entry point.
pub mod service;
/// What handlers, services and jobs share.
pub mod state;
/// All SQL.
pub mod store;
/// Logging.
pub mod telemetry;
/// The web server.
pub mod web;

/// Makes ring the process's TLS provider. Every TLS user in Bilet is built
/// on ring (aws-lc stays out of the tree); the S3 client (reqwest without a
/// provider of its own) needs it installed. Calling it again is harmless.
pub fn use_ring_for_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
