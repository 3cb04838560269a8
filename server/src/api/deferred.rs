//! Mutation dependencies on the server: held and deferred mutations, `mutation.discard`, and
//! settling what waited once the thing it waited for is settled.
//!
//! The rule itself is core's ([`deps::decide`]); this module maps each parent's row in
//! `mutations` to a [`ParentState`] and writes what the decision says:
//!
//! - **Ready**: checked and applied (or rejected) like any mutation.
//! - **Hold**: recorded `held`, with the parent that holds it, the parent's code and reason, and
//!   the mutation itself in `body` (so it can be discarded, and kept on record).
//! - **Wait**: recorded `deferred`, with the mutation in `body` and one `mutation_waits` row per
//!   thing it waits for (`mutation:<id>`, `blob:<sha256>`).
//!
//! Whenever a mutation reaches a final state (applied, rejected, held, discarded) or a blob is
//! uploaded whole, [`Settler::run`] takes every mutation waiting on it, decides again, and applies
//! those now ready exactly as a fresh one, as the device's own user, updating their rows. Each one
//! whose outcome changed gets a `mutation_result` row in the feed for its device. It runs in the
//! caller's transaction (a push, a blob upload), recursively: what it settles is settled in turn.
//!
//! Concurrency (PostgreSQL; SQLite's single writer serializes everything): a transaction takes a
//! transaction-scoped advisory lock on a key (`mutation:<id>`, `blob:<sha256>`) before it reads
//! that thing's state to decide a waiter, and before it changes that state. So a mutation deferred
//! on a parent another push is applying at the same moment either sees the parent applied, or
//! its wait is committed before the other push looks for waiters. Locks taken in another order by
//! two transactions make PostgreSQL abort one with a deadlock, which the push and the blob upload
//! run again.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::Utc;
use satchel_core::sync::deps::{self, Decision, ParentState};
use satchel_core::sync::protocol::rejection_codes::{BAD_DEPENDENCY, NOT_HELD};
use satchel_core::sync::protocol::{Discard, Entity, Mutation, MutationBody, Outcome};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use uuid::Uuid;

use satchel_core::sync::lifecycle::Fate;

use super::push::{applied, check_and_apply, write_fate, Env, Rejection, Target, Verdict};
use super::reference::routes_of;
use super::task_complete;
use crate::auth::{AuthDevice, Role, Scope};
use crate::db::{timestamp, Backend};
use crate::errors::AppError;
use crate::feed;
use crate::sales::Settings;

/// Most parents one mutation may name.
pub const MAX_DEPENDENCIES: usize = 16;

/// How many deferred mutations the cycle check looks through before giving up (and deferring).
const CYCLE_SEARCH_LIMIT: usize = 1000;

/// The `mutation_waits` key of a mutation.
pub(crate) fn mutation_key(id: &impl std::fmt::Display) -> String {
    format!("mutation:{id}")
}

/// The `mutation_waits` key of a blob.
pub(crate) fn blob_key(sha256: &str) -> String {
    format!("blob:{sha256}")
}

/// Takes a transaction-scoped lock on `key` (PostgreSQL advisory lock; nothing on SQLite, whose
/// writer holds the whole database). See the module's documentation.
pub(crate) async fn lock_key(conn: &mut AnyConnection, backend: Backend, key: &str) -> Result<(), AppError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(lock_id(key)).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Most keys [`lock_keys`] and [`waited_keys`] put in one statement.
const KEYS_PER_STATEMENT: usize = 500;

/// [`lock_key`] for many keys, a few statements instead of a round trip each: a push locks the
/// keys of all the mutations it applies before it applies the first (a lock taken earlier than
/// needed is only held longer). In ascending order of lock id, so two transactions locking
/// overlapping sets take them in one order.
pub(crate) async fn lock_keys(conn: &mut AnyConnection, backend: Backend, keys: &[String]) -> Result<(), AppError> {
    if backend != Backend::Postgres {
        return Ok(());
    }
    let mut ids: Vec<i64> = keys.iter().map(|k| lock_id(k)).collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(KEYS_PER_STATEMENT) {
        // VALUES rows are scanned, and their locks taken, in the order written.
        let rows = (1..=chunk.len()).map(|i| format!("(${i}::bigint)")).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT pg_advisory_xact_lock(k) FROM (VALUES {rows}) AS t(k)");
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The advisory lock id of a `mutation_waits` key.
fn lock_id(key: &str) -> i64 {
    let digest = Sha256::digest(format!("satchel-wait:{key}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Of `keys`, those something waits on (rows in `mutation_waits`), read in one statement.
pub(crate) async fn waited_keys(conn: &mut AnyConnection, keys: &[String]) -> Result<HashSet<String>, AppError> {
    let mut out = HashSet::new();
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let sql = format!(
            "SELECT DISTINCT waits_on FROM mutation_waits WHERE waits_on IN ({})",
            crate::db::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String,)>(&sql);
        for k in chunk {
            q = q.bind(k.as_str());
        }
        out.extend(q.fetch_all(&mut *conn).await?.into_iter().map(|(k,)| k));
    }
    Ok(out)
}

fn bad(field: String, reason: String) -> Rejection {
    Rejection { code: BAD_DEPENDENCY.into(), reason, field: Some(field) }
}

/// Checks `depends_on` on its own: at most [`MAX_DEPENDENCIES`], no parent twice, not the
/// mutation itself, not a later mutation of the same push.
pub(super) fn check_shape(m: &Mutation, batch: &[Mutation]) -> Result<(), Rejection> {
    if m.depends_on.len() > MAX_DEPENDENCIES {
        return Err(bad(
            "depends_on".into(),
            format!("depends_on: at most {MAX_DEPENDENCIES} parents, this mutation names {}", m.depends_on.len()),
        ));
    }
    let mut seen = HashSet::new();
    for (i, p) in m.depends_on.iter().enumerate() {
        let field = format!("depends_on[{i}]");
        if *p == m.id {
            return Err(bad(field.clone(), format!("{field}: a mutation cannot depend on itself")));
        }
        if !seen.insert(*p) {
            return Err(bad(field.clone(), format!("{field}: {p} is named twice")));
        }
        if let Some(later) = batch.iter().find(|b| b.id == *p && b.seq >= m.seq) {
            return Err(bad(
                field.clone(),
                format!(
                    "{field}: {p} is this device's mutation {}, which does not come before this one ({}); a mutation may only depend on earlier ones",
                    later.seq, m.seq
                ),
            ));
        }
    }
    Ok(())
}

/// The states of a mutation's parents, in its order; a rejection when one of them is a later
/// mutation of the same device (found once that one arrives).
async fn parent_states(
    conn: &mut AnyConnection,
    device: &str,
    seq: i64,
    m: &Mutation,
) -> Result<Result<Vec<(Uuid, ParentState)>, Rejection>, AppError> {
    let mut out = Vec::with_capacity(m.depends_on.len());
    for (i, parent) in m.depends_on.iter().enumerate() {
        type ParentRow = (String, i64, String, Option<String>, Option<String>);
        let row: Option<ParentRow> = sqlx::query_as(
            "SELECT device_id, seq, status, code, reason FROM mutations WHERE mutation_id = $1",
        )
        .bind(parent.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        let state = match row {
            None => ParentState::Unknown,
            Some((parent_device, parent_seq, _, _, _)) if parent_device == device && parent_seq >= seq => {
                let field = format!("depends_on[{i}]");
                return Ok(Err(bad(
                    field.clone(),
                    format!(
                        "{field}: {parent} is this device's mutation {parent_seq}, which does not come before this one ({seq}); a mutation may only depend on earlier ones"
                    ),
                )));
            }
            Some((_, _, status, code, reason)) => match status.as_str() {
                "applied" => ParentState::Applied,
                "rejected" => ParentState::Rejected { code: code.unwrap_or_default(), reason: reason.unwrap_or_default() },
                "held" => ParentState::Held { reason: reason.unwrap_or_default() },
                "discarded" => ParentState::Discarded,
                "deferred" => ParentState::Deferred,
                other => return Err(AppError::Internal(format!("stored mutation status {other:?}"))),
            },
        };
        out.push((*parent, state));
    }
    Ok(Ok(out))
}

/// Whether deferring `child` on `parents` would close a circle: one of them (or what it waits
/// for, transitively) waits for `child` itself.
async fn closes_cycle(conn: &mut AnyConnection, child: &Uuid, parents: &[Uuid]) -> Result<bool, AppError> {
    let target = mutation_key(child);
    let mut seen = HashSet::new();
    let mut queue: VecDeque<String> = parents.iter().map(Uuid::to_string).collect();
    while let Some(id) = queue.pop_front() {
        if seen.len() >= CYCLE_SEARCH_LIMIT {
            break;
        }
        if !seen.insert(id.clone()) {
            continue;
        }
        let waits: Vec<(String,)> = sqlx::query_as("SELECT waits_on FROM mutation_waits WHERE mutation_id = $1")
            .bind(&id)
            .fetch_all(&mut *conn)
            .await?;
        for (w,) in waits {
            if w == target {
                return Ok(true);
            }
            if let Some(next) = w.strip_prefix("mutation:") {
                queue.push_back(next.to_string());
            }
        }
    }
    Ok(false)
}

/// What to do with a new mutation, from its dependencies.
pub(super) enum Plan {
    /// No parent, or every parent applied: check and apply it.
    Ready,
    /// `depends_on` is not acceptable: reject it `bad_dependency`.
    Bad(Rejection),
    /// Hold it.
    Hold {
        /// The parent that holds it.
        parent: Uuid,
        /// The parent's code.
        code: String,
        /// Why.
        reason: String,
    },
    /// Defer it until these parents settle.
    Wait(Vec<Uuid>),
}

/// Decides a new mutation's fate from its dependencies (`batch`: the push it came in).
pub(super) async fn plan(
    conn: &mut AnyConnection,
    backend: Backend,
    device: &str,
    seq: i64,
    m: &Mutation,
    batch: &[Mutation],
) -> Result<Plan, AppError> {
    if m.depends_on.is_empty() {
        return Ok(Plan::Ready);
    }
    if let Err(rej) = check_shape(m, batch) {
        return Ok(Plan::Bad(rej));
    }
    decide(conn, backend, device, seq, m).await
}

/// Locks the parents' keys, reads their states and applies core's rule.
async fn decide(conn: &mut AnyConnection, backend: Backend, device: &str, seq: i64, m: &Mutation) -> Result<Plan, AppError> {
    let mut keys: Vec<String> = m.depends_on.iter().map(mutation_key).collect();
    keys.sort();
    for key in &keys {
        lock_key(conn, backend, key).await?;
    }
    let states = match parent_states(conn, device, seq, m).await? {
        Ok(s) => s,
        Err(rej) => return Ok(Plan::Bad(rej)),
    };
    Ok(match deps::decide(&states) {
        Decision::Ready => Plan::Ready,
        Decision::Hold { parent, code, reason } => Plan::Hold { parent, code, reason },
        Decision::Wait { parents } => {
            if closes_cycle(conn, &m.id, &parents).await? {
                Plan::Bad(bad(
                    "depends_on".into(),
                    "depends_on: the mutations it depends on wait, directly or not, for this one: a circle that can never be applied".into(),
                ))
            } else {
                Plan::Wait(parents)
            }
        }
    })
}

/// The `blob:<sha256>` keys of the blobs a mutation names that the server does not hold whole:
/// the photos (and a stop's signature) of a `task.complete`, the crew's signature of a
/// `day.end` (only well-formed references; a malformed one is rejected when the mutation is
/// checked).
pub(super) async fn missing_blob_keys(conn: &mut AnyConnection, m: &Mutation) -> Result<Vec<String>, AppError> {
    let refs = match &m.body {
        MutationBody::TaskComplete(c) => {
            let refs = task_complete::blob_refs(c);
            if task_complete::check_photos(c).is_err() || task_complete::check_blob_refs(&refs).is_err() {
                return Ok(Vec::new());
            }
            refs.into_iter().map(|(_, b)| b).collect::<Vec<_>>()
        }
        MutationBody::DayEnd(e) => match &e.signature {
            Some(s) if satchel_core::sync::blobs::check(s).is_ok() => vec![s],
            _ => return Ok(Vec::new()),
        },
        _ => return Ok(Vec::new()),
    };
    let mut keys: Vec<String> = Vec::new();
    for p in refs {
        let row: Option<(i64,)> = sqlx::query_as("SELECT complete FROM blobs WHERE sha256 = $1")
            .bind(&p.sha256)
            .fetch_optional(&mut *conn)
            .await?;
        let key = blob_key(&p.sha256);
        if !matches!(row, Some((1,))) && !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// `mutation.discard`: the target must be one of this device's held mutations (else
/// `not_held`). It becomes `discarded`, with who discarded it, when and why; its device learns
/// that through the pull. The caller then settles the target's held children.
pub(super) async fn discard(
    conn: &mut AnyConnection,
    backend: Backend,
    auth: &AuthDevice,
    d: &Discard,
    at: &str,
) -> Result<Verdict, AppError> {
    let target = d.target.to_string();
    lock_key(conn, backend, &mutation_key(&target)).await?;
    feed::lock(conn, backend).await?;
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row: Option<(String, String, Option<String>)> =
        sqlx::query_as(&format!("SELECT device_id, status, reason FROM mutations WHERE mutation_id = $1{lock}"))
            .bind(&target)
            .fetch_optional(&mut *conn)
            .await?;
    let device = auth.device_id.to_string();
    let not_held = |reason: String| {
        Ok(Verdict::Rejected(Rejection { code: NOT_HELD.into(), reason, field: Some("target".into()) }))
    };
    let held_reason = match row {
        None => return not_held(format!("target: mutation {target} was never received by the server")),
        Some((owner, _, _)) if owner != device => {
            return not_held(format!("target: mutation {target} is not one of this device's mutations"))
        }
        Some((_, status, _)) if status != "held" => {
            return not_held(format!("target: mutation {target} is not held (it is {status}); only a held mutation can be discarded"))
        }
        Some((_, _, reason)) => reason.unwrap_or_default(),
    };
    let why: String = d.reason.trim().chars().take(1000).collect();
    let why = if why.is_empty() { "no reason given".to_string() } else { why };
    let reason = format!("discarded by {} at {at} ({why}); it was held: {held_reason}", auth.username);
    sqlx::query("UPDATE mutations SET status = 'discarded', reason = $1, settled_at = $2 WHERE mutation_id = $3")
        .bind(&reason)
        .bind(at)
        .bind(&target)
        .execute(&mut *conn)
        .await?;
    feed::record(conn, Entity::MutationResult, &target, feed::Scope::Device(&device), false).await?;
    tracing::info!(device = %device, target = %target, by = %auth.username, "held mutation discarded");
    Ok(Verdict::Applied(Outcome::Applied))
}

/// What to settle: the waiters of a mutation (and, when `rehold`, the mutations it holds, whose
/// reason follows its own), or of a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Settle {
    /// A mutation reached a final state (or a held one's reason changed).
    Mutation {
        /// Its id.
        id: String,
        /// Decide its held children again too (it was discarded, or held anew).
        rehold: bool,
    },
    /// A blob was uploaded whole.
    Blob(String),
}

/// How many deferred or held mutations a settling run changed, by their new state.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SettledCounts {
    /// Applied (flagged included).
    pub applied: u64,
    /// Rejected.
    pub rejected: u64,
    /// Held (or held for another reason).
    pub held: u64,
}

/// Settles mutations that wait, in one transaction (see the module's documentation).
pub(crate) struct Settler<'a> {
    backend: Backend,
    settings: Option<&'a Settings>,
    /// The devices whose mutations were settled: their user and routes.
    actors: HashMap<String, (AuthDevice, Option<Vec<String>>)>,
    /// What was changed so far.
    pub(crate) counts: SettledCounts,
}

/// Upper bound of the mutations one run decides again (a guard against a runaway loop).
const MAX_SETTLE_STEPS: usize = 100_000;

impl<'a> Settler<'a> {
    /// A settler for one transaction.
    pub(crate) fn new(backend: Backend, settings: Option<&'a Settings>) -> Self {
        Settler { backend, settings, actors: HashMap::new(), counts: SettledCounts::default() }
    }

    /// Whether anything waits on the mutation `mutation_id` (what [`Settler::run`] would settle
    /// first). A plain order's `rehold` is never set, so its waiters are all there is.
    pub(crate) async fn waits_on(&self, conn: &mut AnyConnection, mutation_id: &str) -> Result<bool, AppError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT waits_on FROM mutation_waits WHERE waits_on = $1 LIMIT 1")
            .bind(mutation_key(&mutation_id))
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.is_some())
    }

    /// Settles everything waiting on `start`, then on what that settles, and so on.
    pub(crate) async fn run(&mut self, conn: &mut AnyConnection, start: Vec<Settle>) -> Result<(), AppError> {
        let mut queue: VecDeque<Settle> = start.into();
        let mut steps = 0usize;
        let mut feed_locked = false;
        while let Some(item) = queue.pop_front() {
            let (key, rehold) = match &item {
                Settle::Mutation { id, rehold } => (mutation_key(id), rehold.then_some(id.as_str())),
                Settle::Blob(sha) => (blob_key(sha), None),
            };
            let waiters: Vec<(String,)> = sqlx::query_as(
                "SELECT w.mutation_id FROM mutation_waits w JOIN mutations m ON m.mutation_id = w.mutation_id \
                 WHERE w.waits_on = $1 ORDER BY m.device_id, m.seq",
            )
            .bind(&key)
            .fetch_all(&mut *conn)
            .await?;
            let mut children: Vec<String> = waiters.into_iter().map(|(id,)| id).collect();
            if !children.is_empty() {
                sqlx::query("DELETE FROM mutation_waits WHERE waits_on = $1").bind(&key).execute(&mut *conn).await?;
            }
            if let Some(parent) = rehold {
                let held: Vec<(String,)> = sqlx::query_as(
                    "SELECT mutation_id FROM mutations WHERE parent = $1 AND status = 'held' ORDER BY device_id, seq",
                )
                .bind(parent)
                .fetch_all(&mut *conn)
                .await?;
                for (id,) in held {
                    if !children.contains(&id) {
                        children.push(id);
                    }
                }
            }
            if children.is_empty() {
                continue;
            }
            if !feed_locked {
                // The feed's lock before the rows a settled mutation changes (see `feed::lock`).
                feed::lock(conn, self.backend).await?;
                feed_locked = true;
            }
            for child in children {
                steps += 1;
                if steps > MAX_SETTLE_STEPS {
                    return Err(AppError::Internal("settling deferred mutations did not end".into()));
                }
                if let Some(next) = self.redecide(conn, &child).await? {
                    queue.extend(next);
                }
            }
        }
        Ok(())
    }

    /// The user (and routes) a device's stored mutations are checked as.
    async fn actor(&mut self, conn: &mut AnyConnection, device: &str) -> Result<(AuthDevice, Option<Vec<String>>), AppError> {
        if let Some(a) = self.actors.get(device) {
            return Ok(a.clone());
        }
        let (username, role): (String, String) = sqlx::query_as(
            "SELECT d.username, u.role FROM devices d JOIN users u ON u.username = d.username WHERE d.device_id = $1",
        )
        .bind(device)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::Internal(format!("a stored mutation of unknown device {device}")))?;
        let auth = AuthDevice {
            device_id: Uuid::parse_str(device).map_err(|e| AppError::Internal(format!("stored device id: {e}")))?,
            username,
            role: Role::from_db(&role),
            scope: Scope::Full,
        };
        let routes = routes_of(conn, &auth).await?;
        self.actors.insert(device.to_string(), (auth.clone(), routes.clone()));
        Ok((auth, routes))
    }

    /// Decides a deferred or held mutation again; writes what changed. Returns what to settle
    /// next when it reached a new final state.
    async fn redecide(&mut self, conn: &mut AnyConnection, id: &str) -> Result<Option<Vec<Settle>>, AppError> {
        lock_key(conn, self.backend, &mutation_key(&id)).await?;
        let lock = if self.backend == Backend::Postgres { " FOR UPDATE" } else { "" };
        type Row = (String, i64, String, Option<String>, Option<String>, Option<String>, Option<String>, Option<i64>);
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT device_id, seq, status, code, reason, parent, body, clock_offset_ms FROM mutations WHERE mutation_id = $1{lock}"
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((device, seq, status, code, reason, parent, body, clock_offset_ms)) = row else { return Ok(None) };
        let held = match status.as_str() {
            "deferred" => false,
            "held" => true,
            _ => return Ok(None), // settled meanwhile
        };
        let Some(body) = body else {
            return Err(AppError::Internal(format!("{status} mutation {id} has no stored body")));
        };
        let m: Mutation =
            serde_json::from_str(&body).map_err(|e| AppError::Internal(format!("stored mutation {id}: {e}")))?;
        let now_at = Utc::now();
        let now = timestamp(now_at);
        let target = Target::Stored { device: &device, seq, mutation_id: id };
        let plan = decide(conn, self.backend, &device, seq, &m).await?;
        let (fate, document_number) = match plan {
            Plan::Bad(rej) if !held => (rej.into(), None),
            Plan::Bad(_) => return Ok(None),
            Plan::Hold { parent: p, code: c, reason: r } => {
                let same = held
                    && parent.as_deref() == Some(p.to_string().as_str())
                    && code.as_deref() == Some(c.as_str())
                    && reason.as_deref() == Some(r.as_str());
                if same {
                    return Ok(None);
                }
                (Fate::Held { parent: p, code: c, reason: r }, None)
            }
            Plan::Wait(_) | Plan::Ready if held => return Ok(None), // a refusal is never undone
            Plan::Wait(parents) => {
                let mut waits: Vec<String> = parents.iter().map(mutation_key).collect();
                waits.extend(missing_blob_keys(conn, &m).await?);
                write_fate(conn, &target, &m, &Fate::deferred(waits), None, &now, None).await?;
                return Ok(None);
            }
            Plan::Ready => {
                let (auth, routes) = self.actor(conn, &device).await?;
                // Measured now, with the clock offset of the push that brought it.
                let env = Env { backend: self.backend, routes: routes.as_deref(), settings: self.settings, now: now_at, clock_offset_ms };
                let (verdict, number) = check_and_apply(conn, &auth, &env, &m, seq, &now, None).await?;
                match verdict {
                    Verdict::WaitBlobs(keys) => {
                        write_fate(conn, &target, &m, &Fate::deferred(keys), None, &now, None).await?;
                        return Ok(None);
                    }
                    Verdict::Applied(outcome) => (applied(&outcome), number),
                    Verdict::Rejected(rej) => (rej.into(), number),
                }
            }
        };
        write_fate(conn, &target, &m, &fate, document_number.as_deref(), &now, None).await?;
        feed::record(conn, Entity::MutationResult, id, feed::Scope::Device(&device), false).await?;
        match &fate {
            Fate::Applied | Fate::Flagged { .. } => self.counts.applied += 1,
            Fate::Rejected { .. } => self.counts.rejected += 1,
            Fate::Held { .. } => self.counts.held += 1,
            Fate::Pending | Fate::Deferred { .. } | Fate::Discarded { .. } => {}
        }
        tracing::info!(mutation = %id, device = %device, seq, from = %status, to = fate.stored_status(), "deferred mutation settled");
        let mut next = vec![Settle::Mutation { id: id.to_string(), rehold: matches!(fate, Fate::Held { .. }) }];
        if let (Fate::Applied, MutationBody::MutationDiscard(d)) = (&fate, &m.body) {
            next.push(Settle::Mutation { id: d.target.to_string(), rehold: true });
        }
        Ok(Some(next))
    }
}
