//! Typed configuration: `config/default.toml` (compiled in), then an optional
//! file, then `BILET_*` environment variables. Validated once at start-up;
//! every error names the key it is about. No I/O beyond reading the file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use ipnet::IpNet;
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

const DEFAULTS: &str = include_str!("../config/default.toml");

/// The whole configuration, as loaded and validated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub data_dir: PathBuf,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub accounts: AccountsConfig,
    pub i18n: I18nConfig,
    pub tickets: TicketsConfig,
    pub attachments: AttachmentsConfig,
    pub blobs: BlobsConfig,
    pub mail: MailConfig,
    pub log: LogConfig,
    pub journal: JournalConfig,
    pub metrics: MetricsConfig,
    pub api: ApiConfig,
    #[serde(default)]
    pub secrets: SecretsConfig,
}

/// The REST API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Requests each token may make per minute (sustained), on each node.
    pub requests_per_minute: u32,
    /// Requests a token may make at once after a quiet spell.
    pub burst: u32,
    /// Seconds a long-polling /api/v1/events request waits at most.
    pub long_poll_seconds: u64,
}

/// Where attachment and raw-mail bytes live.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobsConfig {
    pub store: BlobBackend,
    pub s3: S3Config,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BlobBackend {
    /// `<data_dir>/blobs`, for one node.
    Folder,
    /// An S3-compatible bucket every node shares.
    S3,
}

/// An S3-compatible bucket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// Empty for AWS itself; else the service's URL (path-style requests).
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    /// Put in front of every key, e.g. `bilet/`.
    pub prefix: String,
    pub access_key_id: String,
    pub secret_access_key: Option<SecretString>,
}

/// Who may read /metrics.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Client networks (after `http.trusted_proxies`); others get 404.
    pub allow: Vec<IpNet>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    pub public_url: Url,
    pub trusted_proxies: Vec<IpNet>,
    pub body_limit: usize,
    pub request_timeout: u64,
    pub shutdown_grace: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: Option<SecretString>,
    /// Connections for requests.
    pub max_connections: u32,
    /// Connections the background jobs keep for themselves, so requests
    /// cannot starve them, nor they the requests.
    pub job_connections: u32,
    /// A request that gets no connection within this bound is answered 503.
    pub acquire_timeout_ms: u64,
    /// Longest a request's statement may run; jobs and commands are not bound.
    pub statement_timeout_ms: u64,
    pub embedded: EmbeddedDbConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedDbConfig {
    pub bin_dir: Option<PathBuf>,
    pub user: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsConfig {
    pub registration: bool,
    pub session_days: u32,
    pub min_password_length: usize,
    pub first_admin_email: String,
    /// Password hashes at once (0: one per core).
    pub hash_pool: usize,
    /// Milliseconds a sign-in waits for its turn before 429.
    pub hash_wait_ms: u64,
    /// Account mails (claim links, confirmations) to one address an hour.
    pub mails_per_address_per_hour: u32,
    /// Account mails one client address may cause an hour.
    pub mails_per_client_per_hour: u32,
    pub throttle: ThrottleConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleConfig {
    pub window_minutes: u32,
    pub per_account_and_address: u32,
    pub per_address: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct I18nConfig {
    pub default_locale: String,
    pub default_time_zone: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketsConfig {
    pub auto_close_days: u32,
    pub reopen_window_days: u32,
    pub rating_change_hours: u32,
    pub rate_replies: bool,
    pub link_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentsConfig {
    pub max_file_bytes: u64,
    pub max_message_bytes: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    pub tag_prefix: String,
    pub old_tag_prefixes: Vec<String>,
    pub poll_seconds: u64,
    /// How long a node's claim on a mailbox lasts without renewal: a dead
    /// node's mailboxes move to another node after at most this long.
    pub lease_seconds: u64,
    pub auto_replies_per_hour: u32,
    pub max_mail_bytes: u64,
    /// People one mail may add to a ticket (the rest stay as text).
    pub max_participants_per_mail: usize,
    /// New tickets one sender may open by mail an hour (then held).
    pub max_new_tickets_per_sender_per_hour: u32,
    /// Seconds before each retry of an outgoing mail (the last repeats).
    pub retry_backoff: Vec<u64>,
    /// authserv-ids of the site's own receiving servers, whose
    /// Authentication-Results are believed (RFC 8601).
    pub trusted_authserv_ids: Vec<String>,
    /// Days the bytes of mail filed on a ticket are kept; 0: forever.
    pub filed_raw_retention_days: u32,
    /// Days the bytes of mail on no ticket (quarantined, held, ignored)
    /// are kept; 0: forever.
    pub unfiled_raw_retention_days: u32,
    pub smtp: SmtpConfig,
    pub lmtp: LmtpConfig,
}

/// The LMTP listener for mail straight from the MTA.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmtpConfig {
    /// `127.0.0.1:PORT` or `unix:/PATH`; empty: off.
    pub listen: String,
    /// Sessions at once; more are told to come back later.
    pub max_sessions: usize,
    /// A silent session is closed after this many seconds.
    pub idle_seconds: u64,
}

/// How to reach an SMTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: Option<String>,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password: Option<SecretString>,
}

/// Transport security for mail connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, sqlx::Type)]
#[sqlx(type_name = "tls_mode", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    None,
    Starttls,
    Tls,
}

impl TlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::Starttls => "starttls",
            TlsMode::Tls => "tls",
        }
    }
}

impl std::str::FromStr for TlsMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(TlsMode::None),
            "starttls" => Ok(TlsMode::Starttls),
            "tls" => Ok(TlsMode::Tls),
            other => Err(format!("unknown TLS mode {other:?}: none, starttls or tls")),
        }
    }
}

impl MailConfig {
    /// Every subject-tag prefix recognised, the current one first.
    pub fn tag_prefixes(&self) -> Vec<String> {
        let mut all = vec![self.tag_prefix.clone()];
        all.extend(
            self.old_tag_prefixes
                .iter()
                .filter(|p| !p.is_empty())
                .cloned(),
        );
        all
    }
}

/// The change journal and this node's place among several.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalConfig {
    /// This node's name; empty: the host name and a hash of the data folder.
    pub node: String,
    /// Days journal entries are kept.
    pub retention_days: u32,
    /// Seconds a transaction may stay idle before PostgreSQL ends it.
    pub idle_transaction_seconds: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub filter: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Keys given in the configuration; whatever is missing comes from
/// `<data_dir>/secrets.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    pub session_key: Option<SecretString>,
    pub message_id_key: Option<SecretString>,
    pub mailbox_key: Option<SecretString>,
}

/// A configuration problem, always naming the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: key `{key}`: {problem}")]
    Invalid { key: &'static str, problem: String },
}

impl Config {
    /// Defaults, then `file` when given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::Invalid {
                    key: "--config",
                    problem: format!("{} does not exist", file.display()),
                });
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = figment
            .merge(Env::prefixed("BILET_").split("__"))
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database.url".into()),
            )
            .merge(
                Env::raw()
                    .only(&["BILET_DATA_DIR"])
                    .map(|_| "data_dir".into()),
            );
        let config: Config = figment.extract().map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    /// Small pools and the compiled-in defaults, for tests.
    pub fn for_tests(data_dir: &Path) -> Self {
        let mut config: Config = Figment::from(Toml::string(DEFAULTS))
            .extract()
            .expect("default.toml is valid");
        config.data_dir = data_dir.to_path_buf();
        config.database.max_connections = 5;
        config.http.listen = "127.0.0.1:0".parse().expect("valid address");
        config.http.shutdown_grace = 2;
        config
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, problem: &str| {
            Err(ConfigError::Invalid {
                key,
                problem: problem.to_string(),
            })
        };
        if !matches!(self.http.public_url.scheme(), "http" | "https") {
            return invalid("http.public_url", "must start with http:// or https://");
        }
        if self.blobs.store == BlobBackend::S3 {
            let s3 = &self.blobs.s3;
            if s3.bucket.is_empty() {
                return invalid("blobs.s3.bucket", "must be set when blobs.store is \"s3\"");
            }
            if s3.access_key_id.is_empty() || s3.secret_access_key.is_none() {
                return invalid(
                    "blobs.s3.access_key_id",
                    "the key id and blobs.s3.secret_access_key must be set when blobs.store is \"s3\"",
                );
            }
            if !s3.endpoint.is_empty()
                && !Url::parse(&s3.endpoint).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
            {
                return invalid(
                    "blobs.s3.endpoint",
                    "must be an http:// or https:// URL, or empty for AWS",
                );
            }
        }
        if self.database.job_connections < 2 {
            return invalid("database.job_connections", "must be at least 2");
        }
        if self.database.acquire_timeout_ms == 0 || self.database.statement_timeout_ms == 0 {
            return invalid(
                "database.acquire_timeout_ms",
                "it and database.statement_timeout_ms must be at least 1",
            );
        }
        if self.database.max_connections < 2 {
            return invalid("database.max_connections", "must be at least 2");
        }
        if self.accounts.session_days == 0 {
            return invalid("accounts.session_days", "must be at least 1");
        }
        if self.accounts.min_password_length < 8 {
            return invalid("accounts.min_password_length", "must be at least 8");
        }
        if crate::domain::email::normalize(&self.accounts.first_admin_email).is_none() {
            return invalid("accounts.first_admin_email", "is not an email address");
        }
        if self.api.requests_per_minute == 0 || self.api.burst == 0 {
            return invalid(
                "api.requests_per_minute",
                "and api.burst must be at least 1",
            );
        }
        if self.api.long_poll_seconds >= self.http.request_timeout {
            return invalid(
                "api.long_poll_seconds",
                "must be shorter than http.request_timeout",
            );
        }
        if self.accounts.throttle.window_minutes == 0 {
            return invalid("accounts.throttle.window_minutes", "must be at least 1");
        }
        if !crate::i18n::is_available(&self.i18n.default_locale) {
            return invalid(
                "i18n.default_locale",
                &format!(
                    "no such language; available: {}",
                    crate::i18n::available().join(", ")
                ),
            );
        }
        if jiff::tz::TimeZone::get(&self.i18n.default_time_zone).is_err() {
            return invalid(
                "i18n.default_time_zone",
                "is not an IANA time zone name such as Europe/Moscow",
            );
        }
        if self.tickets.reopen_window_days == 0 {
            return invalid("tickets.reopen_window_days", "must be at least 1");
        }
        if self.attachments.max_file_bytes == 0
            || self.attachments.max_message_bytes < self.attachments.max_file_bytes
        {
            return invalid(
                "attachments.max_message_bytes",
                "must be at least attachments.max_file_bytes, which must not be 0",
            );
        }
        if self.journal.retention_days == 0 {
            return invalid("journal.retention_days", "must be at least 1");
        }
        if self.journal.idle_transaction_seconds == 0 {
            return invalid("journal.idle_transaction_seconds", "must be at least 1");
        }
        if self.mail.retry_backoff.is_empty() || self.mail.retry_backoff.contains(&0) {
            return invalid("mail.retry_backoff", "must list seconds, each at least 1");
        }
        if self.mail.poll_seconds == 0 {
            return invalid("mail.poll_seconds", "must be at least 1");
        }
        if self.mail.lease_seconds < 2 * self.mail.poll_seconds.min(60) {
            return invalid(
                "mail.lease_seconds",
                "must be at least twice mail.poll_seconds (or 120 for longer polls)",
            );
        }
        if self.mail.tag_prefix.is_empty() || self.mail.tag_prefix.contains([']', ' ']) {
            return invalid(
                "mail.tag_prefix",
                "must be a short prefix without spaces or ]",
            );
        }
        if self
            .log
            .filter
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            return invalid("log.filter", "is not a valid tracing filter");
        }
        Ok(())
    }

    /// This node's name for the journal readers' positions: stable across
    /// restarts, different for two nodes on one host (their data folders differ).
    pub fn node_name(&self) -> String {
        if !self.journal.node.trim().is_empty() {
            return self.journal.node.trim().to_string();
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "node".into());
        let dir = std::fs::canonicalize(&self.data_dir).unwrap_or_else(|_| self.data_dir.clone());
        let hash = <sha2::Sha256 as sha2::Digest>::digest(dir.as_os_str().as_encoded_bytes());
        format!(
            "{host}-{:02x}{:02x}{:02x}{:02x}",
            hash[0], hash[1], hash[2], hash[3]
        )
    }

    /// Cookies get the Secure flag when the public address is https.
    pub fn secure_cookies(&self) -> bool {
        self.http.public_url.scheme() == "https"
    }
}

#[cfg(test)]
// figment's Jail closures return its (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_validate() {
        let config = Config::for_tests(Path::new("/tmp/x"));
        assert!(config.validate().is_ok());
        assert_eq!(config.tickets.reopen_window_days, 30);
        assert!(config.database.url.is_none());
    }

    #[test]
    fn a_bad_value_names_its_key() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("BILET_HTTP__LISTEN", "not-an-address");
            let err = Config::load(None).expect_err("must fail").to_string();
            assert!(err.to_lowercase().contains("http.listen"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn an_unknown_time_zone_names_its_key() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("BILET_I18N__DEFAULT_TIME_ZONE", "Mars/Olympus");
            let err = Config::load(None).expect_err("must fail").to_string();
            assert!(err.contains("i18n.default_time_zone"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn database_url_and_data_dir_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DATABASE_URL", "postgres://x@localhost/y");
            jail.set_env("BILET_DATA_DIR", "/srv/bilet");
            let config = Config::load(None).expect("loads");
            assert!(config.database.url.is_some());
            assert_eq!(config.data_dir, PathBuf::from("/srv/bilet"));
            Ok(())
        });
    }
}
