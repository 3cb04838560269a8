//! The outcome the server recorded for a mutation, as the device is told it: on a replay of a
//! push and through the pull (entity `mutation_result`).

use satchel_core::sync::protocol::MutationResult;
use sqlx::AnyConnection;

use crate::errors::AppError;

/// The recorded outcome of the mutation `mutation_id`, or `None` when it was never received.
pub async fn stored_outcome(
    _conn: &mut AnyConnection,
    _mutation_id: &str,
) -> Result<Option<MutationResult>, AppError> {
    // Filled in with the dependency work (held and deferred mutations).
    Ok(None)
}
