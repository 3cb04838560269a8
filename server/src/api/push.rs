//! `POST /api/v1/sync/push`: apply a device's mutations exactly once, in sequence.
//!
//! The whole push runs in one transaction that first takes the device's lock
//! ([`Db::begin_push`](crate::db::Db::begin_push): SQLite's write lock with `BEGIN IMMEDIATE`,
//! or the device's row with `SELECT … FOR UPDATE` on PostgreSQL), so two pushes from the same
//! device serialize: the second reads `last_seq` after the first committed and sees its
//! mutations as replays. Each applied or rejected mutation writes its `mutations` row, its
//! effects (the order) and the device's new `last_seq` in that same transaction.
//!
//! On PostgreSQL pushes of different devices run in parallel. When two of them race on a
//! cross-device uniqueness (the same order id or mutation id sent by two devices), the one that
//! commits second fails on the UNIQUE constraint, rolls back whole and is run again: it then sees
//! the committed row and rejects that mutation as a duplicate, exactly as SQLite would have.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use rust_decimal::Decimal;
use satchel_core::order::{
    self, CatalogPrice, OrderDocument, OrderError, OrderTotals, CURRENCY_PLACES,
};
use satchel_core::sync::protocol::{
    Mutation, MutationBody, MutationResult, Outcome, PushRequest, PushResponse, MAX_BATCH,
};
use satchel_core::sync::sealing::{self, SealingError};
use satchel_core::sync::sequencing::{self, Step};
use sqlx::AnyConnection;
use uuid::Uuid;

use super::reference::{routes_of, stored_dec};
use super::{outlet_update, sales_order, JsonBody};
use crate::auth::{AuthDevice, PushAuth, Scope};
use crate::db::{placeholders, timestamp};
use crate::errors::AppError;
use crate::AppState;

use satchel_core::sync::protocol::rejection_codes::{DUPLICATE_MUTATION, DUPLICATE_ORDER};

/// Why one mutation is refused for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Rejection {
    pub(super) code: String,
    pub(super) reason: String,
    pub(super) field: Option<String>,
}

impl From<OrderError> for Rejection {
    fn from(e: OrderError) -> Self {
        Rejection {
            code: e.code().into(),
            reason: e.to_string(),
            field: Some(e.field().into()),
        }
    }
}

/// Handles a push; counts it, times it and, when refused whole, its error code.
pub async fn push(
    State(state): State<AppState>,
    auth: Result<PushAuth, AppError>,
    body: Result<JsonBody<PushRequest>, AppError>,
) -> Result<Json<PushResponse>, AppError> {
    state.metrics.push_request();
    let started = std::time::Instant::now();
    let result = async {
        let PushAuth(auth) = auth?;
        let JsonBody(req) = body?;
        let req = unseal(&state, &auth, req).await?;
        apply_push(&state, &auth, req).await
    }
    .await;
    if let Err(e) = &result {
        state.metrics.push_rejected(e.status_and_code().1);
    }
    state.metrics.observe_push(started.elapsed());
    result.map(Json)
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
    let (secret,): (Option<String>,) = sqlx::query_as("SELECT device_secret FROM devices WHERE device_id = $1")
        .bind(auth.device_id.to_string())
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(AppError::UnknownDevice)?;
    let secret = secret
        .as_deref()
        .and_then(|s| sealing::key_from_hex(s).ok())
        .map(zeroize::Zeroizing::new)
        .ok_or(AppError::Unsealable { index: 0, reason: "this device has no sealing secret".into() })?;
    let mut mutations = Vec::with_capacity(req.sealed.len());
    for (index, sealed) in req.sealed.iter().enumerate() {
        let opened = sealing::sealed_key_id(sealed).and_then(|key_id| {
            let key = state.keys.get(key_id).ok_or(SealingError::Malformed)?;
            sealing::open_mutation(key, key_id, auth.device_id, &secret, sealed)
        });
        match opened {
            Ok(m) => mutations.push(m),
            Err(e) => {
                let reason = match e {
                    SealingError::Malformed => "malformed, or sealed to a key this server does not hold",
                    SealingError::Vault(_) => "not sealed by this device for this sequence number",
                    SealingError::NotAMutation | SealingError::Mismatch => "the contents do not match the entry",
                };
                tracing::warn!(device_id = %auth.device_id, seq = sealed.seq, reason, "unsealable entry");
                return Err(AppError::Unsealable { index, reason: reason.into() });
            }
        }
    }
    req.sealed.clear();
    req.mutations = mutations;
    Ok(req)
}

async fn apply_push(
    state: &AppState,
    auth: &AuthDevice,
    req: PushRequest,
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
    let mut attempt = 1;
    let (response, [applied, duplicate, rejected, flagged]) = loop {
        match apply_in_transaction(state, auth, &req).await {
            Err(AppError::Database(e)) if attempt < PUSH_ATTEMPTS && state.db.is_transient(&e) => {
                tracing::info!(device = %auth.device_id, attempt, "push raced another transaction; running it again: {e}");
                state.metrics.push_retry();
                attempt += 1;
            }
            other => break other?,
        }
    };
    state.metrics.mutations(applied, duplicate, rejected);
    state.metrics.flagged(flagged);
    state.metrics.conflicts(outlet_update::conflicts_in(&response.results));
    for r in &response.results {
        if let Outcome::Rejected { code, .. } = &r.outcome {
            state.metrics.mutation_rejected(code);
        }
    }
    tracing::info!(device = %auth.device_id, applied, duplicate, rejected, flagged, last_seq = response.last_seq, leased = response.number_ranges.len(), "push");
    Ok(response)
}

/// How many times a push that raced another transaction is run (PostgreSQL only; see the
/// module's documentation).
const PUSH_ATTEMPTS: u32 = 5;

/// Applies a validated push in one transaction; returns the response and the counts of applied
/// (flagged included), duplicate, rejected and flagged mutations. On any error nothing of it is
/// written.
///
/// After the mutations, still in the transaction, a device whose leased document numbers run
/// low gets a new range ([`crate::sales::top_up`]).
async fn apply_in_transaction(
    state: &AppState,
    auth: &AuthDevice,
    req: &PushRequest,
) -> Result<(PushResponse, [u64; 4]), AppError> {
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

    let routes = routes_of(&mut tx, auth).await?;
    let settings = crate::sales::settings(&mut tx).await?;
    let env = Env { backend: state.db.backend, routes: routes.as_deref(), settings: settings.as_ref() };
    let now = Utc::now();
    let received_at = timestamp(now);
    let mut results = Vec::with_capacity(req.mutations.len());
    let mut new_last = last_seq;
    let (mut applied, mut duplicate, mut rejected, mut flagged) = (0u64, 0u64, 0u64, 0u64);
    for (m, step) in req.mutations.iter().zip(steps) {
        let seq = i64::try_from(m.seq).map_err(|_| AppError::Internal("seq range".into()))?;
        let mut id = m.id;
        let outcome = match step {
            Step::Replay => {
                let (original, stored_id): (String, Option<String>) = sqlx::query_as(
                    "SELECT status, mutation_id FROM mutations WHERE device_id = $1 AND seq = $2",
                )
                .bind(&device)
                .bind(seq)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| AppError::Internal(format!("no record of replayed seq {seq}")))?;
                // Answer with the id recorded for this seq: a device that reused a number for
                // another mutation then sees the mismatch instead of dropping that one unsent.
                if let Some(stored) = stored_id.and_then(|s| Uuid::parse_str(&s).ok()) {
                    if stored != m.id {
                        tracing::warn!(%device, seq, "replay carries another mutation id");
                        id = stored;
                    }
                }
                duplicate += 1;
                // An order the first push flagged is answered `flagged` again, with its reasons:
                // the answer that carried the flag may have been lost, and the device must not
                // show it as plainly synced.
                let flag: Option<(String,)> = if original == "applied" {
                    sqlx::query_as(
                        "SELECT r.reasons FROM review_queue r JOIN orders o ON o.order_id = r.order_id \
                         WHERE o.device_id = $1 AND o.seq = $2",
                    )
                    .bind(&device)
                    .bind(seq)
                    .fetch_optional(&mut *tx)
                    .await?
                } else {
                    None
                };
                match flag {
                    Some((reasons,)) => {
                        let findings: Vec<satchel_core::validation::Finding> = serde_json::from_str(&reasons)
                            .map_err(|e| AppError::Internal(format!("stored review reasons: {e}")))?;
                        Outcome::Flagged {
                            reasons: findings
                                .iter()
                                .map(|f| satchel_core::sync::protocol::FlagReason {
                                    rule: satchel_core::sales::rule_code(f.rule).into(),
                                    message: f.message.clone(),
                                })
                                .collect(),
                        }
                    }
                    None => Outcome::Duplicate { original },
                }
            }
            Step::Apply => {
                let outcome = apply_one(&mut tx, auth, &env, m, seq, &received_at).await?;
                match outcome {
                    Outcome::Applied => applied += 1,
                    Outcome::Flagged { .. } => {
                        applied += 1;
                        flagged += 1;
                    }
                    _ => rejected += 1,
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
    if new_last != last_seq {
        sqlx::query("UPDATE devices SET last_seq = $1 WHERE device_id = $2")
            .bind(i64::try_from(new_last).map_err(|_| AppError::Internal("seq range".into()))?)
            .bind(&device)
            .execute(&mut *tx)
            .await?;
    }
    let number_ranges = match &settings {
        Some(s) => crate::sales::top_up(&mut tx, &device, &s.number_prefix, numbers_left, now).await?.into_iter().collect(),
        None => Vec::new(),
    };
    tx.commit().await?;
    let response = PushResponse {
        number_ranges,
        results,
        last_seq: new_last,
    };
    Ok((response, [applied, duplicate, rejected, flagged]))
}

/// What every mutation of a push is checked with.
struct Env<'a> {
    backend: crate::db::Backend,
    /// The user's routes; `None` for a supervisor (every route).
    routes: Option<&'a [String]>,
    /// The deployment's sales settings, if it has any.
    settings: Option<&'a crate::sales::Settings>,
}

/// What a check accepted.
enum Accepted {
    V1(OrderTotals),
    V2(Box<sales_order::Checked>),
    Outlet(Box<outlet_update::Merged>),
}

/// Validates and records one new mutation; returns its outcome.
async fn apply_one(
    conn: &mut AnyConnection,
    auth: &AuthDevice,
    env: &Env<'_>,
    m: &Mutation,
    seq: i64,
    received_at: &str,
) -> Result<Outcome, AppError> {
    let device = auth.device_id.to_string();
    let mutation_id = m.id.to_string();
    let seen: Option<(String,)> =
        sqlx::query_as("SELECT device_id FROM mutations WHERE mutation_id = $1")
            .bind(&mutation_id)
            .fetch_optional(&mut *conn)
            .await?;
    let mut document_number = None;
    let verdict = if seen.is_some() {
        Err(Rejection {
            code: DUPLICATE_MUTATION.into(),
            reason: format!(
                "mutation {mutation_id} was already recorded under another sequence number"
            ),
            field: Some("id".into()),
        })
    } else {
        match &m.body {
            MutationBody::OrderCreate(doc) => check_order(conn, env.routes, doc).await?.map(Accepted::V1),
            MutationBody::SalesOrderCreate(doc) => {
                let (number, checked) =
                    sales_order::check(conn, env.backend, env.settings, env.routes, auth, doc).await?;
                document_number = number;
                checked.map(|c| Accepted::V2(Box::new(c)))
            }
            MutationBody::OutletUpdate(patch) => outlet_update::check(conn, env.backend, env.routes, auth, patch)
                .await?
                .map(|merged| Accepted::Outlet(Box::new(merged))),
            MutationBody::TaskComplete(_) | MutationBody::MutationDiscard(_) => Err(Rejection {
                code: "unsupported".into(),
                reason: "not implemented yet".into(),
                field: Some("kind".into()),
            }),
        }
    };
    match verdict {
        Ok(accepted) => {
            let outcome = match (&m.body, accepted) {
                (MutationBody::OrderCreate(doc), Accepted::V1(totals)) => {
                    insert_order(conn, auth, m, doc, &totals, seq, received_at).await?;
                    Outcome::Applied
                }
                (MutationBody::SalesOrderCreate(doc), Accepted::V2(checked)) => {
                    match sales_order::apply(conn, auth, m, doc, &checked, seq, received_at).await? {
                        Some(reasons) => Outcome::Flagged { reasons },
                        None => Outcome::Applied,
                    }
                }
                (MutationBody::OutletUpdate(_), Accepted::Outlet(merged)) => {
                    outlet_update::store(conn, auth, m, seq, &merged, received_at).await?
                }
                _ => return Err(AppError::Internal("a verdict for another kind of mutation".into())),
            };
            // A flagged order is applied: a replay answers `duplicate` with `applied`.
            sqlx::query(
                "INSERT INTO mutations (device_id, seq, mutation_id, kind, status, received_at, document_number) \
                 VALUES ($1, $2, $3, $4, 'applied', $5, $6)",
            )
            .bind(&device)
            .bind(seq)
            .bind(&mutation_id)
            .bind(m.body.kind())
            .bind(received_at)
            .bind(&document_number)
            .execute(&mut *conn)
            .await?;
            Ok(outcome)
        }
        Err(rej) => {
            // A reused mutation id cannot be stored twice (UNIQUE); the row keeps NULL instead.
            let stored_id = (rej.code != DUPLICATE_MUTATION).then_some(mutation_id);
            sqlx::query(
                "INSERT INTO mutations (device_id, seq, mutation_id, kind, status, code, reason, field, received_at, document_number) \
                 VALUES ($1, $2, $3, $4, 'rejected', $5, $6, $7, $8, $9)",
            )
            .bind(&device)
            .bind(seq)
            .bind(stored_id)
            .bind(m.body.kind())
            .bind(&rej.code)
            .bind(&rej.reason)
            .bind(&rej.field)
            .bind(received_at)
            .bind(&document_number)
            .execute(&mut *conn)
            .await?;
            Ok(Outcome::Rejected {
                code: rej.code,
                reason: rej.reason,
                field: rej.field,
            })
        }
    }
}

/// Re-validates an order with core, against this server's catalog, outlets and the user's routes.
/// The outer error is a server fault; the inner one a verdict on the order.
async fn check_order(
    conn: &mut AnyConnection,
    routes: Option<&[String]>,
    doc: &OrderDocument,
) -> Result<Result<OrderTotals, Rejection>, AppError> {
    let totals = match order::verify_document(doc) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e.into())),
    };
    let outlet: Option<(String, String)> =
        sqlx::query_as("SELECT route, tax_rate FROM outlets WHERE id = $1")
            .bind(&doc.order.outlet_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((_, rate)) = outlet.filter(|(route, _)| routes.is_none_or(|rs| rs.contains(route)))
    else {
        return Ok(Err(OrderError::UnknownOutlet {
            field: "outlet_id".into(),
        }
        .into()));
    };
    let rate = stored_dec(&rate, "tax_rate")?;
    if rate.value() != doc.order.tax_rate.value() {
        return Ok(Err(OrderError::RateMismatch {
            field: "tax_rate".into(),
            expected: rate,
            got: doc.order.tax_rate,
        }
        .into()));
    }
    let prices = catalog_prices(conn, doc).await?;
    if let Err(e) = order::check_catalog(&doc.order, |sku| {
        prices
            .get(sku)
            .map(|&unit_price| CatalogPrice { unit_price })
    }) {
        return Ok(Err(e.into()));
    }
    let exists: Option<(String,)> =
        sqlx::query_as("SELECT order_id FROM orders WHERE order_id = $1")
            .bind(doc.order_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    if exists.is_some() {
        return Ok(Err(Rejection {
            code: DUPLICATE_ORDER.into(),
            reason: format!("order {} was already received", doc.order_id),
            field: Some("order_id".into()),
        }));
    }
    Ok(Ok(totals))
}

/// The catalog prices of the SKUs an order mentions.
async fn catalog_prices(
    conn: &mut AnyConnection,
    doc: &OrderDocument,
) -> Result<HashMap<String, Decimal>, AppError> {
    let mut skus: Vec<&str> = doc.order.lines.iter().map(|l| l.sku.as_str()).collect();
    skus.sort_unstable();
    skus.dedup();
    if skus.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT sku, unit_price FROM products WHERE sku IN ({})",
        placeholders(1, skus.len())
    );
    let mut q = sqlx::query_as(&sql);
    for sku in &skus {
        q = q.bind(*sku);
    }
    let rows: Vec<(String, String)> = q.fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|(sku, price)| Ok((sku, stored_dec(&price, "unit_price")?.value())))
        .collect()
}

fn money(d: satchel_core::money::Dec) -> String {
    let mut v = d.value();
    v.rescale(CURRENCY_PLACES);
    v.to_string()
}

async fn insert_order(
    conn: &mut AnyConnection,
    auth: &AuthDevice,
    m: &Mutation,
    doc: &OrderDocument,
    totals: &OrderTotals,
    seq: i64,
    received_at: &str,
) -> Result<(), AppError> {
    let document = serde_json::to_string(doc)
        .map_err(|e| AppError::Internal(format!("serialize order: {e}")))?;
    let line_count = i64::try_from(doc.order.lines.len())
        .map_err(|_| AppError::Internal("line count".into()))?;
    sqlx::query(
        "INSERT INTO orders (order_id, device_id, seq, mutation_id, username, outlet_id, committed_at, \
         subtotal, tax, total, line_count, document, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(doc.order_id.to_string())
    .bind(auth.device_id.to_string())
    .bind(seq)
    .bind(m.id.to_string())
    .bind(&auth.username)
    .bind(&doc.order.outlet_id)
    .bind(timestamp(doc.committed_at))
    .bind(money(totals.subtotal))
    .bind(money(totals.tax))
    .bind(money(totals.total))
    .bind(line_count)
    .bind(document)
    .bind(received_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
