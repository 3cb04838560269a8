//! A stop of a delivery day, riding on its task's `task.complete` (`TaskCompletion.day`): what
//! the server checks of it beyond the completion's own rules ([`super::task_complete`]), and the
//! `day_stops` row it writes.
//!
//! - Core's [`check_stop`]: a delivery is proved by the recipient's name and a signature
//!   (`proof_required`), a failure or a skip says why (`reason_required`), goods back are
//!   quantities (`bad_quantity`); fields under `day.`.
//! - The day is known, the user's and open (`unknown_day`, `day_not_yours`, `day_closed`, field
//!   `day.day_id`), and the task is one of its planned stops or the stop says it was added on
//!   the road (`not_a_stop`, field `task_id`).
//! - An unplanned stop whose task the server does not know creates it (kind `delivery`, at the
//!   outlet the stop names, which must be on the user's routes: else `unknown_outlet`, field
//!   `day.unplanned_at`), with the id the device gave it (`U-<uuid>`).
//!
//! The signature waits for its blob like a photo. Applied, a skipped stop leaves its task open;
//! the stop's row holds its latest outcome, and a completion note becomes a visit note of the
//! outlet that the next crew sees.

use satchel_core::delivery::{check_stop, DayStop, StopOutcome};
use satchel_core::sync::protocol::{Mutation, TaskCompletion};
use sqlx::AnyConnection;

use super::delivery::{day_rejection, own_open_day, reject, to_json, DayRow};
use super::push::Rejection;
use crate::auth::AuthDevice;
use crate::db::Backend;
use crate::errors::AppError;
use crate::feed::{self, Scope};
use crate::receivables::add_visit_note;
use satchel_core::sync::protocol::Entity;

/// Checks a stop: core's rule, then its day and whether the task is a stop of it. Returns the
/// day (locked for this transaction).
pub(super) async fn check(
    conn: &mut AnyConnection,
    backend: Backend,
    auth: &AuthDevice,
    task_id: &str,
    stop: &DayStop,
) -> Result<Result<DayRow, Rejection>, AppError> {
    if let Err(e) = check_stop(stop) {
        let mut rej = day_rejection(&e, "day.");
        if rej.field.as_deref() == Some("day.outlet_id") {
            rej.field = Some("day.unplanned_at".into());
        }
        return Ok(Err(rej));
    }
    let day = match own_open_day(conn, backend, auth, &stop.day_id, "day.day_id").await? {
        Ok(d) => d,
        Err(rej) => return Ok(Err(rej)),
    };
    if stop.unplanned_at.is_none() && !day.plan.iter().any(|t| t == task_id) {
        return Ok(Err(reject("not_a_stop", "task_id", format!("task_id: task {task_id} is not a planned stop of day {}", stop.day_id))));
    }
    Ok(Ok(day))
}

/// The name of the outlet an unplanned stop is at, if it exists on the user's routes (`routes`
/// `None`: a supervisor, every route).
pub(super) async fn unplanned_outlet(conn: &mut AnyConnection, routes: Option<&[String]>, outlet_id: &str) -> Result<Result<String, Rejection>, AppError> {
    let row: Option<(String, String)> = sqlx::query_as("SELECT name, route FROM outlets WHERE id = $1")
        .bind(outlet_id)
        .fetch_optional(&mut *conn)
        .await?;
    match row.filter(|(_, route)| routes.is_none_or(|rs| rs.contains(route))) {
        Some((name, _)) => Ok(Ok(name)),
        None => Ok(Err(reject(
            "unknown_outlet",
            "day.unplanned_at",
            format!("day.unplanned_at: outlet {outlet_id:?} does not exist or is not on your routes"),
        ))),
    }
}

fn outcome_columns(o: &StopOutcome) -> (&'static str, Option<&str>) {
    match o {
        StopOutcome::Done => ("done", None),
        StopOutcome::Failed { reason } => ("failed", Some(reason.as_str())),
        StopOutcome::Skipped { reason } => ("skipped", Some(reason.as_str())),
    }
}

/// Writes the stop's row (its latest outcome) and, when the completion has a note, a visit note
/// of the outlet (with its feed row, so the route's devices get it).
#[allow(clippy::too_many_arguments)]
pub(super) async fn record(
    conn: &mut AnyConnection,
    auth: &AuthDevice,
    m: &Mutation,
    c: &TaskCompletion,
    stop: &DayStop,
    day: &DayRow,
    outlet_id: &str,
    at: &str,
) -> Result<(), AppError> {
    let (outcome, reason) = outcome_columns(&stop.outcome);
    sqlx::query(
        "INSERT INTO day_stops (day_id, task_id, outlet_id, mutation_id, outcome, reason, recipient, signature, photos, \
         goods_back, unplanned, at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (day_id, task_id) DO UPDATE SET outlet_id = excluded.outlet_id, mutation_id = excluded.mutation_id, \
         outcome = excluded.outcome, reason = excluded.reason, recipient = excluded.recipient, signature = excluded.signature, \
         photos = excluded.photos, goods_back = excluded.goods_back, unplanned = excluded.unplanned, at = excluded.at, \
         received_at = excluded.received_at",
    )
    .bind(day.day_id.to_string())
    .bind(&c.task_id)
    .bind(outlet_id)
    .bind(m.id.to_string())
    .bind(outcome)
    .bind(reason)
    .bind(stop.recipient.trim())
    .bind(stop.signature.as_ref().map(|s| s.sha256.clone()))
    .bind(to_json(&c.photos, "stop photos")?)
    .bind(to_json(&stop.goods_back, "goods back")?)
    .bind(i64::from(stop.unplanned_at.is_some()))
    .bind(crate::db::timestamp(c.completed_at))
    .bind(at)
    .execute(&mut *conn)
    .await?;
    let note = c.note.trim();
    if !note.is_empty() {
        add_visit_note(conn, &m.id.to_string(), outlet_id, c.completed_at.date_naive(), &auth.username, note).await?;
        let route: Option<(String,)> = sqlx::query_as("SELECT route FROM outlets WHERE id = $1").bind(outlet_id).fetch_optional(&mut *conn).await?;
        if let Some((route,)) = route {
            feed::record(conn, Entity::Outlet, outlet_id, Scope::Route(&route), false).await?;
        }
    }
    Ok(())
}
