//! SMTP transports with lettre (rustls on ring): implicit TLS, STARTTLS or
//! plain, optional authentication.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

use crate::config::TlsMode;

/// How to reach one SMTP server.
#[derive(Debug, Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password: Option<String>,
}

/// A transport for `server`.
pub fn transport(server: &Server) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match server.tls {
        TlsMode::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host),
        TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&server.host)?,
        TlsMode::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&server.host)?,
    };
    let mut builder = builder
        .port(server.port)
        .timeout(Some(Duration::from_secs(30)));
    if let (Some(user), Some(password)) = (&server.user, &server.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}
