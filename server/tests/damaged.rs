//! A damaged SQLite file (issue 15): the server used to start on it, answer `/healthz` 200,
//! take registrations into the broken file and fail pushes with 500. Now the start checks the
//! whole file and refuses it, saying what to do; a file that is not a database at all likewise.

#[allow(unused_macros, unused_imports)]
mod common;

use std::io::{Seek, SeekFrom, Write};

use common::*;

#[tokio::test]
async fn a_damaged_database_file_is_not_served() {
    let s = start(Backend::Sqlite).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    assert_eq!(s.push(&dev, &valid_batch(&dev, &reference, 1, 3)).await.0, reqwest::StatusCode::OK);
    let store = s.stop().await;
    let file = store.data_dir().join("satchel.sqlite3");
    assert!(!store.data_dir().join("satchel.sqlite3-wal").exists_and_nonempty(), "the WAL was checkpointed at shutdown");

    // A sound file starts again.
    let cfg = store.config(&store.dir.path().join("no-www"));
    satchel_server::start(&cfg).await.expect("a sound file starts").shutdown().await.expect("shutdown");

    // The last page overwritten (a torn write, a bad sector).
    let len = std::fs::metadata(&file).expect("file").len();
    let mut f = std::fs::OpenOptions::new().write(true).open(&file).expect("open");
    f.seek(SeekFrom::Start(len - 4096)).expect("seek");
    f.write_all(&[0xA5; 4096]).expect("write");
    drop(f);
    let err = satchel_server::start(&cfg).await.err().expect("a damaged file is refused");
    let text = err.to_string();
    assert!(text.contains("is damaged") && text.contains("restore it from a backup"), "{text}");

    // Not a database at all.
    std::fs::write(&file, b"these are not the pages you are looking for".repeat(200)).expect("write");
    let err = satchel_server::start(&cfg).await.err().expect("not a database is refused");
    assert!(err.to_string().contains("is damaged"), "{err}");
}

trait NonEmpty {
    fn exists_and_nonempty(&self) -> bool;
}

impl NonEmpty for std::path::PathBuf {
    fn exists_and_nonempty(&self) -> bool {
        std::fs::metadata(self).is_ok_and(|m| m.len() > 0)
    }
}
