//! HTTPS served by the server itself (issue 15): WebCrypto, the vault and the service worker
//! need a secure context, which a phone reaching `http://server:8080` on the LAN is not.
//!
//! - [`load`]: a certificate chain and its private key from PEM files (`--tls-cert`,
//!   `--tls-key`), into a rustls configuration (TLS 1.2 and 1.3, HTTP/1.1 by ALPN).
//! - [`dev_certificate`]: a self-signed certificate for development (`satchel-server dev-cert`,
//!   `./build.sh serve --tls`), naming `localhost`, the machine's name and its LAN addresses, so
//!   a phone on the same network can open the app after accepting the certificate once.
//! - [`redirect`]: a plain-HTTP listener that sends every request to the HTTPS address (308).
//!
//! With TLS on, every answer carries `Strict-Transport-Security` ([`crate::web`]).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The PEM files of the certificate chain and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or holds no PEM item of the kind wanted.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the pair (the key does not match the certificate, an unsupported key).
    #[error("the certificate and key cannot be used: {0}")]
    Config(String),
}

/// Reads the certificate chain and key into a server configuration.
pub fn load(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let file_err = |path: &Path, reason: String| TlsError::File { path: path.display().to_string(), reason };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| file_err(&files.cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(&files.cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(file_err(&files.cert, "no certificate in the file".into()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| file_err(&files.key, e.to_string()))?;
    config(certs, key)
}

fn config(certs: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<Arc<ServerConfig>, TlsError> {
    // ring, not aws-lc-rs: it builds on a bare machine without cmake. rustls deprecated it for
    // lacking post-quantum key exchange (X25519MLKEM768), which would need aws-lc-rs.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A self-signed development certificate for `names` (DNS names or IP addresses), as PEM
/// `(certificate, private key)`.
pub fn dev_certificate(names: &[String]) -> Result<(String, String), TlsError> {
    let certified = rcgen::generate_simple_self_signed(names.to_vec()).map_err(|e| TlsError::Config(e.to_string()))?;
    Ok((certified.cert.pem(), certified.key_pair.serialize_pem()))
}

/// The names a development certificate should cover: `localhost`, 127.0.0.1, ::1, this
/// machine's host name and the address it reaches the LAN from (found without sending a packet).
pub fn local_names() -> Vec<String> {
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    if let Ok(host) = std::fs::read_to_string("/etc/hostname") {
        let host = host.trim();
        if !host.is_empty() && !names.iter().any(|n| n == host) {
            names.push(host.to_owned());
        }
    }
    // Connecting a UDP socket only picks the route: the source address is the LAN address.
    if let Ok(socket) = std::net::UdpSocket::bind("0.0.0.0:0") {
        if socket.connect("192.0.2.1:9").is_ok() {
            if let Ok(addr) = socket.local_addr() {
                let ip: IpAddr = addr.ip();
                if !ip.is_unspecified() && !ip.is_loopback() {
                    names.push(ip.to_string());
                }
            }
        }
    }
    names
}

/// `satchel-server dev-cert [--out DIR] [NAME …]`: writes `DIR/cert.pem` and `DIR/key.pem`
/// (default DIR `./data/tls`) for [`local_names`] and the extra names given. Prints the paths.
pub fn dev_cert_command(args: impl IntoIterator<Item = String>) -> std::process::ExitCode {
    let mut out = PathBuf::from("./data/tls");
    let mut names = local_names();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => match args.next() {
                Some(dir) => out = PathBuf::from(dir),
                None => {
                    eprintln!("error: --out needs a directory");
                    return std::process::ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("satchel-server dev-cert [--out DIR] [NAME ...]: a self-signed certificate for development\n(DIR/cert.pem, DIR/key.pem; default DIR ./data/tls) naming localhost, this machine and its LAN address.");
                return std::process::ExitCode::SUCCESS;
            }
            name => names.push(name.to_owned()),
        }
    }
    let written = dev_certificate(&names).and_then(|(cert, key)| {
        std::fs::create_dir_all(&out).map_err(|e| TlsError::File { path: out.display().to_string(), reason: e.to_string() })?;
        let write = |name: &str, text: &str| {
            let path = out.join(name);
            std::fs::write(&path, text).map_err(|e| TlsError::File { path: path.display().to_string(), reason: e.to_string() })?;
            Ok::<_, TlsError>(path)
        };
        let cert_path = write("cert.pem", &cert)?;
        let key_path = write("key.pem", &key)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600));
        }
        Ok((cert_path, key_path))
    });
    match written {
        Ok((cert, key)) => {
            println!("certificate: {}\nkey: {}\nnames: {}", cert.display(), key.display(), names.join(", "));
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Answers every plain-HTTP request on `listener` with `308` to the same path on `https_port`
/// of the host the client asked for.
pub async fn redirect(listener: tokio::net::TcpListener, https_port: u16, shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| async move {
        let host = req
            .headers()
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| h.rsplit_once(':').filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit())).map_or(h, |(name, _)| name))
            .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || "-.[]:".contains(c)))
            .unwrap_or("localhost")
            .to_owned();
        let path = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let port = if https_port == 443 { String::new() } else { format!(":{https_port}") };
        let location = format!("https://{host}{port}{path}");
        (axum::http::StatusCode::PERMANENT_REDIRECT, [(axum::http::header::LOCATION, location)])
    });
    let _ = crate::serve::serve(listener, app, crate::serve::Limits::default(), None, shutdown).await;
}
