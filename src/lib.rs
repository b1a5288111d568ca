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
