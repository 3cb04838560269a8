//! HTTPS served by the server itself (issue 15): a phone on the LAN needs a secure context.
//! A development certificate (`satchel-server dev-cert`'s code) is made for the test, the
//! server serves with it, a rustls client that trusts only it talks to it; plain HTTP on the
//! redirect address is sent to HTTPS; every HTTPS answer carries HSTS.

#[allow(unused_macros, unused_imports)]
mod common;

use std::sync::Arc;

use common::*;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn get(stream: &mut (impl AsyncReadExt + AsyncWriteExt + Unpin), path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn the_server_serves_https_with_hsts_and_redirects_plain_http() {
    let store = Store::new(Backend::Sqlite).await;
    let (cert, key) = satchel_server::tls::dev_certificate(&["localhost".into(), "127.0.0.1".into()]).expect("certificate");
    let dir = store.dir.path().join("tls");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("cert.pem"), &cert).expect("cert");
    std::fs::write(dir.join("key.pem"), &key).expect("key");
    let mut cfg = store.config(&store.dir.path().join("no-www"));
    cfg.tls = Some(satchel_server::tls::TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") });
    cfg.redirect_addr = Some("127.0.0.1:0".into());
    let server = satchel_server::start(&cfg).await.expect("server starts");
    assert!(server.url().starts_with("https://127.0.0.1:"), "{}", server.url());

    // A client that trusts exactly this certificate.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(cert.as_bytes()).expect("pem")).expect("root");
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = TcpStream::connect(server.addr).await.expect("connect");
    let mut tls = connector.connect(ServerName::try_from("localhost").expect("name"), tcp).await.expect("handshake");
    let answer = get(&mut tls, "/healthz").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("strict-transport-security: max-age=31536000"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("content-security-policy:"), "{answer}");

    // Plain HTTP to the HTTPS port gets no page (the handshake fails and the connection ends).
    let mut plain = TcpStream::connect(server.addr).await.expect("connect");
    let answer = get(&mut plain, "/healthz").await;
    assert!(!answer.contains("200 OK") && !answer.contains("\"ok\""), "{answer}");

    // The redirect address sends to the same path over HTTPS.
    let redirect = server.redirect_addr.expect("redirect listener");
    let mut plain = TcpStream::connect(redirect).await.expect("connect");
    let answer = get(&mut plain, "/api/v1/reference?x=1").await;
    assert!(answer.starts_with("HTTP/1.1 308"), "{answer}");
    let location = format!("location: https://localhost:{}/api/v1/reference?x=1", server.addr.port());
    assert!(answer.to_ascii_lowercase().contains(&location), "{answer}");
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_key_that_is_not_the_certificates_is_refused_at_start() {
    let store = Store::new(Backend::Sqlite).await;
    let (cert, _) = satchel_server::tls::dev_certificate(&["localhost".into()]).expect("certificate");
    let (_, other_key) = satchel_server::tls::dev_certificate(&["localhost".into()]).expect("certificate");
    let dir = store.dir.path().join("tls");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("cert.pem"), &cert).expect("cert");
    std::fs::write(dir.join("key.pem"), &other_key).expect("key");
    let mut cfg = store.config(&store.dir.path().join("no-www"));
    cfg.tls = Some(satchel_server::tls::TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") });
    let Err(e) = satchel_server::start(&cfg).await else { panic!("a mismatched key must not start") };
    assert!(e.to_string().starts_with("TLS: "), "{e}");
    cfg.tls = Some(satchel_server::tls::TlsFiles { cert: dir.join("missing.pem"), key: dir.join("key.pem") });
    let Err(e) = satchel_server::start(&cfg).await else { panic!("a missing file must not start") };
    assert!(e.to_string().contains("missing.pem"), "{e}");
}
