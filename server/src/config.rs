//! Command line and environment: where to listen, where the data and the web app live.

use std::path::PathBuf;

/// What the server needs to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    pub addr: String,
    /// Directory holding the SQLite database `satchel.sqlite3`; created if missing. Unused
    /// when `database_url` names a PostgreSQL database.
    pub data_dir: PathBuf,
    /// A `postgres://` URL: keep the data in that PostgreSQL database instead of SQLite.
    pub database_url: Option<String>,
    /// Largest number of database connections this instance opens.
    pub max_connections: u32,
    /// Directory of the built PWA (static files).
    pub www_dir: PathBuf,
    /// The inactivity lock devices get at registration.
    pub lock: satchel_core::sync::protocol::LockSettings,
    /// Origins (`https://erp.example.com`) whose pages may call the API from the browser (CORS,
    /// see [`crate::cors`]); empty: same origin only.
    pub allowed_origins: Vec<String>,
    /// Password checks (Argon2id, about 19 MiB each) run at once; more wait a little, then get
    /// `503 busy` ([`crate::throttle`]). `SATCHEL_PASSWORD_CHECKS`; default the number of cores.
    pub password_checks: usize,
    /// `SATCHEL_METRICS_TOKEN`: the bearer token `/metrics` asks for (at least 16 characters);
    /// unset, `/metrics` answers only requests from the machine itself.
    pub metrics_token: Option<String>,
    /// Connection cap and timeouts ([`crate::serve::Limits`]; `SATCHEL_MAX_CLIENTS`).
    pub limits: crate::serve::Limits,
    /// HTTPS: the certificate chain and key (`--tls-cert`/`--tls-key`, `SATCHEL_TLS_CERT`/
    /// `SATCHEL_TLS_KEY`); `None`: plain HTTP (behind a TLS proxy, or on this machine only).
    pub tls: Option<crate::tls::TlsFiles>,
    /// With TLS: a plain-HTTP address that redirects to HTTPS (`--http-redirect-addr`,
    /// `SATCHEL_HTTP_REDIRECT_ADDR`).
    pub redirect_addr: Option<String>,
}

impl Config {
    /// A server on a free loopback port with every other setting at its default: SQLite in
    /// `data_dir`, the app from `www_dir`. What tests and benchmarks start from (`..` the rest).
    pub fn loopback(data_dir: impl Into<PathBuf>, www_dir: impl Into<PathBuf>) -> Config {
        Config {
            addr: "127.0.0.1:0".into(),
            data_dir: data_dir.into(),
            www_dir: www_dir.into(),
            database_url: None,
            max_connections: crate::db::DEFAULT_MAX_CONNECTIONS,
            lock: Default::default(),
            allowed_origins: Vec::new(),
            password_checks: default_password_checks(),
            metrics_token: None,
            limits: crate::serve::Limits::default(),
            tls: None,
            redirect_addr: None,
        }
    }
}

/// The default number of concurrent password checks: the number of cores.
pub fn default_password_checks() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// Longest inactivity timeout a deployment may set (minutes).
pub const MAX_LOCK_IDLE_MINUTES: u64 = 30;

/// Name of the SQLite file inside the data directory.
pub const DB_FILE: &str = "satchel.sqlite3";

/// What the command line asked for.
// Parsed once at start and matched at once: boxing the large `Serve` would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve the API and the PWA (the default).
    Serve(Config),
    /// Print usage and exit.
    Help,
    /// Print the version and exit.
    Version,
    /// Compute the taxes of a document read as JSON on stdin, with this rule set (a built-in
    /// id or the path of a rule-set JSON file); print the result as JSON.
    Tax {
        /// Built-in rule-set id or a path.
        rules: String,
    },
    /// Write a self-signed development certificate (`dev-cert [--out DIR] [NAME …]`).
    DevCert(Vec<String>),
    /// Convert an ERP's tax export read on stdin into a rule set (`rules from-erpnext|from-odoo`).
    Rules(crate::rules_cli::RulesCommand),
}

/// Why the command line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// An option needs a value and none was given.
    #[error("option {0} needs a value")]
    MissingValue(String),
    /// An argument is not known.
    #[error("unknown argument {0:?} (try --help)")]
    Unknown(String),
    /// The PORT variable is not a port number.
    #[error("PORT must be a number between 0 and 65535")]
    BadPort,
    /// The database URL is not a PostgreSQL URL.
    #[error("the database URL must start with postgres:// or postgresql:// (leave it unset for SQLite in the data directory)")]
    BadDatabaseUrl,
    /// SATCHEL_DATABASE_MAX_CONNECTIONS is not a number in range.
    #[error("SATCHEL_DATABASE_MAX_CONNECTIONS must be a whole number from 1 to 1000")]
    BadMaxConnections,
    /// SATCHEL_LOCK_IDLE_MINUTES is not a number of minutes in range.
    #[error("SATCHEL_LOCK_IDLE_MINUTES must be a whole number of minutes from 1 to 30")]
    BadLockMinutes,
    /// SATCHEL_TEST_PIN_DELAYS is not a list of `failures:ms`.
    #[error("SATCHEL_TEST_PIN_DELAYS must be a comma-separated list of failures:milliseconds, e.g. 5:1000,6:2000")]
    BadPinDelays,
    /// An option's value is not one it accepts.
    #[error("{option} must be {reason}")]
    BadValue {
        /// The option.
        option: String,
        /// What it accepts.
        reason: String,
    },
    /// An entry of SATCHEL_ALLOWED_ORIGINS (or --allowed-origins) is not an exact origin.
    #[error("allowed origin {0:?} must be an exact origin such as https://erp.example.com (scheme, host and optional port; no path, no wildcard)")]
    BadOrigin(String),
}

/// Usage text for `--help`.
pub const USAGE: &str = "\
satchel-server: Satchel's reference sync server

USAGE:
    satchel-server [serve] [OPTIONS]
    satchel-server tax [--rules <ID|FILE>] < document.json
    satchel-server rules from-erpnext|from-odoo [OPTIONS] < export.json

    `tax` computes the taxes of the document on stdin with the same engine as the devices and
    prints the result as JSON on stdout (exit 0), or a JSON error {code, field, message}
    (exit 1). Rules: a built-in rule set (ca, pk, in, vat; default ca) or a rule-set JSON file.
    `rules` converts an ERPNext or Odoo tax export into a rule set (`rules --help`).

OPTIONS:
    --addr <HOST:PORT>     listen address [default: 127.0.0.1:$PORT, PORT defaults to 8080]
    --data-dir <DIR>       data directory [env: SATCHEL_DATA_DIR] [default: ./data]
    --database-url <URL>   keep the data in PostgreSQL (postgres://user:password@host/db)
                           instead of SQLite in the data directory [env: SATCHEL_DATABASE_URL]
    --www-dir <DIR>        built web app [env: SATCHEL_WWW_DIR] [default: ./www/dist]
    --allowed-origins <LIST>  comma-separated origins (https://erp.example.com) whose pages
                           may call the API (CORS) [env: SATCHEL_ALLOWED_ORIGINS]
                           [default: none, same origin only]
    --tls-cert <PEM>       serve HTTPS with this certificate chain [env: SATCHEL_TLS_CERT]
    --tls-key <PEM>        and this private key [env: SATCHEL_TLS_KEY]
    --http-redirect-addr <ADDR>  with TLS: also listen here on plain HTTP and redirect every
                           request to HTTPS (308) [env: SATCHEL_HTTP_REDIRECT_ADDR]
    -h, --help             print this help

ENVIRONMENT:
    SATCHEL_DATABASE_MAX_CONNECTIONS  database connections per instance (1-1000) [default: 8]
    SATCHEL_LOCK_IDLE_MINUTES  devices lock after this much inactivity (1-30) [default: 5]
    SATCHEL_LOCK_WHEN_HIDDEN   1: devices lock as soon as the app is hidden [default: 0]
    SATCHEL_DEMO_PRODUCTS, SATCHEL_DEMO_OUTLETS  grow a fresh demo database to this many
                               products and outlets (benchmarks)
    SATCHEL_NUMBER_LEASE_SIZE  document numbers leased to a device at a time [default: 1000]
    SATCHEL_MAX_CLIENTS        client connections open at once [default: 768]
    SATCHEL_MAX_ROUTE_REQUESTS requests at once on each of push, pull, blobs (a sixteenth on
                               recover); more wait up to 5 s, then 503 busy [default: 64]

    -V, --version          print the version

satchel-server dev-cert [--out DIR] [NAME ...]
    writes a self-signed development certificate (DIR/cert.pem, DIR/key.pem; default
    ./data/tls) for localhost, this machine and its LAN address, for --tls-cert/--tls-key.

Logging goes to stderr; set RUST_LOG (e.g. RUST_LOG=debug). Default: info.
";

impl Command {
    /// Parses the arguments (without the program name), with `env` reading variables.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Command, ConfigError> {
        let mut addr = None;
        let mut data_dir = env("SATCHEL_DATA_DIR")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        let mut www_dir = env("SATCHEL_WWW_DIR")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        let mut database_url = env("SATCHEL_DATABASE_URL").filter(|s| !s.trim().is_empty());
        let mut allowed_origins = env("SATCHEL_ALLOWED_ORIGINS").unwrap_or_default();
        let mut tls_cert = env("SATCHEL_TLS_CERT").filter(|s| !s.is_empty()).map(PathBuf::from);
        let mut tls_key = env("SATCHEL_TLS_KEY").filter(|s| !s.is_empty()).map(PathBuf::from);
        let mut redirect_addr = env("SATCHEL_HTTP_REDIRECT_ADDR").filter(|s| !s.is_empty());
        let mut args = args.into_iter().peekable();
        if args.peek().map(String::as_str) == Some("rules") {
            args.next();
            return crate::rules_cli::parse(args).map(Command::Rules);
        }
        if args.peek().map(String::as_str) == Some("dev-cert") {
            args.next();
            return Ok(Command::DevCert(args.collect()));
        }
        if args.peek().map(String::as_str) == Some("tax") {
            args.next();
            let mut rules = "ca".to_string();
            while let Some(arg) = args.next() {
                match arg.as_str() {
                    "--rules" => rules = args.next().ok_or_else(|| ConfigError::MissingValue("--rules".into()))?,
                    "-h" | "--help" => return Ok(Command::Help),
                    _ => match arg.strip_prefix("--rules=") {
                        Some(v) => rules = v.to_string(),
                        None => return Err(ConfigError::Unknown(arg)),
                    },
                }
            }
            return Ok(Command::Tax { rules });
        }
        let mut first = true;
        while let Some(arg) = args.next() {
            let is_first = std::mem::replace(&mut first, false);
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = |name: &str| {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| ConfigError::MissingValue(name.to_string()))
            };
            match name.as_str() {
                "serve" if is_first => {}
                "-h" | "--help" => return Ok(Command::Help),
                "-V" | "--version" => return Ok(Command::Version),
                "--addr" => addr = Some(value("--addr")?),
                "--data-dir" => data_dir = Some(PathBuf::from(value("--data-dir")?)),
                "--www-dir" => www_dir = Some(PathBuf::from(value("--www-dir")?)),
                "--database-url" => database_url = Some(value("--database-url")?),
                "--allowed-origins" => allowed_origins = value("--allowed-origins")?,
                "--tls-cert" => tls_cert = Some(PathBuf::from(value("--tls-cert")?)),
                "--tls-key" => tls_key = Some(PathBuf::from(value("--tls-key")?)),
                "--http-redirect-addr" => redirect_addr = Some(value("--http-redirect-addr")?),
                _ => return Err(ConfigError::Unknown(arg)),
            }
        }
        let addr = match addr {
            Some(a) => a,
            None => {
                let port = match env("PORT").filter(|s| !s.is_empty()) {
                    Some(p) => p.trim().parse::<u16>().map_err(|_| ConfigError::BadPort)?,
                    None => 8080,
                };
                format!("127.0.0.1:{port}")
            }
        };
        let database_url = database_url.map(|u| u.trim().to_string());
        let tls = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::TlsFiles { cert, key }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::BadValue {
                    option: "--tls-cert/--tls-key".into(),
                    reason: "given together (a certificate and its key)".into(),
                })
            }
        };
        if redirect_addr.is_some() && tls.is_none() {
            return Err(ConfigError::BadValue {
                option: "--http-redirect-addr".into(),
                reason: "used with --tls-cert and --tls-key (it redirects to HTTPS)".into(),
            });
        }
        if database_url.as_deref().is_some_and(|u| !crate::db::is_postgres_url(u)) {
            return Err(ConfigError::BadDatabaseUrl);
        }
        let max_connections = match env("SATCHEL_DATABASE_MAX_CONNECTIONS").filter(|s| !s.is_empty()) {
            Some(n) => n
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or(ConfigError::BadMaxConnections)?,
            None => crate::db::DEFAULT_MAX_CONNECTIONS,
        };
        let mut lock = satchel_core::sync::protocol::LockSettings::default();
        if let Some(m) = env("SATCHEL_LOCK_IDLE_MINUTES").filter(|s| !s.is_empty()) {
            let minutes = m.trim().parse::<u64>().ok().filter(|m| (1..=MAX_LOCK_IDLE_MINUTES).contains(m));
            lock.idle_timeout_ms = minutes.ok_or(ConfigError::BadLockMinutes)? * 60_000;
        }
        if let Some(v) = env("SATCHEL_LOCK_WHEN_HIDDEN").filter(|s| !s.is_empty()) {
            lock.lock_when_hidden = matches!(v.trim(), "1" | "true" | "yes");
        }
        let password_checks = match env("SATCHEL_PASSWORD_CHECKS").filter(|s| !s.is_empty()) {
            Some(n) => n.trim().parse::<usize>().ok().filter(|n| (1..=256).contains(n)).ok_or_else(|| ConfigError::BadValue {
                option: "SATCHEL_PASSWORD_CHECKS".into(),
                reason: "a whole number from 1 to 256".into(),
            })?,
            None => default_password_checks(),
        };
        let metrics_token = match env("SATCHEL_METRICS_TOKEN").filter(|s| !s.is_empty()) {
            Some(t) if t.trim().len() >= 16 && t.trim() == t && t.is_ascii() => Some(t),
            Some(_) => {
                return Err(ConfigError::BadValue {
                    option: "SATCHEL_METRICS_TOKEN".into(),
                    reason: "at least 16 printable ASCII characters, no surrounding spaces".into(),
                })
            }
            None => None,
        };
        let mut limits = crate::serve::Limits::default();
        if let Some(n) = env("SATCHEL_MAX_CLIENTS").filter(|s| !s.is_empty()) {
            limits.max_connections = n.trim().parse::<usize>().ok().filter(|n| (1..=100_000).contains(n)).ok_or_else(|| ConfigError::BadValue {
                option: "SATCHEL_MAX_CLIENTS".into(),
                reason: "a whole number from 1 to 100000".into(),
            })?;
        }
        if let Some(n) = env("SATCHEL_MAX_ROUTE_REQUESTS").filter(|s| !s.is_empty()) {
            limits.route_requests = n.trim().parse::<usize>().ok().filter(|n| (1..=100_000).contains(n)).ok_or_else(|| ConfigError::BadValue {
                option: "SATCHEL_MAX_ROUTE_REQUESTS".into(),
                reason: "a whole number from 1 to 100000".into(),
            })?;
        }
        if let Some(v) = env("SATCHEL_TEST_PIN_DELAYS").filter(|s| !s.is_empty()) {
            lock.pin_delays_ms = Some(parse_pin_delays(&v).ok_or(ConfigError::BadPinDelays)?);
        }
        Ok(Command::Serve(Config {
            addr,
            data_dir: data_dir.unwrap_or_else(|| PathBuf::from("./data")),
            www_dir: www_dir.unwrap_or_else(|| PathBuf::from("./www/dist")),
            database_url,
            max_connections,
            lock,
            allowed_origins: parse_origins(&allowed_origins)?,
            password_checks,
            metrics_token,
            limits,
            tls,
            redirect_addr,
        }))
    }
}

/// `failures:ms,…` (test servers only: the devices' waits after wrong PINs, shortened so that an
/// end-to-end test reaches the re-authentication without waiting an hour). Failures from 1 to
/// 100, waits up to an hour.
fn parse_pin_delays(list: &str) -> Option<Vec<(u32, u64)>> {
    list.split(',')
        .map(|entry| {
            let (failures, ms) = entry.trim().split_once(':')?;
            let failures = failures.trim().parse::<u32>().ok().filter(|f| (1..=100).contains(f))?;
            let ms = ms.trim().parse::<u64>().ok().filter(|ms| *ms <= 3_600_000)?;
            Some((failures, ms))
        })
        .collect()
}

/// The exact origins of a comma-separated list, as browsers write them in `Origin`: scheme and
/// host in lower case, no trailing slash. `*` is refused: the API answers with credentials, and
/// a wildcard would let any site act with a signed-in user's token.
pub fn parse_origins(list: &str) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let origin = entry.strip_suffix('/').unwrap_or(entry).to_ascii_lowercase();
        let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        let valid = host.is_some_and(|h| {
            !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        });
        if !valid {
            return Err(ConfigError::BadOrigin(entry.to_string()));
        }
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], vars: &[(&str, &str)]) -> Result<Command, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Command::parse(args.iter().map(|s| s.to_string()), move |k| {
            vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_follow_the_environment() {
        let Ok(Command::Serve(c)) = parse(&[], &[("PORT", "9000")]) else {
            panic!("serve")
        };
        assert_eq!(c.addr, "127.0.0.1:9000");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        let Ok(Command::Serve(c)) = parse(&[], &[("SATCHEL_DATA_DIR", "/tmp/x")]) else {
            panic!()
        };
        assert_eq!(c.addr, "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn options_override_the_environment() {
        let r = parse(
            &[
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--data-dir=/d",
                "--www-dir",
                "/w",
            ],
            &[("SATCHEL_DATA_DIR", "/env")],
        );
        assert_eq!(
            r,
            Ok(Command::Serve(Config::loopback("/d", "/w")))
        );
    }

    #[test]
    fn the_database_url_chooses_postgresql() {
        let Ok(Command::Serve(c)) = parse(&[], &[]) else { panic!("serve") };
        assert_eq!((c.database_url, c.max_connections), (None, 8));
        let url = "postgres://satchel@db.internal/satchel";
        let Ok(Command::Serve(c)) = parse(&[], &[("SATCHEL_DATABASE_URL", url), ("SATCHEL_DATABASE_MAX_CONNECTIONS", "20")]) else {
            panic!("serve")
        };
        assert_eq!((c.database_url.as_deref(), c.max_connections), (Some(url), 20));
        let Ok(Command::Serve(c)) = parse(&["--database-url=postgresql://h/other"], &[("SATCHEL_DATABASE_URL", url)]) else {
            panic!("serve")
        };
        assert_eq!(c.database_url.as_deref(), Some("postgresql://h/other"), "the option wins");
        let Ok(Command::Serve(c)) = parse(&[], &[("SATCHEL_DATABASE_URL", "")]) else { panic!("serve") };
        assert_eq!(c.database_url, None, "empty means SQLite");
    }

    #[test]
    fn allowed_origins_come_from_the_environment_or_the_option() {
        let Ok(Command::Serve(c)) = parse(&[], &[]) else { panic!("serve") };
        assert!(c.allowed_origins.is_empty(), "unset: same origin only");
        let list = " https://ERP.example.com/ , http://localhost:8000,,https://erp.example.com";
        let Ok(Command::Serve(c)) = parse(&[], &[("SATCHEL_ALLOWED_ORIGINS", list)]) else { panic!("serve") };
        assert_eq!(c.allowed_origins, ["https://erp.example.com", "http://localhost:8000"]);
        let Ok(Command::Serve(c)) = parse(&["--allowed-origins=https://a.example"], &[("SATCHEL_ALLOWED_ORIGINS", list)]) else {
            panic!("serve")
        };
        assert_eq!(c.allowed_origins, ["https://a.example"], "the option wins");
    }

    #[test]
    fn rules_is_its_own_command() {
        assert!(matches!(parse(&["rules", "from-odoo"], &[]), Ok(Command::Rules(crate::rules_cli::RulesCommand::Convert { .. }))));
        assert_eq!(parse(&["rules"], &[]), Ok(Command::Rules(crate::rules_cli::RulesCommand::Help)));
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert_eq!(
            parse(&["--addr"], &[]),
            Err(ConfigError::MissingValue("--addr".into()))
        );
        assert_eq!(
            parse(&["--nope"], &[]),
            Err(ConfigError::Unknown("--nope".into()))
        );
        assert_eq!(parse(&[], &[("PORT", "http")]), Err(ConfigError::BadPort));
        assert_eq!(parse(&[], &[("SATCHEL_LOCK_IDLE_MINUTES", "45")]), Err(ConfigError::BadLockMinutes));
        assert_eq!(parse(&[], &[("SATCHEL_LOCK_IDLE_MINUTES", "0")]), Err(ConfigError::BadLockMinutes));
        let Ok(Command::Serve(c)) = parse(&[], &[("SATCHEL_LOCK_IDLE_MINUTES", "2"), ("SATCHEL_LOCK_WHEN_HIDDEN", "1")]) else {
            panic!("serve")
        };
        assert_eq!((c.lock.idle_timeout_ms, c.lock.lock_when_hidden, c.lock.pin_delays_ms), (120_000, true, None));
        let Ok(Command::Serve(c)) = parse(&[], &[("SATCHEL_TEST_PIN_DELAYS", "5:100, 6:200")]) else { panic!("serve") };
        assert_eq!(c.lock.pin_delays_ms, Some(vec![(5, 100), (6, 200)]));
        for bad in ["5", "0:100", "5:x", "5:100,", "5:3600001"] {
            assert_eq!(parse(&[], &[("SATCHEL_TEST_PIN_DELAYS", bad)]), Err(ConfigError::BadPinDelays), "{bad}");
        }
        assert_eq!(parse(&["--database-url", "mysql://h/db"], &[]), Err(ConfigError::BadDatabaseUrl));
        assert_eq!(parse(&[], &[("SATCHEL_DATABASE_URL", "./data/x.db")]), Err(ConfigError::BadDatabaseUrl));
        assert_eq!(parse(&[], &[("SATCHEL_DATABASE_MAX_CONNECTIONS", "0")]), Err(ConfigError::BadMaxConnections));
        assert_eq!(parse(&["--help"], &[]), Ok(Command::Help));
        assert_eq!(parse(&[], &[("SATCHEL_ALLOWED_ORIGINS", "*")]), Err(ConfigError::BadOrigin("*".into())));
        assert_eq!(parse(&["--allowed-origins", "https://erp.example.com/app"], &[]), Err(ConfigError::BadOrigin("https://erp.example.com/app".into())));
        assert_eq!(parse(&[], &[("SATCHEL_ALLOWED_ORIGINS", "erp.example.com")]), Err(ConfigError::BadOrigin("erp.example.com".into())));
        assert_eq!(
            parse(&["--addr", "x", "serve"], &[]),
            Err(ConfigError::Unknown("serve".into()))
        );
    }
}
