//! Blobs (photos) end to end: announcing, a chunked upload interrupted and resumed, the hash
//! check, the limits, who may download, and a `task.complete` deferred until its photo is
//! uploaded whole.

mod common;

use chrono::Utc;
use common::*;
use reqwest::StatusCode;
use satchel_core::sync::protocol::{
    BlobRef, BlobStatus, Mutation, MutationBody, MutationResult, Outcome, TaskCompletion, BLOB_CHUNK_BYTES,
    MAX_BLOB_BYTES,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

backend_tests! {
    a_photo_uploaded_in_chunks_completes_a_deferred_task,
    a_hash_mismatch_drops_the_upload,
    announcements_and_chunks_are_checked,
    photo_references_are_checked,
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    a_completion_racing_its_last_chunk_is_applied,
}

const CHUNK: usize = BLOB_CHUNK_BYTES as usize;

async fn pool(store: &Store) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = store
        .database_url()
        .unwrap_or_else(|| format!("sqlite://{}", store.data_dir().join("satchel.sqlite3").display()));
    sqlx::AnyPool::connect(&url).await.expect("connect to the test database")
}

async fn insert_task(store: &Store, id: &str, outlet: &str, assignee: &str) {
    let db = pool(store).await;
    sqlx::query(
        "INSERT INTO tasks (id, outlet_id, assignee, kind, title, details, status, photos, updated_at) \
         VALUES ($1, $2, $3, 'shelf_check', 'Photograph the shelf', '', 'open', '[]', '2026-11-20T08:00:00.000000Z')",
    )
    .bind(id)
    .bind(outlet)
    .bind(assignee)
    .execute(&db)
    .await
    .expect("task");
    db.close().await;
}

async fn task_status(store: &Store, id: &str) -> (String, String) {
    let db = pool(store).await;
    let row: (String, String) = sqlx::query_as("SELECT status, photos FROM tasks WHERE id = $1")
        .bind(id)
        .fetch_one(&db)
        .await
        .expect("task");
    db.close().await;
    row
}

/// `n` bytes that look like nothing in particular.
fn photo_bytes(n: usize, salt: u8) -> Vec<u8> {
    (0..n).map(|i| ((i * 31 + i / 251) as u8) ^ salt).collect()
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn blob_ref(bytes: &[u8], content_type: &str) -> BlobRef {
    BlobRef { sha256: sha(bytes), size: bytes.len() as u64, content_type: content_type.into() }
}

async fn announce(s: &TestServer, dev: &Device, body: Value) -> (StatusCode, Value) {
    let res = s.http.post(s.url("/api/v1/blobs")).bearer_auth(&dev.token).json(&body).send().await.expect("post");
    let status = res.status();
    (status, res.json().await.expect("json"))
}

async fn chunk(s: &TestServer, dev: &Device, sha256: &str, offset: Option<u64>, bytes: &[u8]) -> (StatusCode, Option<String>, Value) {
    let mut req = s
        .http
        .patch(s.url(&format!("/api/v1/blobs/{sha256}")))
        .bearer_auth(&dev.token)
        .header("content-type", "application/offset+octet-stream")
        .body(bytes.to_vec());
    if let Some(o) = offset {
        req = req.header("upload-offset", o.to_string());
    }
    let res = req.send().await.expect("patch");
    let status = res.status();
    let header = res.headers().get("upload-offset").and_then(|v| v.to_str().ok()).map(str::to_string);
    (status, header, res.json().await.expect("json"))
}

fn status_of(v: &Value) -> BlobStatus {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("a blob status: {v}: {e}"))
}

fn completion(dev: &Device, seq: u64, task: &str, photos: Vec<BlobRef>) -> Mutation {
    Mutation {
        device_id: dev.id,
        seq,
        id: Uuid::now_v7(),
        body: MutationBody::TaskComplete(TaskCompletion {
            task_id: task.into(),
            completed_at: Utc::now(),
            note: "before and after".into(),
            photos,
            day: None,
        }),
        created_at: Utc::now(),
        depends_on: Vec::new(),
    }
}

fn results(v: &Value) -> Vec<MutationResult> {
    serde_json::from_value(v["results"].clone()).unwrap_or_else(|e| panic!("results in {v}: {e}"))
}

async fn a_photo_uploaded_in_chunks_completes_a_deferred_task(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let r = s.reference(&dev).await;
    insert_task(&s.store, "T-PHOTO", &r.outlets[0].id, "rep1").await;
    let bytes = photo_bytes(2 * CHUNK + 1000, 7);
    let photo = blob_ref(&bytes, "image/jpeg");

    // The completion goes first (the photo is still on the phone): deferred.
    let done = completion(&dev, 1, "T-PHOTO", vec![photo.clone()]);
    let (_, v) = s.push(&dev, std::slice::from_ref(&done)).await;
    let first = results(&v);
    let Outcome::Deferred { waiting_for, reason } = &first[0].outcome else { panic!("{v}") };
    assert_eq!(waiting_for, &vec![format!("blob:{}", photo.sha256)]);
    assert!(reason.contains("1 photo to finish uploading"), "{reason}");
    assert_eq!(task_status(&s.store, "T-PHOTO").await.0, "open");

    // Announce, then the first chunk.
    let (status, v) = announce(&s, &dev, json!(photo)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(status_of(&v), BlobStatus { sha256: photo.sha256.clone(), size: photo.size, received: 0, complete: false });
    let (status, header, v) = chunk(&s, &dev, &photo.sha256, Some(0), &bytes[..CHUNK]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(status_of(&v).received, CHUNK as u64);
    assert_eq!(header.as_deref(), Some(CHUNK.to_string().as_str()));

    // The connection dropped and the phone lost track: it sends the first chunk again.
    let (status, header, v) = chunk(&s, &dev, &photo.sha256, Some(0), &bytes[..CHUNK]).await;
    assert_error(status, &v, 409, "blob_offset");
    assert!(v["message"].as_str().unwrap_or_default().contains(&CHUNK.to_string()), "{v}");
    assert_eq!(v["received"], CHUNK as u64);
    assert_eq!(header.as_deref(), Some(CHUNK.to_string().as_str()));
    // It asks where to resume, and resumes.
    let (status, v) = s.get(&format!("/api/v1/blobs/{}", photo.sha256), &dev.token).await;
    assert_eq!(status, StatusCode::OK);
    let at = status_of(&v);
    assert_eq!((at.received, at.complete), (CHUNK as u64, false));
    // Announcing again is harmless and says the same.
    let (status, v) = announce(&s, &dev, json!(photo)).await;
    assert_eq!((status, status_of(&v).received), (StatusCode::OK, CHUNK as u64));
    // Another user's device may not send its bytes (it could keep resetting the upload).
    let intruder = s.register("rep2", "rep2-demo").await;
    let (status, _, v) = chunk(&s, &intruder, &photo.sha256, Some(at.received), &bytes[CHUNK..2 * CHUNK]).await;
    assert_error(status, &v, 403, "forbidden");
    let (_, v) = s.get(&format!("/api/v1/blobs/{}", photo.sha256), &dev.token).await;
    assert_eq!(status_of(&v).received, CHUNK as u64, "the refused chunk wrote nothing");
    let (status, _, v) = chunk(&s, &dev, &photo.sha256, Some(at.received), &bytes[CHUNK..2 * CHUNK]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(!status_of(&v).complete);
    assert_eq!(task_status(&s.store, "T-PHOTO").await.0, "open", "still waiting");
    let (status, _, v) = chunk(&s, &dev, &photo.sha256, Some(2 * CHUNK as u64), &bytes[2 * CHUNK..]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(status_of(&v), BlobStatus { sha256: photo.sha256.clone(), size: photo.size, received: photo.size, complete: true });

    // The completion was applied with the blob, and the device learns it through the pull.
    let (status, photos) = task_status(&s.store, "T-PHOTO").await;
    assert_eq!(status, "done");
    assert_eq!(serde_json::from_str::<Vec<BlobRef>>(&photos).expect("photos"), vec![photo.clone()]);
    let db = pool(&s.store).await;
    let mut conn = db.acquire().await.expect("conn");
    let rec = satchel_server::outcomes::stored_outcome(&mut conn, &done.id.to_string()).await.expect("outcome");
    assert_eq!(rec.map(|r| r.outcome), Some(Outcome::Applied));
    let (scope,): (String,) =
        sqlx::query_as("SELECT scope FROM feed WHERE entity = 'mutation_result' AND entity_key = $1")
            .bind(done.id.to_string())
            .fetch_one(&mut *conn)
            .await
            .expect("a mutation_result feed row");
    assert_eq!(scope, format!("device:{}", dev.id));
    drop(conn);
    db.close().await;
    let (_, v) = s.push(&dev, std::slice::from_ref(&done)).await;
    assert_eq!(results(&v)[0].outcome, Outcome::Duplicate { original: "applied".into() });

    // A repeated last chunk changes nothing.
    let (status, _, v) = chunk(&s, &dev, &photo.sha256, Some(2 * CHUNK as u64), &bytes[2 * CHUNK..]).await;
    assert_eq!((status, status_of(&v).complete), (StatusCode::OK, true));

    // Who may download it: the uploader and a supervisor, no other rep.
    let res = s.http.get(s.url(&format!("/api/v1/blobs/{}/content", photo.sha256))).bearer_auth(&dev.token).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), bytes.as_slice());
    let sup = s.register("super", "super-demo").await;
    let res = s.http.get(s.url(&format!("/api/v1/blobs/{}/content", photo.sha256))).bearer_auth(&sup.token).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    let (status, v) = s.get(&format!("/api/v1/blobs/{}/content", photo.sha256), &intruder.token).await;
    assert_error(status, &v, 403, "forbidden");

    let metrics = s.metrics().await;
    assert!(metrics.contains("satchel_blobs_completed_total 1\n"), "{metrics}");
    assert!(metrics.contains(&format!("satchel_blob_bytes_received_total {}\n", bytes.len())), "{metrics}");
    assert!(metrics.contains("satchel_deferred_settled_total{outcome=\"applied\"} 1\n"), "{metrics}");
}

async fn a_hash_mismatch_drops_the_upload(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let bytes = photo_bytes(CHUNK + 10, 1);
    let photo = blob_ref(&bytes, "image/png");
    let (status, _) = announce(&s, &dev, json!(photo)).await;
    assert_eq!(status, StatusCode::CREATED);
    let mut wrong = bytes.clone();
    wrong[CHUNK + 3] ^= 0xff;
    let (status, _, v) = chunk(&s, &dev, &photo.sha256, Some(0), &wrong[..CHUNK]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, _, v) = chunk(&s, &dev, &photo.sha256, Some(CHUNK as u64), &wrong[CHUNK..]).await;
    assert_error(status, &v, 422, "blob_hash_mismatch");
    assert_eq!((v["received"].as_u64(), v["complete"].as_bool()), (Some(0), Some(false)), "{v}");
    let (_, v) = s.get(&format!("/api/v1/blobs/{}", photo.sha256), &dev.token).await;
    assert_eq!(status_of(&v).received, 0, "received reset");
    let (status, v) = s.get(&format!("/api/v1/blobs/{}/content", photo.sha256), &dev.token).await;
    assert_error(status, &v, 404, "unknown_blob");
    // Uploaded again, right this time.
    chunk(&s, &dev, &photo.sha256, Some(0), &bytes[..CHUNK]).await;
    let (status, _, v) = chunk(&s, &dev, &photo.sha256, Some(CHUNK as u64), &bytes[CHUNK..]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(status_of(&v).complete);
    let metrics = s.metrics().await;
    assert!(metrics.contains("satchel_blob_hash_mismatches_total 1\n"), "{metrics}");
}

async fn announcements_and_chunks_are_checked(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let good = blob_ref(&photo_bytes(100, 3), "image/webp");
    let (status, v) = announce(&s, &dev, json!({"sha256": "ABC", "size": 10, "content_type": "image/jpeg"})).await;
    assert_error(status, &v, 400, "blob_invalid");
    let (status, v) = announce(&s, &dev, json!({"sha256": good.sha256.to_uppercase(), "size": 100, "content_type": "image/webp"})).await;
    assert_error(status, &v, 400, "blob_invalid");
    let (status, v) = announce(&s, &dev, json!({"sha256": good.sha256, "size": MAX_BLOB_BYTES + 1, "content_type": "image/webp"})).await;
    assert_error(status, &v, 413, "blob_too_large");
    let (status, v) = announce(&s, &dev, json!({"sha256": good.sha256, "size": 100, "content_type": "image/gif"})).await;
    assert_error(status, &v, 400, "blob_invalid");
    let (status, v) = announce(&s, &dev, json!({"sha256": good.sha256, "size": 0, "content_type": "image/webp"})).await;
    assert_error(status, &v, 400, "blob_invalid");
    // Nothing of those was stored.
    let (status, v) = s.get(&format!("/api/v1/blobs/{}", good.sha256), &dev.token).await;
    assert_error(status, &v, 404, "unknown_blob");
    let (status, _, v) = chunk(&s, &dev, &good.sha256, Some(0), b"x").await;
    assert_error(status, &v, 404, "unknown_blob");

    let (status, _) = announce(&s, &dev, json!(good)).await;
    assert_eq!(status, StatusCode::CREATED);
    // The same hash with another size or type.
    let (status, v) = announce(&s, &dev, json!({"sha256": good.sha256, "size": 101, "content_type": "image/webp"})).await;
    assert_error(status, &v, 400, "blob_invalid");
    let (status, v) = announce(&s, &dev, json!({"sha256": good.sha256, "size": 100, "content_type": "image/png"})).await;
    assert_error(status, &v, 400, "blob_invalid");
    // Chunks: too large, past the size, no offset, another body type, a push-only token.
    let big = vec![0u8; CHUNK + 1];
    let (status, _, v) = chunk(&s, &dev, &good.sha256, Some(0), &big).await;
    assert_error(status, &v, 413, "blob_too_large");
    let (status, _, v) = chunk(&s, &dev, &good.sha256, Some(0), &[1u8; 101]).await;
    assert_error(status, &v, 400, "blob_invalid");
    let (status, _, v) = chunk(&s, &dev, &good.sha256, None, &[1u8; 10]).await;
    assert_error(status, &v, 400, "blob_invalid");
    let res = s
        .http
        .patch(s.url(&format!("/api/v1/blobs/{}", good.sha256)))
        .bearer_auth(&dev.token)
        .header("content-type", "application/json")
        .header("upload-offset", "0")
        .body("{}")
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = s
        .http
        .patch(s.url(&format!("/api/v1/blobs/{}", good.sha256)))
        .bearer_auth(&dev.push_token)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", "0")
        .body(vec![1u8; 10])
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = s.http.post(s.url("/api/v1/blobs")).json(&good).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // None of that moved the offset; a full-size chunk is taken.
    let (_, v) = s.get(&format!("/api/v1/blobs/{}", good.sha256), &dev.token).await;
    assert_eq!(status_of(&v).received, 0);
    let exact = photo_bytes(CHUNK, 9);
    let big_blob = blob_ref(&exact, "image/jpeg");
    announce(&s, &dev, json!(big_blob)).await;
    let (status, _, v) = chunk(&s, &dev, &big_blob.sha256, Some(0), &exact).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(status_of(&v).complete);
}

async fn photo_references_are_checked(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let r = s.reference(&dev).await;
    insert_task(&s.store, "T-REFS", &r.outlets[0].id, "rep1").await;
    let bytes = photo_bytes(500, 5);
    let photo = blob_ref(&bytes, "image/jpeg");
    let (status, _) = announce(&s, &dev, json!(photo)).await;
    assert_eq!(status, StatusCode::CREATED);
    let bad_hash = BlobRef { sha256: "nothex".into(), ..photo.clone() };
    let too_big = BlobRef { size: MAX_BLOB_BYTES + 1, ..photo.clone() };
    let gif = BlobRef { content_type: "image/gif".into(), ..photo.clone() };
    let other_size = BlobRef { size: 501, ..photo.clone() };
    let nine: Vec<BlobRef> = (0..9u8).map(|i| blob_ref(&photo_bytes(10, i), "image/jpeg")).collect();
    let mut long_note = completion(&dev, 6, "T-REFS", vec![photo.clone()]);
    if let MutationBody::TaskComplete(c) = &mut long_note.body {
        c.note = "n".repeat(2001);
    }
    let push = [
        completion(&dev, 1, "T-REFS", vec![bad_hash]),
        completion(&dev, 2, "T-REFS", vec![too_big]),
        completion(&dev, 3, "T-REFS", vec![gif]),
        completion(&dev, 4, "T-REFS", vec![other_size]),
        completion(&dev, 5, "T-REFS", nine),
        long_note,
    ];
    let (_, v) = s.push(&dev, &push).await;
    let got = results(&v);
    assert_eq!(got.len(), push.len());
    let want = [
        ("blob_invalid", "photos[0].sha256"),
        ("blob_invalid", "photos[0].size"),
        ("blob_invalid", "photos[0].content_type"),
        ("blob_invalid", "photos[0]"),
        ("blob_invalid", "photos"),
        ("note_too_long", "note"),
    ];
    for (r, (want_code, field)) in got.iter().zip(want) {
        let Outcome::Rejected { code, field: f, .. } = &r.outcome else { panic!("{r:?}") };
        assert_eq!((code.as_str(), f.as_deref()), (want_code, Some(field)));
    }
    assert_eq!(task_status(&s.store, "T-REFS").await.0, "open");
    // With the photo uploaded whole, the completion is applied at once.
    chunk(&s, &dev, &photo.sha256, Some(0), &bytes).await;
    let (_, v) = s.push(&dev, &[completion(&dev, 7, "T-REFS", vec![photo])]).await;
    assert_eq!(results(&v)[0].outcome, Outcome::Applied);
    assert_eq!(task_status(&s.store, "T-REFS").await.0, "done");
}

/// A completion pushed while its photo's last chunk is being stored: whichever commits first, the
/// task ends done.
async fn a_completion_racing_its_last_chunk_is_applied(backend: Backend) {
    const ROUNDS: u8 = 8;
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let r = s.reference(&dev).await;
    for round in 0..ROUNDS {
        let task = format!("T-RACE-{round}");
        insert_task(&s.store, &task, &r.outlets[0].id, "rep1").await;
        let bytes = photo_bytes(CHUNK + 100, 40 + round);
        let photo = blob_ref(&bytes, "image/jpeg");
        announce(&s, &dev, json!(photo)).await;
        chunk(&s, &dev, &photo.sha256, Some(0), &bytes[..CHUNK]).await;
        let done = completion(&dev, u64::from(round) + 1, &task, vec![photo.clone()]);
        let (pushed, last) = tokio::join!(
            s.push(&dev, std::slice::from_ref(&done)),
            chunk(&s, &dev, &photo.sha256, Some(CHUNK as u64), &bytes[CHUNK..])
        );
        assert_eq!((pushed.0, last.0), (StatusCode::OK, StatusCode::OK), "{} {}", pushed.1, last.2);
        assert_eq!(task_status(&s.store, &task).await.0, "done", "round {round}");
    }
}
