//! One webhook POST: our own resolver and connector under hyper's HTTP/1
//! client, so that the address actually connected to is the one checked
//! (a name that resolves to a private address, or re-resolves to one after
//! a check, is refused), no redirect is followed and no proxy is used.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use url::{Host, Url};

use crate::domain::webhooks::refused;
use crate::mail::imap::Io;

/// Why a POST got no HTTP answer: shown in the delivery's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

/// Posts `body` to `url` with `headers`; the answer's status code, or why
/// there was none. The whole exchange is bounded by `timeout`.
pub async fn post(
    url: &Url,
    allow_private: bool,
    headers: &[(&str, String)],
    body: Bytes,
    timeout: Duration,
) -> Result<u16, Failure> {
    match tokio::time::timeout(timeout, exchange(url, allow_private, headers, body)).await {
        Ok(answer) => answer,
        Err(_) => Err(Failure(format!("no answer within {} s", timeout.as_secs()))),
    }
}

async fn exchange(
    url: &Url,
    allow_private: bool,
    headers: &[(&str, String)],
    body: Bytes,
) -> Result<u16, Failure> {
    let fail = |what: &str, e: &dyn std::fmt::Display| Failure(format!("{what}: {e}"));
    let host = url
        .host()
        .ok_or_else(|| Failure("the URL has no host".into()))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| Failure("the URL has no port".into()))?;
    let addrs: Vec<SocketAddr> = match &host {
        Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(*ip), port)],
        Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(*ip), port)],
        Host::Domain(name) => tokio::net::lookup_host((*name, port))
            .await
            .map_err(|e| fail("cannot resolve the host", &e))?
            .collect(),
    };
    let stream = connect(&addrs, allow_private).await?;
    let io: Box<dyn Io> = if url.scheme() == "https" {
        let name = rustls::pki_types::ServerName::try_from(
            url.host_str()
                .unwrap_or_default()
                .trim_matches(['[', ']'])
                .to_string(),
        )
        .map_err(|e| fail("not a TLS server name", &e))?;
        let tls = crate::mail::imap::tls_connector()
            .map_err(|e| fail("TLS", &e))?
            .connect(name, stream)
            .await
            .map_err(|e| fail("TLS handshake", &e))?;
        Box::new(tls)
    } else {
        Box::new(stream)
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| fail("HTTP", &e))?;
    let driver = tokio::spawn(connection);
    let authority = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let mut path = url.path().to_string();
    if let Some(q) = url.query() {
        path = format!("{path}?{q}");
    }
    let mut request = hyper::Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(
            hyper::header::USER_AGENT,
            concat!("Bilet-Webhooks/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request
        .body(Full::new(body))
        .map_err(|e| fail("request", &e))?;
    let answer = sender.send_request(request).await;
    // The answer's body is not read: only the status counts, and a big or
    // endless body must not hold the sender.
    driver.abort();
    let answer = answer.map_err(|e| fail("HTTP", &e))?;
    Ok(answer.status().as_u16())
}

/// Connects to the first address that answers, checking each one as it is
/// connected to.
async fn connect(addrs: &[SocketAddr], allow_private: bool) -> Result<TcpStream, Failure> {
    let mut last = Failure("the host has no address".into());
    for addr in addrs {
        if let Some(why) = refused(addr.ip()).filter(|_| !allow_private) {
            last = Failure(format!(
                "refused: {} is a {why} address (allow private addresses for this webhook to send there)",
                addr.ip()
            ));
            continue;
        }
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                let peer = stream
                    .peer_addr()
                    .map_err(|e| Failure(format!("connect: {e}")))?;
                if let Some(why) = refused(peer.ip()).filter(|_| !allow_private) {
                    return Err(Failure(format!(
                        "refused: connected to {} is a {why} address",
                        peer.ip()
                    )));
                }
                return Ok(stream);
            }
            Err(e) => last = Failure(format!("cannot connect to {addr}: {e}")),
        }
    }
    Err(last)
}
