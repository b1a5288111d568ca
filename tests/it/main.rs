//! Integration tests: the real app against real PostgreSQL (a fresh,
//! migrated database per test via `#[sqlx::test]`), driven over HTTP.

mod access;
mod access_cases;
mod accounts;
mod admin;
mod agent;
mod audit_log;
mod browser;
mod browser_search;
mod catalog_names;
mod cluster;
mod csrf;
mod embedded;
mod events;
mod faults;
mod hardening;
mod hardening_mail;
mod harness;
mod invariants;
mod keyboard;
mod mail;
mod mail_fuzz;
mod mail_texts;
mod mailbox_check;
mod mailkit;
mod nodes;
mod pages;
mod palette;
mod portal;
mod search;
mod sla_config;
mod sla_due;
mod statements;
mod stats;
mod tickets;
mod walk;
