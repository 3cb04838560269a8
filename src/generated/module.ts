// Generated from the Rust types by src/ts_types.rs (ts_bindings): do not edit.

/**
 * Options of `Workspace.open`.
 */
export type WorkspaceOptions = { 
/**
 * IndexedDB database name; default "satchel".
 */
db_name?: string, 
/**
 * The sync server's origin; default: this page's origin.
 */
base_url?: string, 
/**
 * Inactivity before the workspace locks (ms); default 5 minutes, at most 30 minutes.
 */
idle_timeout_ms?: number, 
/**
 * Lock as soon as the page is hidden; default false.
 */
lock_when_hidden?: boolean, };
/**
 * What `vaultStatus()` and `onVaultChange` report.
 */
export type VaultStatusView = { state: "signed_out" | "locked" | "unlocked", failed_attempts: number, retry_after_ms?: number, attempts_before_delay?: number, reauthentication_required: boolean, idle_timeout_ms: number, rotating: boolean, };
/**
 * Who is signed in on this device (no token).
 */
export type SessionView = { device_id: string, username: string, display_name: string, };
/**
 * The loop's phase, as shown to the user.
 */
export type Phase = "idle" | "pushing" | "pulling" | "backing_off" | "needs_sign_in";
/**
 * What `onStatus` callbacks receive.
 */
export type SyncStatusView = { 
/**
 * Entries waiting; `None` when the store could not be read (never a guessed 0).
 */
pending: number | null, 
/**
 * Why the store could not be read, for the user (see `satchel_core::device::health`).
 */
storage_problem?: string, phase: Phase, leader: boolean, 
/**
 * Age of the oldest waiting entry (ms).
 */
oldest_pending_age_ms?: number, 
/**
 * Commit-to-acknowledgement latency on this device (ms).
 */
latency_p50_ms?: number, latency_p95_ms?: number, latency_samples: number, last_synced_at?: string, last_error?: string, last_error_code?: SatchelErrorCode, 
/**
 * The initial download of the reference data finished once.
 */
reference_complete: boolean, 
/**
 * Changes the server still had for this device at the last pull.
 */
reference_remaining: number, 
/**
 * When the last pull page was applied (server clock).
 */
pulled_at?: string, 
/**
 * Bumped whenever pulled data changed what the workspace shows: re-read lists when it moves.
 */
reference_generation: number, 
/**
 * Photos waiting for upload.
 */
uploads_pending: number, };
/**
 * The result of `commitOrder`: the order is durably on the device.
 */
export type CommittedOrderView = { order_id: string, document_number: string, seq: number, total: Dec, flagged: boolean, quote: QuoteView, };
/**
 * Records on this device that could not be read (corrupt) and were skipped.
 */
export type StorageReportView = { unreadable_orders: number, unreadable_reference: number, };
/**
 * A backup file to save: its suggested name, its text and how many changes it holds.
 */
export type BackupFileView = { file_name: string, text: string, changes: number, };
/**
 * What the second copies found after a sign-in became on the server.
 */
export type CopyRecoveryView = { 
/**
 * Copies sent, each with the server's summary.
 */
recovered: Array<RecoverSummary>, 
/**
 * Changes still waiting in copies the server did not take (offline, or another user's).
 */
waiting: number, 
/**
 * Changes the server cannot take: an earlier change of theirs is missing from the copy (it
 * failed to copy) and from the server, and their sequence may not skip it.
 */
stuck: number, };
