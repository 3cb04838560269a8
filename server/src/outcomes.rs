//! The outcome the server recorded for a mutation, as the device is told it: on a replay of a
//! push and through the pull (entity `mutation_result`). The states and their wording are core's
//! one mutation lifecycle ([`Fate`]); this module reads them back from the database.
//!
//! Read from the mutation's row in `mutations` (and, for an applied order the server flagged,
//! its review-queue row; for a shift close the server flagged, its shift's report differences;
//! for a day end the server flagged, its day's settlement differences; for a deferred one, its
//! rows in `mutation_waits`):
//!
//! | status      | [`stored_outcome`]                         | a replay of the push          |
//! |-------------|--------------------------------------------|-------------------------------|
//! | `applied`   | `applied`, or `flagged` with the reasons   | `duplicate` (`applied`), or `flagged` |
//! | `rejected`  | `rejected` with code, reason and field     | `duplicate` (`rejected`)      |
//! | `held`      | `held` with parent, code and reason        | the same `held`               |
//! | `deferred`  | `deferred` with what it waits for          | the same `deferred`           |
//! | `discarded` | `rejected`, code `discarded`               | `duplicate` (`discarded`)     |

use satchel_core::sync::lifecycle::Fate;
use satchel_core::sync::protocol::{FlagReason, MutationResult};
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::errors::AppError;

pub use satchel_core::sync::lifecycle::{deferred_reason, DISCARDED};

/// The columns every lookup reads.
const COLUMNS: &str = "device_id, seq, mutation_id, status, code, reason, field, parent";

type Row = (String, i64, Option<String>, String, Option<String>, Option<String>, Option<String>, Option<String>);

/// [`Row`] and `payload_hash`.
type HashedRow = (String, i64, Option<String>, String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);

/// The recorded outcome of the mutation `mutation_id`, or `None` when it was never received.
pub async fn stored_outcome(
    conn: &mut AnyConnection,
    mutation_id: &str,
) -> Result<Option<MutationResult>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM mutations WHERE mutation_id = $1"))
        .bind(mutation_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let (seq, id) = (row.1, row.2.clone());
    let recorded = recorded(conn, row).await?;
    Ok(Some(MutationResult {
        seq: u64::try_from(seq).map_err(|_| AppError::Internal("stored seq".into()))?,
        id: parse_id(id.as_deref().unwrap_or(mutation_id))?,
        outcome: recorded.outcome().ok_or_else(|| AppError::Internal("a recorded mutation is never pending".into()))?,
    }))
}

/// What a device's mutation `seq` came to, with the id recorded for it (`None` for a mutation
/// rejected because its id was already taken) and its fingerprint (`None` for rows recorded
/// before fingerprints were kept), or `None` when there is no such row.
pub async fn recorded_at(
    conn: &mut AnyConnection,
    device_id: &str,
    seq: i64,
) -> Result<Option<(Option<Uuid>, Fate, Option<String>)>, AppError> {
    let row: Option<HashedRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS}, payload_hash FROM mutations WHERE device_id = $1 AND seq = $2"))
            .bind(device_id)
            .bind(seq)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((device, seq, mutation_id, status, code, reason, field, parent, hash)) = row else { return Ok(None) };
    let id = mutation_id.as_deref().and_then(|s| Uuid::parse_str(s).ok());
    let fate = recorded(conn, (device, seq, mutation_id, status, code, reason, field, parent)).await?;
    Ok(Some((id, fate, hash)))
}

fn parse_id(s: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(s).map_err(|e| AppError::Internal(format!("stored mutation id {s:?}: {e}")))
}

async fn recorded(conn: &mut AnyConnection, row: Row) -> Result<Fate, AppError> {
    let (device_id, seq, mutation_id, status, code, reason, field, parent) = row;
    let reason = reason.unwrap_or_default();
    Ok(match status.as_str() {
        "applied" => match flag_reasons(conn, &device_id, seq).await? {
            Some(reasons) => Fate::Flagged { reasons },
            None => {
                let id = mutation_id.as_deref().unwrap_or_default();
                match crate::api::counter::close_flag_reasons(conn, id).await? {
                    Some(reasons) => Fate::Flagged { reasons },
                    None => match crate::api::delivery::end_flag_reasons(conn, id).await? {
                        Some(reasons) => Fate::Flagged { reasons },
                        None => Fate::Applied,
                    },
                }
            }
        },
        "rejected" => Fate::Rejected { code: code.unwrap_or_default(), reason, field },
        "held" => Fate::Held {
            parent: parse_id(parent.as_deref().unwrap_or_default())?,
            code: code.unwrap_or_default(),
            reason,
        },
        "deferred" => {
            let rows: Vec<(String,)> =
                sqlx::query_as("SELECT waits_on FROM mutation_waits WHERE mutation_id = $1")
                    .bind(mutation_id.as_deref().unwrap_or_default())
                    .fetch_all(&mut *conn)
                    .await?;
            // Sorted here, not by the database: PostgreSQL's collation may order text otherwise.
            let mut waiting_for: Vec<String> = rows.into_iter().map(|(w,)| w).collect();
            waiting_for.sort();
            Fate::Deferred { reason: deferred_reason(&waiting_for), waiting_for }
        }
        "discarded" => Fate::Discarded { reason },
        other => return Err(AppError::Internal(format!("stored mutation status {other:?}"))),
    })
}

/// The reasons of an applied order the server flagged (its review-queue row), or `None`.
async fn flag_reasons(conn: &mut AnyConnection, device_id: &str, seq: i64) -> Result<Option<Vec<FlagReason>>, AppError> {
    let flag: Option<(String,)> = sqlx::query_as(
        "SELECT r.reasons FROM review_queue r JOIN orders o ON o.order_id = r.order_id \
         WHERE o.device_id = $1 AND o.seq = $2",
    )
    .bind(device_id)
    .bind(seq)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((reasons,)) = flag else { return Ok(None) };
    let findings: Vec<satchel_core::validation::Finding> =
        serde_json::from_str(&reasons).map_err(|e| AppError::Internal(format!("stored review reasons: {e}")))?;
    Ok(Some(
        findings
            .iter()
            .map(|f| FlagReason { rule: satchel_core::sales::rule_code(f.rule).into(), message: f.message.clone() })
            .collect(),
    ))
}
