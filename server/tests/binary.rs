//! The `satchel-server` binary: prints its address, serves, stops cleanly on SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{backend_tests, Backend, Store};

backend_tests! {
    the_binary_prints_its_port_and_stops_on_sigterm,
}

/// On SQLite the binary is given only its data directory, as `./build.sh serve` does; on
/// PostgreSQL the database comes from `SATCHEL_DATABASE_URL`.
async fn the_binary_prints_its_port_and_stops_on_sigterm(backend: Backend) {
    let store = Store::new(backend).await;
    let dir = &store.dir;
    let mut command = Command::new(env!("CARGO_BIN_EXE_satchel-server"));
    command
        .args(["--addr", "127.0.0.1:0", "--www-dir"])
        .arg(dir.path().join("none"))
        .env("SATCHEL_DATA_DIR", store.data_dir())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(dir.path().join("stderr.log")).expect("log file")));
    match store.database_url() {
        Some(url) => command.env("SATCHEL_DATABASE_URL", url),
        None => command.env_remove("SATCHEL_DATABASE_URL"),
    };
    let mut child = command.spawn().expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let port: u16 = first
        .strip_prefix("Satchel is running at http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix('/'))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    assert_ne!(port, 0);
    let second = lines.next().expect("a line").expect("utf-8");
    assert_eq!(
        second,
        "demo logins: rep1 / rep1-demo, rep2 / rep2-demo, super / super-demo, cashier1 / cashier1-demo, driver1 / driver1-demo"
    );
    assert_eq!(
        store.data_dir().join("satchel.sqlite3").exists(),
        backend == Backend::Sqlite,
        "the SQLite file exists exactly when SQLite is the backend"
    );

    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let res = http
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(res.status(), reqwest::StatusCode::OK);

    // Refused sign-ins: a password typed into the username field never reaches the log; a
    // known account's name does (whose account is being guessed at is what an operator needs).
    for (username, password) in [("Hunter2-typed-in-the-wrong-box", "x"), ("rep1", "wrong")] {
        let res = http
            .post(format!("http://127.0.0.1:{port}/api/v1/devices"))
            .json(&serde_json::json!({"username": username, "password": password, "label": "t"}))
            .send()
            .await
            .expect("register");
        assert_eq!(res.status(), reqwest::StatusCode::UNAUTHORIZED);
    }

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            waited < Duration::from_secs(10),
            "the server did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    };
    assert!(status.success(), "graceful exit, got {status:?}");
    let log = std::fs::read_to_string(dir.path().join("stderr.log")).expect("log");
    assert!(!log.contains("Hunter2"), "the typed text is not logged:\n{log}");
    assert!(log.contains("registration refused: no such user"), "{log}");
    assert!(log.contains("username=rep1"), "{log}");
}

#[test]
fn bad_arguments_exit_with_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_satchel-server"))
        .arg("--bogus")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument"));
}
