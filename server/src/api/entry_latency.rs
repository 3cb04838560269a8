//! Entry to server (issue 21): how long each order took from its entry on the device to the
//! server applying it, and whether it was recorded the day it happened.
//!
//! Every applied `sales_order.create` (a receipt of the counter is one too) is measured, in the
//! transaction that applies it, so it is counted exactly once (a replay is answered from the
//! stored row and never applied again):
//!
//! - **Entry to server** = apply time − (the mutation's `created_at` + the device clock's
//!   offset), at least 0. The offset is the server's receive time minus the push's `sent_at`
//!   (0 when the push does not carry it), so a phone whose clock is an hour behind does not add
//!   an hour. A deferred order is measured when it is finally applied, with the offset of the
//!   push that brought it (`mutations.clock_offset_ms`).
//! - **Same day**: the order's `business_date` is the server's UTC date when it is applied.
//!
//! Each order gets an `entry_latency` row (the dashboard's per-day percentiles read them) and
//! adds to its device's running totals by route (`/metrics`, [`crate::metrics::telemetry`]).

use chrono::{DateTime, Utc};
use satchel_core::sales::SalesDocument;
use satchel_core::sync::protocol::Mutation;
use satchel_core::telemetry::bucket_of;
use sqlx::AnyConnection;

use super::push::Env;
use crate::auth::AuthDevice;
use crate::errors::AppError;
use crate::db::{insert_vals, Val};
use crate::metrics::telemetry::{add, series, Increment};

/// Entry to server in ms: `applied` − (`created` + `offset_ms`), at least 0.
pub fn entry_to_server_ms(applied: DateTime<Utc>, created: DateTime<Utc>, offset_ms: Option<i64>) -> u64 {
    let ms = (applied - created).num_milliseconds().saturating_sub(offset_ms.unwrap_or(0));
    u64::try_from(ms).unwrap_or(0)
}

/// Records an order just applied (in the caller's transaction): its `entry_latency` row and its
/// device's totals for the outlet's `route`. `at` is `env.now` as stored.
pub(super) async fn record(
    conn: &mut AnyConnection,
    env: &Env<'_>,
    auth: &AuthDevice,
    m: &Mutation,
    doc: &SalesDocument,
    route: &str,
    at: &str,
) -> Result<(), AppError> {
    let (row, increments) = measure(env, auth, m, doc, route, at)?;
    insert_vals(conn, COLUMNS, WIDTH, &[row]).await?;
    add(conn, &auth.device_id.to_string(), &increments).await?;
    Ok(())
}

/// The `entry_latency` table and the columns [`measure`]'s row fills.
pub(super) const COLUMNS: &str =
    "entry_latency (order_id, device_id, route, applied_at, applied_on, latency_ms, bucket, same_day)";
/// How many values that row holds.
pub(super) const WIDTH: usize = 8;

/// What [`record`] writes of an order applied now by the pushing device: its row of
/// [`COLUMNS`], and the increments of the device's totals for the outlet's `route`.
pub(super) fn measure<'a>(
    env: &Env<'_>,
    auth: &AuthDevice,
    m: &Mutation,
    doc: &SalesDocument,
    route: &'a str,
    at: &str,
) -> Result<(Vec<Val>, [Increment<'a>; 4]), AppError> {
    let latency = entry_to_server_ms(env.now, m.created_at, env.clock_offset_ms);
    let bucket = bucket_of(latency);
    let today = env.now.date_naive();
    let same_day = doc.order.business_date == today;
    let row = vec![
        doc.order_id.to_string().into(),
        auth.device_id.to_string().into(),
        route.into(),
        at.into(),
        today.to_string().into(),
        i64::try_from(latency).unwrap_or(i64::MAX).into(),
        i64::try_from(bucket).map_err(|_| AppError::Internal("bucket range".into()))?.into(),
        i64::from(same_day).into(),
    ];
    let increments = [
        (series::ENTRY_TO_SERVER, route, bucket, 1),
        (series::ENTRY_TO_SERVER_SUM, route, 0, latency),
        (series::ORDERS_RECORDED, route, 0, 1),
        (series::ORDERS_SAME_DAY, route, 0, u64::from(same_day)),
    ];
    Ok((row, increments))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_clock_is_corrected_and_never_negative() {
        let server = DateTime::UNIX_EPOCH + chrono::Duration::days(20_000);
        // The phone's clock is an hour behind: it sent at server − 1 h by its clock, and the
        // order was entered 10 minutes before that.
        let sent = server - chrono::Duration::hours(1);
        let created = sent - chrono::Duration::minutes(10);
        let offset = (server - sent).num_milliseconds();
        assert_eq!(entry_to_server_ms(server, created, Some(offset)), 600_000);
        assert_eq!(entry_to_server_ms(server, created, None), 4_200_000, "uncorrected: 70 minutes");
        // A clock ahead of the server's gives a negative raw figure, counted as 0.
        assert_eq!(entry_to_server_ms(server, server + chrono::Duration::minutes(5), None), 0);
        // Absurd clocks saturate instead of overflowing.
        assert_eq!(entry_to_server_ms(server, created, Some(i64::MIN)), u64::try_from(i64::MAX).unwrap_or(0));
    }
}
