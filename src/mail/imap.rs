//! Connecting to IMAP servers: implicit TLS, STARTTLS or plain, then LOGIN.
//! TLS is rustls with the ring provider and the Mozilla root store.

use std::fmt::Debug;
use std::sync::Arc;

use anyhow::{Context, bail};
use async_imap::{Client, Session};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::config::TlsMode;

/// Any byte stream IMAP can run over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Io for T {}

/// A logged-in IMAP session.
pub type ImapSession = Session<Box<dyn Io>>;

/// rustls with ring and webpki roots; never the process-wide default
/// provider (see STACK.md: two providers make that panic).
pub fn tls_connector() -> anyhow::Result<tokio_rustls::TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

async fn tls(stream: TcpStream, host: &str) -> anyhow::Result<Box<dyn Io>> {
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).context("server name")?;
    let tls = tls_connector()?
        .connect(name, stream)
        .await
        .context("TLS handshake")?;
    Ok(Box::new(tls))
}

/// Connects and logs in.
pub async fn connect(
    host: &str,
    port: u16,
    mode: TlsMode,
    user: &str,
    password: &str,
) -> anyhow::Result<ImapSession> {
    let tcp = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        TcpStream::connect((host, port)),
    )
    .await
    .context("connection timed out")?
    .with_context(|| format!("connecting to {host}:{port}"))?;
    let stream: Box<dyn Io> = match mode {
        TlsMode::None => Box::new(tcp),
        TlsMode::Tls => tls(tcp, host).await?,
        TlsMode::Starttls => {
            // Greeting, STARTTLS, OK — then the handshake. The server sends
            // nothing after its OK, so the buffer holds no TLS bytes.
            let mut reader = BufReader::new(tcp);
            let mut line = String::new();
            reader.read_line(&mut line).await?;
            reader.get_mut().write_all(b"a0 STARTTLS\r\n").await?;
            loop {
                line.clear();
                if reader.read_line(&mut line).await? == 0 {
                    bail!("the server closed the connection during STARTTLS");
                }
                if line.starts_with("a0 ") {
                    if !line.starts_with("a0 OK") {
                        bail!("STARTTLS refused: {}", line.trim());
                    }
                    break;
                }
            }
            tls(reader.into_inner(), host).await?
        }
    };
    let mut client = Client::new(stream);
    if mode != TlsMode::Starttls {
        client
            .read_response()
            .await
            .context("reading the greeting")?;
    }
    client
        .login(user, password)
        .await
        .map_err(|(err, _)| anyhow::anyhow!("login failed: {err}"))
}

/// An IMAP folder name in modified UTF-7 (RFC 3501 §5.1.3): "Спам" becomes "&BCEEPwQwBDw-".
pub fn folder(name: &str) -> String {
    utf7_imap::encode_utf7_imap(name.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cyrillic_folder_names_are_encoded() {
        assert_eq!(super::folder("Спам"), "&BCEEPwQwBDw-");
        assert_eq!(super::folder("INBOX"), "INBOX");
    }
}
