//! `POST /api/v1/sync/push`: apply a device's mutations exactly once, in sequence.
//!
//! The whole push runs in one transaction that first takes the device's lock
//! ([`Db::begin_push`](crate::db::Db::begin_push): SQLite's write lock with `BEGIN IMMEDIATE`,
//! or the device's row with `SELECT … FOR UPDATE` on PostgreSQL), so two pushes from the same
//! device serialize: the second reads `last_seq` after the first committed and sees its
//! mutations as replays. Each applied or rejected mutation writes its `mutations` row, its
//! effects (the order) and the device's new `last_seq` in that same transaction.
//!
//! Before the batch is tried, the push's high-water marks (when it carries them) are recorded in
//! a statement of their own ([`super::marks`]), so they stay when the batch is then refused.
//!
//! A mutation that names parents (`depends_on`) is decided by core's rule first
//! ([`super::deferred`]): held (recorded `held`) when a parent was refused, deferred (recorded
//! `deferred` with its waits) while one is missing, checked and applied otherwise. Held and
//! deferred mutations consume their sequence number too. Each mutation recorded in a final state
//! settles, in the same transaction, whatever waited for it (of any device). A replay answers
//! from the stored row ([`crate::outcomes`]).
//!
//! On PostgreSQL pushes of different devices run in parallel. When two of them race on a
//! cross-device uniqueness (the same order id or mutation id sent by two devices), the one that
//! commits second fails on the UNIQUE constraint, rolls back whole and is run again: it then sees
//! the committed row and rejects that mutation as a duplicate, exactly as SQLite would have.

use std::collections::HashSet;

use satchel_core::sync::lifecycle::Fate;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use satchel_core::sync::protocol::{
    Mutation, MutationBody, MutationResult, Outcome, PushRequest, PushResponse, SealedMutation, MAX_BATCH,
    PAYLOAD_MISMATCH,
};
use satchel_core::sync::sealing::{self, SealingError};
use satchel_core::sync::sequencing::{self, Step};
use sqlx::AnyConnection;
use uuid::Uuid;

use super::deferred::{self, Plan, Settle, SettledCounts, Settler};
use super::order_batch::{self, Batch, Table};
use super::reference::routes_of;
use super::{counter, delivery, entry_latency, marks, outlet_update, sales_order, task_complete, telemetry_report, JsonBody};
use crate::auth::{AuthDevice, PushAuth, Scope};
use crate::db::{insert_vals, timestamp, Val};
use crate::errors::AppError;
use crate::feed;
use crate::outcomes;
use crate::sales::Counter;
use crate::AppState;

use satchel_core::sync::protocol::rejection_codes::{DUPLICATE_MUTATION, INVALID_TEXT, RETIRED_KIND};

/// Why one mutation is refused for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Rejection {
    pub(super) code: String,
    pub(super) reason: String,
    pub(super) field: Option<String>,
}

/// Handles a push; counts it, times it and, when refused whole, its error code.
pub async fn push(
    State(state): State<AppState>,
    auth: Result<PushAuth, AppError>,
    body: Result<JsonBody<PushRequest, { super::BODY_LIMIT }, true>, AppError>,
) -> Result<Json<PushResponse>, AppError> {
    state.metrics.push_request();
    let started = std::time::Instant::now();
    let result = async {
        let PushAuth(auth) = auth?;
        let JsonBody(req) = body?;
        record_marks(&state, &auth, &req).await?;
        let req = unseal(&state, &auth, req).await?;
        apply_push(&state, &auth, req, Leases::TopUp).await
    }
    .await;
    if let Err(e) = &result {
        state.metrics.push_rejected(e.status_and_code().1);
    }
    state.metrics.observe_push(started.elapsed());
    result.map(Json)
}

/// Records the push's high-water marks, if it carries any, before anything else of it is tried
/// (see [`marks`]): a push whose batch then fails still leaves them. Marks core refuses refuse
/// the push (`400 bad_marks`). A push naming another device records nothing (it is refused
/// next).
async fn record_marks(state: &AppState, auth: &AuthDevice, req: &PushRequest) -> Result<(), AppError> {
    let Some(m) = &req.marks else { return Ok(()) };
    marks::check(m)?;
    if req.device_id == auth.device_id {
        marks::record(&state.db.pool, auth.device_id, m, Utc::now()).await?;
    }
    Ok(())
}

/// Opens the sealed entries of a push into clear mutations (all or nothing), and enforces the
/// token's scope: a push-only token may send sealed entries only.
async fn unseal(state: &AppState, auth: &AuthDevice, mut req: PushRequest) -> Result<PushRequest, AppError> {
    if !req.mutations.is_empty() && !req.sealed.is_empty() {
        return Err(AppError::MalformedJson("a push carries `mutations` or `sealed`, not both".into()));
    }
    if auth.scope == Scope::PushOnly && !req.mutations.is_empty() {
        return Err(AppError::TokenScope("a push-only token may only upload sealed entries".into()));
    }
    if req.sealed.is_empty() {
        return Ok(req);
    }
    if req.device_id != auth.device_id {
        return Err(AppError::DeviceMismatch("the push names another device than the token's".into()));
    }
    if req.sealed.len() > MAX_BATCH {
        return Err(AppError::BatchTooLarge { max: MAX_BATCH, got: req.sealed.len() });
    }
    req.mutations = open_sealed(state, auth.device_id, &req.sealed).await?;
    req.sealed.clear();
    Ok(req)
}

/// Opens sealed entries of `device_id` into clear mutations with that device's secret, all or
/// nothing: the first entry that does not open (altered, sealed by another device or for
/// another sequence number, or to a key this server does not hold) refuses them all, as
/// `unsealable` naming its index in `sealed`. Used by the push and by the recovery of a backup
/// ([`super::recover`]), which may hold thousands of entries: the task yields after each
/// push-sized batch so that opening them does not hold up the other requests of its thread.
pub(super) async fn open_sealed(
    state: &AppState,
    device_id: Uuid,
    sealed: &[SealedMutation],
) -> Result<Vec<Mutation>, AppError> {
    let (secret,): (Option<String>,) = sqlx::query_as("SELECT device_secret FROM devices WHERE device_id = $1")
        .bind(device_id.to_string())
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(AppError::UnknownDevice)?;
    let secret = secret
        .as_deref()
        .and_then(|s| sealing::key_from_hex(s).ok())
        .map(zeroize::Zeroizing::new)
        .ok_or(AppError::Unsealable { index: 0, reason: "this device has no sealing secret".into() })?;
    let mut mutations = Vec::with_capacity(sealed.len());
    for (index, entry) in sealed.iter().enumerate() {
        if index > 0 && index % MAX_BATCH == 0 {
            tokio::task::yield_now().await;
        }
        let opened = sealing::sealed_key_id(entry).and_then(|key_id| {
            let key = state.keys.get(key_id).ok_or(SealingError::Malformed)?;
            sealing::open_mutation(key, key_id, device_id, &secret, entry)
        });
        match opened {
            Ok(m) => mutations.push(m),
            Err(e) => {
                let reason = match e {
                    SealingError::Malformed => "malformed, or sealed to a key this server does not hold",
                    SealingError::Vault(_) => "not sealed by this device for this sequence number",
                    SealingError::NotAMutation | SealingError::Mismatch => "the contents do not match the entry",
                };
                tracing::warn!(%device_id, seq = entry.seq, reason, "unsealable entry");
                return Err(AppError::Unsealable { index, reason: reason.into() });
            }
        }
    }
    Ok(mutations)
}

/// Whether a push tops up the device's leases of document and receipt numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leases {
    /// A device's own push: it gets a new range when it runs low.
    TopUp,
    /// The recovery of a backup: the device that made it is gone (or pushes for itself), and
    /// nobody would receive a range leased to it.
    Keep,
}

/// Applies a push of clear mutations (opened already) as `auth`'s device, exactly once.
pub(super) async fn apply_push(
    state: &AppState,
    auth: &AuthDevice,
    req: PushRequest,
    leases: Leases,
) -> Result<PushResponse, AppError> {
    if req.device_id != auth.device_id {
        return Err(AppError::DeviceMismatch(
            "the push names another device than the token's".into(),
        ));
    }
    if req.mutations.len() > MAX_BATCH {
        return Err(AppError::BatchTooLarge {
            max: MAX_BATCH,
            got: req.mutations.len(),
        });
    }
    if let Some(m) = req.mutations.iter().find(|m| m.device_id != auth.device_id) {
        return Err(AppError::DeviceMismatch(format!(
            "mutation {} names another device than the token's",
            m.seq
        )));
    }
    if let Some(m) = req.mutations.iter().find(|m| i64::try_from(m.seq).is_err()) {
        return Err(AppError::OutOfSequence(format!(
            "sequence number {} is too large",
            m.seq
        )));
    }
    let prepared: Vec<Prepared> = req.mutations.iter().map(Prepared::of).collect();
    let mut attempt = 1;
    let (response, counts) = loop {
        match apply_in_transaction(state, auth, &req, &prepared, leases, attempt > 1).await {
            Err(AppError::Database(e)) if attempt < PUSH_ATTEMPTS && state.db.is_transient(&e) => {
                tracing::info!(device = %auth.device_id, attempt, "push raced another transaction; running it again: {e}");
                state.metrics.push_retry();
                attempt += 1;
            }
            other => break other?,
        }
    };
    let Counts { applied, duplicate, rejected, flagged, held, deferred, settled } = counts;
    state.metrics.mutations(applied, duplicate, rejected);
    state.metrics.held_deferred(held, deferred);
    state.metrics.deferred_settled(settled.applied, settled.rejected, settled.held);
    state.metrics.flagged(flagged);
    state.metrics.conflicts(outlet_update::conflicts_in(&response.results));
    for r in &response.results {
        if let Outcome::Rejected { code, .. } = &r.outcome {
            state.metrics.mutation_rejected(code);
        }
    }
    tracing::info!(device = %auth.device_id, applied, duplicate, rejected, flagged, held, deferred, settled = settled.applied + settled.rejected + settled.held, last_seq = response.last_seq, leased = response.number_ranges.len(), "push");
    Ok(response)
}

/// How many times a push that raced another transaction is run (PostgreSQL only; see the
/// module's documentation).
const PUSH_ATTEMPTS: u32 = 5;

/// What a committed push did, for the metrics and the log.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    /// Applied now (flagged included).
    applied: u64,
    /// Replays.
    duplicate: u64,
    /// Rejected now.
    rejected: u64,
    /// Applied now and flagged.
    flagged: u64,
    /// Held now.
    held: u64,
    /// Deferred now.
    deferred: u64,
    /// Earlier deferred or held mutations (of any device) this push settled.
    settled: SettledCounts,
}

/// Applies a validated push in one transaction; returns the response and what it did. On any
/// error nothing of it is written.
///
/// After the mutations, still in the transaction, a device whose leased document numbers run
/// low gets a new range ([`crate::sales::top_up`]), and so does a cashier's device whose
/// register's receipt numbers run low (unless `leases` says to keep them as they are).
///
/// The feed's lock (PostgreSQL, see [`feed::lock`]): a push whose new mutations are all plain
/// orders takes it shared when its batch loads, and runs beside other such pushes; any other
/// push, and one run again after it raced (`exclusive`), takes it exclusively before anything
/// else, as every other writer of the feed does.
async fn apply_in_transaction(
    state: &AppState,
    auth: &AuthDevice,
    req: &PushRequest,
    prepared: &[Prepared],
    leases: Leases,
    exclusive: bool,
) -> Result<(PushResponse, Counts), AppError> {
    let seqs: Vec<u64> = req.mutations.iter().map(|m| m.seq).collect();
    let numbers_left = req.numbers_left;
    let device = auth.device_id.to_string();
    let (mut tx, last_seq) = state.db.begin_push(&device).await?;
    let last_seq = last_seq.ok_or(AppError::UnknownDevice)?;
    let last_seq =
        u64::try_from(last_seq).map_err(|_| AppError::Internal("negative last_seq".into()))?;
    // On refusal the transaction is dropped, which rolls it back: nothing is written.
    let steps =
        sequencing::plan(last_seq, &seqs).map_err(|e| AppError::OutOfSequence(e.to_string()))?;
    let only_plain = req
        .mutations
        .iter()
        .zip(&steps)
        .all(|(m, step)| matches!(step, Step::Replay) || order_batch::plain_order(m).is_some());
    // The keys of the mutations this push applies. They are locked before the first is applied,
    // and what already waits on them is read once (`Waits::lock`): a push of 100 orders asked
    // both of the database 100 times each, a round trip apiece inside the transaction.
    let applying: Vec<String> = req
        .mutations
        .iter()
        .zip(&steps)
        .filter(|(_, step)| matches!(step, Step::Apply))
        .map(|(m, _)| deferred::mutation_key(&m.id))
        .collect();
    if exclusive || !only_plain || waited_on(&mut tx, state.db.backend, &applying).await? {
        feed::lock(&mut tx, state.db.backend).await?;
    }

    let mut waits = Waits { keys: applying, waited: None, settled_here: false };

    let routes = routes_of(&mut tx, auth).await?;
    let settings = crate::sales::settings(&mut tx).await?;
    let now = Utc::now();
    let received_at = timestamp(now);
    let env = Env {
        backend: state.db.backend,
        routes: routes.as_deref(),
        settings: settings.as_ref(),
        now,
        clock_offset_ms: req.sent_at.map(|sent| (now - sent).num_milliseconds()),
    };
    let mut settler = Settler::new(state.db.backend, settings.as_ref());
    let mut batch = Batch::default();
    let mut results = Vec::with_capacity(req.mutations.len());
    let mut new_last = last_seq;
    let mut counts = Counts::default();
    for (index, (m, step)) in req.mutations.iter().zip(steps).enumerate() {
        let seq = i64::try_from(m.seq).map_err(|_| AppError::Internal("seq range".into()))?;
        let mut id = m.id;
        let outcome = match step {
            Step::Replay => {
                let (stored_id, recorded, stored_hash) = outcomes::recorded_at(&mut tx, &device, seq)
                    .await?
                    .ok_or_else(|| AppError::Internal(format!("no record of replayed seq {seq}")))?;
                // Answer with the id recorded for this seq: a device that reused a number for
                // another mutation then sees the mismatch instead of dropping that one unsent.
                if let Some(stored) = stored_id {
                    if stored != m.id {
                        tracing::warn!(%device, seq, "replay carries another mutation id");
                        id = stored;
                    }
                }
                // A replay carries the very mutation it replays. Another payload under the same
                // id and seq (quantities changed from 2 to 50) is refused as such, never
                // `duplicate`: the stored one stands and the device learns this one was not.
                if id == m.id && stored_hash.is_some_and(|h| h != prepared[index].fingerprint) {
                    tracing::warn!(%device, seq, "replay carries a different payload");
                    counts.rejected += 1;
                    Outcome::Rejected {
                        code: PAYLOAD_MISMATCH.into(),
                        reason: format!(
                            "change {seq} of this device was received before with different contents; \
                             the first one stands"
                        ),
                        field: None,
                    }
                } else {
                counts.duplicate += 1;
                // An order the first push flagged is answered `flagged` again, with its reasons:
                // the answer that carried the flag may have been lost, and the device must not
                // show it as plainly synced. A held or deferred one is answered as it stands.
                recorded.replay().ok_or_else(|| AppError::Internal("a recorded mutation is never pending".into()))?
                }
            }
            Step::Apply => {
                // A plain order reads from the push's batch (loaded for it and the plain orders
                // after it); anything else first writes out and forgets what the batch holds.
                let plain = match (order_batch::plain_order(m), &settings) {
                    (Some(_), Some(s)) => {
                        if !batch.loaded() {
                            batch.load(&mut tx, env.backend, s, &device, &auth.username, &req.mutations[index..]).await?;
                        }
                        !batch.mutation_seen(m)
                    }
                    _ => false,
                };
                if !plain {
                    batch.forget(&mut tx).await?;
                }
                let batch = plain.then_some(&mut batch);
                // After the batch's load, which takes the feed's lock shared: the keys come after
                // the feed's lock, as everywhere (docs/server.md, *Lock order on PostgreSQL*).
                waits.lock(&mut tx, env.backend).await?;
                let outcome =
                    apply_one(&mut tx, auth, &env, &mut settler, &mut waits, batch, m, &prepared[index], seq, &received_at, &req.mutations).await?;
                match outcome {
                    Outcome::Applied => counts.applied += 1,
                    Outcome::Flagged { .. } => {
                        counts.applied += 1;
                        counts.flagged += 1;
                    }
                    Outcome::Held { .. } => counts.held += 1,
                    Outcome::Deferred { .. } => counts.deferred += 1,
                    _ => counts.rejected += 1,
                }
                new_last = m.seq;
                outcome
            }
        };
        results.push(MutationResult {
            seq: m.seq,
            id,
            outcome,
        });
    }
    batch.forget(&mut tx).await?;
    counts.settled = settler.counts;
    if new_last != last_seq {
        sqlx::query("UPDATE devices SET last_seq = $1 WHERE device_id = $2")
            .bind(i64::try_from(new_last).map_err(|_| AppError::Internal("seq range".into()))?)
            .bind(&device)
            .execute(&mut *tx)
            .await?;
    }
    // Document numbers and the register's receipt numbers are topped up separately, each by
    // what the device says it has left of that prefix.
    let mut number_ranges = Vec::new();
    if let (Some(s), Leases::TopUp) = (&settings, leases) {
        number_ranges.extend(crate::sales::top_up(&mut tx, &device, Counter::Documents, &s.number_prefix, numbers_left, now).await?);
        if let Some(register) = crate::sales::register_of(&mut tx, &auth.username).await? {
            let prefix = satchel_core::pos::receipt_prefix(&register);
            number_ranges.extend(
                crate::sales::top_up(&mut tx, &device, Counter::Receipts(&register), &prefix, req.receipts_left, now).await?,
            );
        }
    }
    tx.commit().await?;
    let response = PushResponse {
        number_ranges,
        results,
        last_seq: new_last,
    };
    Ok((response, counts))
}

/// PostgreSQL: whether any mutation this push will apply is one that others wait for. Settling
/// those takes the feed's lock exclusively, so such a push takes it so from the start instead of
/// shared first (two pushes each holding it shared and then asking for it exclusively would
/// deadlock). A wait registered after this read is rare, and then costs a deadlock PostgreSQL
/// breaks and a run again. (SQLite: nothing to ask.)
async fn waited_on(conn: &mut AnyConnection, backend: crate::db::Backend, applying: &[String]) -> Result<bool, AppError> {
    if backend != crate::db::Backend::Postgres {
        return Ok(false);
    }
    Ok(!deferred::waited_keys(conn, applying).await?.is_empty())
}

/// The keys of the mutations a push applies, locked together before the first is applied, and
/// what waited on them then.
struct Waits {
    keys: Vec<String>,
    /// Of `keys`, those something waited on when they were locked ([`deferred::waited_keys`]);
    /// `None` until [`Waits::lock`].
    waited: Option<HashSet<String>>,
    /// Whether this transaction settled anything yet: settling can register waits of its own,
    /// so from then on each mutation's waiters are read again.
    settled_here: bool,
}

impl Waits {
    /// Locks every key (once), then reads which of them something waits on: a wait is
    /// registered only under its parent's lock, so none can appear on them after this but this
    /// transaction's own.
    async fn lock(&mut self, conn: &mut AnyConnection, backend: crate::db::Backend) -> Result<(), AppError> {
        if self.waited.is_none() {
            deferred::lock_keys(conn, backend, &self.keys).await?;
            self.waited = Some(deferred::waited_keys(conn, &self.keys).await?);
        }
        Ok(())
    }

    /// Whether anything waits on `mutation_id`, one of the keys.
    async fn on(&self, conn: &mut AnyConnection, settler: &Settler<'_>, mutation_id: &str) -> Result<bool, AppError> {
        match &self.waited {
            Some(waited) if !self.settled_here => Ok(waited.contains(&deferred::mutation_key(&mutation_id))),
            _ => settler.waits_on(conn, mutation_id).await,
        }
    }
}

/// What every mutation of a push is checked with.
pub(super) struct Env<'a> {
    pub(super) backend: crate::db::Backend,
    /// The user's routes; `None` for a supervisor (every route).
    pub(super) routes: Option<&'a [String]>,
    /// The deployment's sales settings, if it has any.
    pub(super) settings: Option<&'a crate::sales::Settings>,
    /// When the effects are written (server clock).
    pub(super) now: DateTime<Utc>,
    /// The device clock's offset from the server's when the mutation arrived, in ms (server
    /// receive time minus the push's `sent_at`); `None` when the push did not say.
    pub(super) clock_offset_ms: Option<i64>,
}

/// The verdict on a mutation whose dependencies are all applied.
pub(super) enum Verdict {
    /// Accepted, and its effects written: `applied` or `flagged`.
    Applied(Outcome),
    /// Refused for good; nothing of it written.
    Rejected(Rejection),
    /// Acceptable so far, but blobs it names are not uploaded whole yet (their
    /// `blob:<sha256>` keys); nothing of it written.
    WaitBlobs(Vec<String>),
}

/// Checks a mutation whose parents are all applied and, when accepted, writes its effects (not
/// its `mutations` row). Also returns the document number to record with it. `at` is the time
/// its effects are written. Used for a fresh mutation and for a deferred one being settled (then
/// `auth` is its own device's user).
///
/// With `batch` (a plain order of the push itself, [`order_batch`]), the order's check reads
/// from the batch and its balance and stock changes go to it.
pub(super) async fn check_and_apply(
    conn: &mut AnyConnection,
    auth: &AuthDevice,
    env: &Env<'_>,
    m: &Mutation,
    seq: i64,
    at: &str,
    mut batch: Option<&mut Batch>,
) -> Result<(Verdict, Option<String>), AppError> {
    let mut document_number = None;
    let verdict = match &m.body {
        MutationBody::OrderCreate(_) => Verdict::Rejected(Rejection {
            code: RETIRED_KIND.into(),
            reason: "order.create is retired: it skipped the sales policy (credit limit, outstanding balance, \
                     stock, numbering); nothing of this order was stored. Send it as sales_order.create"
                .into(),
            field: Some("kind".into()),
        }),
        MutationBody::SalesOrderCreate(doc) => {
            let (number, checked) =
                sales_order::check(conn, env.backend, env.settings, env.routes, auth, doc, batch.as_deref_mut()).await?;
            document_number = number;
            match checked {
                Ok(checked) => {
                    let flagged = sales_order::apply(conn, auth, m, doc, &checked, seq, at, batch.as_deref_mut()).await?;
                    match batch {
                        Some(b) => b.measured(entry_latency::measure(env, auth, m, doc, &checked.outlet.route, at)?),
                        None => entry_latency::record(conn, env, auth, m, doc, &checked.outlet.route, at).await?,
                    }
                    match flagged {
                        Some(reasons) => Verdict::Applied(Outcome::Flagged { reasons }),
                        None => Verdict::Applied(Outcome::Applied),
                    }
                }
                Err(rej) => Verdict::Rejected(rej),
            }
        }
        MutationBody::OutletUpdate(patch) => match outlet_update::check(conn, env.backend, env.routes, auth, patch).await? {
            Ok(merged) => Verdict::Applied(outlet_update::store(conn, auth, m, seq, &merged, at).await?),
            Err(rej) => Verdict::Rejected(rej),
        },
        MutationBody::TaskComplete(c) => task_complete::check_and_apply(conn, env.backend, env.routes, auth, m, c, at).await?,
        MutationBody::MutationDiscard(d) => deferred::discard(conn, env.backend, auth, d, at).await?,
        MutationBody::ShiftOpen(o) => counter::open(conn, env.settings, auth, m, o, at).await?,
        MutationBody::CashMovement(e) => counter::movement(conn, env.backend, env.settings, auth, m, e, at).await?,
        MutationBody::ShiftClose(c) => counter::close(conn, env.backend, env.settings, auth, m, c).await?,
        MutationBody::DayStart(s) => delivery::start(conn, env.backend, env.settings, env.routes, auth, m, s, at).await?,
        MutationBody::CollectionRecord(e) => delivery::collect(conn, env.backend, env.settings, env.routes, auth, m, e, at).await?,
        MutationBody::DayEnd(e) => delivery::end(conn, env.backend, env.settings, auth, m, e).await?,
        MutationBody::TelemetryReport(r) => telemetry_report::apply(conn, env, auth, m, seq, r, at).await?,
    };
    Ok((verdict, document_number))
}

/// An applied verdict's outcome (`applied` or `flagged`) as a fate.
pub(super) fn applied(outcome: &Outcome) -> Fate {
    Fate::Pending.told(outcome)
}

impl From<Rejection> for Fate {
    fn from(rej: Rejection) -> Fate {
        Fate::Rejected { code: rej.code, reason: rej.reason, field: rej.field }
    }
}

/// The outcome a fresh mutation is answered with (every fate the server records has one).
fn answer(fate: &Fate) -> Result<Outcome, AppError> {
    fate.bounded().outcome().ok_or_else(|| AppError::Internal("a recorded mutation is never pending".into()))
}

/// What a push's mutation is checked with that depends on it alone, worked out before the
/// push's transaction begins: on SQLite, outside the one writer's turn, so another push's checks
/// and writes do not wait on it. (The fingerprint alone, the mutation through a JSON tree and
/// SHA-256, was 8.4 % of a push's transaction in a profile of the SQLite bench.)
struct Prepared {
    /// [`Mutation::fingerprint`].
    fingerprint: String,
    /// Where the mutation's JSON holds a NUL (refused on both databases), if it does.
    nul: Option<String>,
}

impl Prepared {
    fn of(m: &Mutation) -> Prepared {
        let nul = serde_json::to_string(m).ok().and_then(|text| satchel_core::input::nul_at(&text));
        Prepared { fingerprint: m.fingerprint(), nul }
    }
}

/// Which `mutations` row a fate is written to.
pub(super) enum Target<'a> {
    /// A new row (a fresh mutation of a push).
    New {
        device: &'a str,
        seq: i64,
        /// `None` for a mutation whose id was already taken.
        mutation_id: Option<&'a str>,
        kind: &'a str,
        received_at: &'a str,
        /// `depends_on` as JSON.
        depends_on: &'a str,
        /// The device clock's offset ([`Env::clock_offset_ms`]), kept for a deferred order.
        clock_offset_ms: Option<i64>,
        /// The mutation's [`Mutation::fingerprint`] ([`Prepared`]).
        fingerprint: &'a str,
    },
    /// The stored row of a deferred or held mutation.
    Stored { device: &'a str, seq: i64, mutation_id: &'a str },
}

/// Writes a mutation's fate to its `mutations` row (and its waits): the mutation itself is kept
/// in `body` while it is held or deferred; `settled_at` is `at` once it is no longer deferred.
/// With `batch` (a plain order's final fate, a new row), the row goes to the batch.
pub(super) async fn write_fate(
    conn: &mut AnyConnection,
    target: &Target<'_>,
    m: &Mutation,
    fate: &Fate,
    document_number: Option<&str>,
    at: &str,
    batch: Option<&mut Batch>,
) -> Result<(), AppError> {
    // A reason may quote the device's input: stored (and so answered, now and by the pull) cut.
    let fate = &fate.bounded();
    let (code, reason, field, parent) = match fate {
        Fate::Rejected { code, reason, field } => (Some(code.as_str()), Some(reason.as_str()), field.as_deref(), None),
        Fate::Held { parent, code, reason } => (Some(code.as_str()), Some(reason.as_str()), None, Some(parent.to_string())),
        Fate::Discarded { reason } => (None, Some(reason.as_str()), None, None),
        Fate::Pending | Fate::Applied | Fate::Flagged { .. } | Fate::Deferred { .. } => (None, None, None, None),
    };
    let body = match fate {
        Fate::Held { .. } | Fate::Deferred { .. } => {
            Some(serde_json::to_string(m).map_err(|e| AppError::Internal(format!("serialize mutation: {e}")))?)
        }
        _ => None,
    };
    let settled_at = (!matches!(fate, Fate::Deferred { .. })).then_some(at);
    let (mutation_id, is_new) = match target {
        Target::New { device, seq, mutation_id, kind, received_at, depends_on, clock_offset_ms, fingerprint } => {
            let row: Vec<Val> = vec![
                (*device).into(),
                (*seq).into(),
                (*mutation_id).into(),
                (*kind).into(),
                fate.stored_status().into(),
                code.into(),
                reason.into(),
                field.into(),
                (*received_at).into(),
                document_number.into(),
                (*depends_on).into(),
                body.into(),
                parent.into(),
                settled_at.into(),
                (*clock_offset_ms).into(),
                (*fingerprint).into(),
            ];
            match batch {
                // A plain order's fate is final: no waits to write.
                Some(b) => {
                    b.rows(Table::Mutations).push(row);
                    return Ok(());
                }
                None => insert_vals(conn, Table::Mutations.columns(), Table::Mutations.width(), &[row]).await?,
            }
            (*mutation_id, true)
        }
        Target::Stored { device, seq, mutation_id } => {
            sqlx::query(
                "UPDATE mutations SET status = $1, code = $2, reason = $3, field = $4, document_number = $5, body = $6, \
                 parent = $7, settled_at = $8 WHERE device_id = $9 AND seq = $10",
            )
            .bind(fate.stored_status())
            .bind(code)
            .bind(reason)
            .bind(field)
            .bind(document_number)
            .bind(&body)
            .bind(&parent)
            .bind(settled_at)
            .bind(*device)
            .bind(*seq)
            .execute(&mut *conn)
            .await?;
            (Some(*mutation_id), false)
        }
    };
    let Some(mutation_id) = mutation_id else { return Ok(()) };
    if !is_new {
        sqlx::query("DELETE FROM mutation_waits WHERE mutation_id = $1")
            .bind(mutation_id)
            .execute(&mut *conn)
            .await?;
    }
    if let Fate::Deferred { waiting_for, .. } = fate {
        for key in waiting_for {
            sqlx::query("INSERT INTO mutation_waits (mutation_id, waits_on) VALUES ($1, $2)")
                .bind(mutation_id)
                .bind(key)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Validates and records one new mutation; returns its outcome. Its dependencies decide first
/// (held, deferred, or checked now); once recorded in a final state, whatever waited for it is
/// settled in the same transaction.
#[allow(clippy::too_many_arguments)]
///
/// `plain` is the push's [`order_batch`] when `m` is a plain order it was loaded for.
async fn apply_one(
    conn: &mut AnyConnection,
    auth: &AuthDevice,
    env: &Env<'_>,
    settler: &mut Settler<'_>,
    waits: &mut Waits,
    mut plain: Option<&mut Batch>,
    m: &Mutation,
    pre: &Prepared,
    seq: i64,
    received_at: &str,
    batch: &[Mutation],
) -> Result<Outcome, AppError> {
    let device = auth.device_id.to_string();
    let mutation_id = m.id.to_string();
    // Its key is locked already ([`Waits::lock`]), before anything reads or writes its state.
    let depends_on =
        serde_json::to_string(&m.depends_on).map_err(|e| AppError::Internal(format!("serialize depends_on: {e}")))?;
    // The batch knows this one's id is new (it takes no id it has seen).
    let seen = match plain {
        Some(_) => false,
        None => sqlx::query_as::<_, (String,)>("SELECT device_id FROM mutations WHERE mutation_id = $1")
            .bind(&mutation_id)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    };
    if seen {
        // A reused mutation id cannot be stored twice (UNIQUE); the row keeps NULL instead.
        let fate = Fate::Rejected {
            code: DUPLICATE_MUTATION.into(),
            reason: format!(
                "mutation {mutation_id} was already recorded under another sequence number"
            ),
            field: Some("id".into()),
        };
        let target = Target::New {
            device: &device,
            seq,
            mutation_id: None,
            kind: m.body.kind(),
            received_at,
            depends_on: &depends_on,
            clock_offset_ms: env.clock_offset_ms,
            fingerprint: &pre.fingerprint,
        };
        write_fate(conn, &target, m, &fate, None, received_at, None).await?;
        return answer(&fate);
    }
    let mut document_number = None;
    // PostgreSQL cannot store NUL in text, and SQLite would store what PostgreSQL refuses: a
    // NUL anywhere in the mutation is its own typed rejection (the seq is consumed, so the
    // device's queue moves on), the same on both databases.
    let fate = if let Some(field) = pre.nul.clone() {
        Fate::Rejected {
            code: INVALID_TEXT.into(),
            reason: "text may not contain the NUL character".into(),
            field: Some(field),
        }
    } else {
        match deferred::plan(conn, env.backend, &device, seq, m, batch).await? {
        Plan::Bad(rej) => rej.into(),
        Plan::Hold { parent, code, reason } => Fate::Held { parent, code, reason },
        Plan::Wait(parents) => {
            let mut waits: Vec<String> = parents.iter().map(deferred::mutation_key).collect();
            waits.extend(deferred::missing_blob_keys(conn, m).await?);
            Fate::deferred(waits)
        }
        Plan::Ready => {
            let (verdict, number) = check_and_apply(conn, auth, env, m, seq, received_at, plain.as_deref_mut()).await?;
            document_number = number;
            match verdict {
                Verdict::Applied(outcome) => applied(&outcome),
                Verdict::Rejected(rej) => rej.into(),
                Verdict::WaitBlobs(keys) => Fate::deferred(keys),
            }
        }
        }
    };
    let target = Target::New {
        device: &device,
        seq,
        mutation_id: Some(&mutation_id),
        kind: m.body.kind(),
        received_at,
        depends_on: &depends_on,
        clock_offset_ms: env.clock_offset_ms,
        fingerprint: &pre.fingerprint,
    };
    // A plain order's row goes to the batch, with what it claimed; a fate that waits (never a
    // plain order's) would need its waits written now.
    let final_fate = !matches!(fate, Fate::Deferred { .. });
    let to_batch = plain.as_deref_mut().filter(|_| final_fate);
    write_fate(conn, &target, m, &fate, document_number.as_deref(), received_at, to_batch).await?;
    if let Some(b) = plain.as_deref_mut() {
        b.mutation_recorded(m, document_number.as_deref());
    }
    if !matches!(fate, Fate::Deferred { .. }) {
        let mut settle = vec![Settle::Mutation { id: mutation_id.clone(), rehold: false }];
        if let (Fate::Applied, MutationBody::MutationDiscard(d)) = (&fate, &m.body) {
            settle.push(Settle::Mutation { id: d.target.to_string(), rehold: true });
        }
        // What waited on a plain order is settled from the database: the batch writes out and
        // forgets first. Usually nothing waits, and the batch goes on.
        if let Some(b) = plain {
            if waits.on(conn, settler, &mutation_id).await? {
                b.forget(conn).await?;
                waits.settled_here = true;
                settler.run(conn, settle).await?;
            }
        } else {
            waits.settled_here = true;
            settler.run(conn, settle).await?;
        }
    }
    answer(&fate)
}

