//! The outcome the server recorded for a mutation, as the device is told it: on a replay of a
//! push and through the pull (entity `mutation_result`).
//!
//! Read from the mutation's row in `mutations` (and, for an applied order the server flagged,
//! its review-queue row; for a deferred one, its rows in `mutation_waits`):
//!
//! | status      | [`stored_outcome`]                         | a replay of the push          |
//! |-------------|--------------------------------------------|-------------------------------|
//! | `applied`   | `applied`, or `flagged` with the reasons   | `duplicate` (`applied`), or `flagged` |
//! | `rejected`  | `rejected` with code, reason and field     | `duplicate` (`rejected`)      |
//! | `held`      | `held` with parent, code and reason        | the same `held`               |
//! | `deferred`  | `deferred` with what it waits for          | the same `deferred`           |
//! | `discarded` | `rejected`, code `discarded`               | `duplicate` (`discarded`)     |

use satchel_core::sync::protocol::{FlagReason, MutationResult, Outcome};
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::errors::AppError;

/// The rejection code [`stored_outcome`] gives a held mutation the user discarded.
pub const DISCARDED: &str = "discarded";

/// The columns every lookup reads.
const COLUMNS: &str = "device_id, seq, mutation_id, status, code, reason, field, parent";

type Row = (String, i64, Option<String>, String, Option<String>, Option<String>, Option<String>, Option<String>);

/// A mutation's recorded fate, before it is worded for a push answer or for the pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Applied (not flagged).
    Applied,
    /// Applied and flagged for review.
    Flagged(Vec<FlagReason>),
    /// Refused for good.
    Rejected {
        /// The rejection code.
        code: String,
        /// The reason.
        reason: String,
        /// The field concerned.
        field: Option<String>,
    },
    /// Held by a refused parent.
    Held {
        /// The parent.
        parent: Uuid,
        /// The parent's code (`held`, `discarded` when not refused itself).
        code: String,
        /// Why.
        reason: String,
    },
    /// Waiting for parents or blobs.
    Deferred {
        /// `mutation:<id>` and `blob:<sha256>`, sorted.
        waiting_for: Vec<String>,
        /// A sentence for the user.
        reason: String,
    },
    /// Held, then discarded by the user.
    Discarded {
        /// Who discarded it, when and why (and why it was held).
        reason: String,
    },
}

impl Recorded {
    /// As the pull tells it (`mutation_result`): the outcome itself.
    pub fn outcome(self) -> Outcome {
        match self {
            Recorded::Applied => Outcome::Applied,
            Recorded::Flagged(reasons) => Outcome::Flagged { reasons },
            Recorded::Rejected { code, reason, field } => Outcome::Rejected { code, reason, field },
            Recorded::Held { parent, code, reason } => Outcome::Held { parent, code, reason },
            Recorded::Deferred { waiting_for, reason } => Outcome::Deferred { waiting_for, reason },
            Recorded::Discarded { reason } => Outcome::Rejected { code: DISCARDED.into(), reason, field: None },
        }
    }

    /// As a replay of the push is answered: `duplicate` for a settled one (with `applied`,
    /// `rejected` or `discarded`), the same answer as before for a flagged, held or deferred one.
    pub fn replay(self) -> Outcome {
        let duplicate = |original: &str| Outcome::Duplicate { original: original.into() };
        match self {
            Recorded::Applied => duplicate("applied"),
            Recorded::Rejected { .. } => duplicate("rejected"),
            Recorded::Discarded { .. } => duplicate(DISCARDED),
            other => other.outcome(),
        }
    }
}

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
        outcome: recorded.outcome(),
    }))
}

/// What a device's mutation `seq` came to, with the id recorded for it (`None` for a mutation
/// rejected because its id was already taken), or `None` when there is no such row.
pub async fn recorded_at(
    conn: &mut AnyConnection,
    device_id: &str,
    seq: i64,
) -> Result<Option<(Option<Uuid>, Recorded)>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM mutations WHERE device_id = $1 AND seq = $2"))
        .bind(device_id)
        .bind(seq)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let id = row.2.as_deref().and_then(|s| Uuid::parse_str(s).ok());
    Ok(Some((id, recorded(conn, row).await?)))
}

fn parse_id(s: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(s).map_err(|e| AppError::Internal(format!("stored mutation id {s:?}: {e}")))
}

async fn recorded(conn: &mut AnyConnection, row: Row) -> Result<Recorded, AppError> {
    let (device_id, seq, mutation_id, status, code, reason, field, parent) = row;
    let reason = reason.unwrap_or_default();
    Ok(match status.as_str() {
        "applied" => match flag_reasons(conn, &device_id, seq).await? {
            Some(reasons) => Recorded::Flagged(reasons),
            None => Recorded::Applied,
        },
        "rejected" => Recorded::Rejected { code: code.unwrap_or_default(), reason, field },
        "held" => Recorded::Held {
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
            Recorded::Deferred { reason: deferred_reason(&waiting_for), waiting_for }
        }
        "discarded" => Recorded::Discarded { reason },
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

/// The sentence a deferred mutation is told, from what it waits for.
pub fn deferred_reason(waiting_for: &[String]) -> String {
    let changes = waiting_for.iter().filter(|w| w.starts_with("mutation:")).count();
    let photos = waiting_for.iter().filter(|w| w.starts_with("blob:")).count();
    let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
    let mut parts = Vec::new();
    if changes > 0 {
        parts.push(format!(
            "{} it depends on to reach the server",
            plural(changes, "other change", "other changes")
        ));
    }
    if photos > 0 {
        parts.push(format!("{} to finish uploading", plural(photos, "photo", "photos")));
    }
    if parts.is_empty() {
        return "Received and kept; the server applies it shortly.".into();
    }
    format!(
        "Received and kept, not applied yet: waiting for {}. The server applies it then by itself; nothing to resend.",
        parts.join(" and ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deferred_sentence_counts_what_it_waits_for() {
        let one = deferred_reason(&["mutation:x".into()]);
        assert!(one.contains("1 other change it depends on"), "{one}");
        let both = deferred_reason(&["blob:a".into(), "blob:b".into(), "mutation:x".into()]);
        assert!(both.contains("1 other change") && both.contains("2 photos to finish uploading"), "{both}");
    }

    #[test]
    fn replays_word_settled_outcomes_as_duplicates() {
        assert_eq!(Recorded::Applied.replay(), Outcome::Duplicate { original: "applied".into() });
        assert_eq!(Recorded::Discarded { reason: "r".into() }.replay(), Outcome::Duplicate { original: "discarded".into() });
        let held = Recorded::Held { parent: Uuid::nil(), code: "task_closed".into(), reason: "r".into() };
        assert_eq!(held.clone().replay(), held.outcome());
        assert!(matches!(
            Recorded::Discarded { reason: "r".into() }.outcome(),
            Outcome::Rejected { code, .. } if code == DISCARDED
        ));
    }
}
