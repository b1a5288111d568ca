//! The settings cache every node keeps: the admin settings as last read
//! from the database. `service::catalog::settings` loads and saves them; the event
//! bus tells every node to reload (see `jobs::settings`).

use std::sync::{Arc, RwLock};

use crate::config::Config;

/// The current settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub helpdesk_name: String,
    pub default_locale: String,
    pub max_file_bytes: u64,
    pub max_message_bytes: u64,
    /// Senders that relay for others (website forms sending as noreply@):
    /// for them the requester is Reply-To.
    pub relay_addresses: Vec<String>,
    /// Acknowledge new tickets to customers.
    pub notify_ack: bool,
    /// Mail agents' replies to customers.
    pub notify_replies: bool,
    /// Tell the assignee (or the department's agents) about customer messages.
    pub notify_agents: bool,
}

impl Settings {
    /// The configuration's values, before anything is stored.
    pub fn defaults(config: &Config) -> Settings {
        Settings {
            helpdesk_name: "Bilet".into(),
            default_locale: config.i18n.default_locale.clone(),
            max_file_bytes: config.attachments.max_file_bytes,
            max_message_bytes: config.attachments.max_message_bytes,
            relay_addresses: Vec::new(),
            notify_ack: true,
            notify_replies: true,
            notify_agents: true,
        }
    }
}

/// A node's cached copy.
#[derive(Clone)]
pub struct SettingsCache(Arc<RwLock<Arc<Settings>>>);

impl SettingsCache {
    pub fn new(settings: Settings) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(settings))))
    }

    /// The settings now.
    pub fn get(&self) -> Arc<Settings> {
        match self.0.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the cached settings (after a load from the database).
    pub fn set(&self, settings: Settings) {
        match self.0.write() {
            Ok(mut s) => *s = Arc::new(settings),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(settings),
        }
    }
}
