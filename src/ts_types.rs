//! The TypeScript declarations of the data objects the `Workspace` class takes and returns.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options of `Workspace.open`. */
export interface WorkspaceOptions {
  /** IndexedDB database name; default "satchel". */
  db_name?: string;
  /** The sync server's origin; default: this page's origin. */
  base_url?: string;
  /** Inactivity before the workspace locks (ms); default 5 minutes, at most 30 minutes. */
  idle_timeout_ms?: number;
  /** Lock as soon as the page is hidden; default false. */
  lock_when_hidden?: boolean;
}
/** The vault's state, as `vaultStatus()` and `onVaultChange` report it. */
export interface VaultStatusView {
  state: "signed_out" | "locked" | "unlocked";
  /** Consecutive wrong PINs. */
  failed_attempts: number;
  /** While a wrong-PIN delay runs: milliseconds until the next attempt. */
  retry_after_ms?: number;
  /** Wrong PINs still allowed before a wait (absent once a wait or the password applies). */
  attempts_before_delay?: number;
  /** Too many wrong PINs: `reauthenticate` (online, password) before the next attempt. */
  reauthentication_required: boolean;
  idle_timeout_ms: number;
  /** A key rotation is re-encrypting records in the background. */
  rotating: boolean;
}
/** Who is signed in on this device. */
export interface SessionView { device_id: string; username: string; display_name: string; }
/** A product found by `searchProducts`, priced for the outlet asked about. */
export interface ProductHit {
  sku: string; name: string; unit: string; quantity_places: number; pack_size?: string;
  min_order_quantity?: string; barcodes: string[];
  /** The price of the outlet's price list on the business date (absent without an outlet). */
  unit_price?: string;
  /** What the van holds, as this device's commits left it. */
  stock?: string;
}
/** An outlet on the user's routes, with its credit as this device sees it. */
export interface OutletView {
  id: string; name: string; route: string; address: string; phone: string; contact_name: string;
  group: string; place_of_supply: string;
  credit?: { limit: string; outstanding: string; pending_on_device: string; available: string; over_limit: boolean; as_of: string };
}
/** An order being composed. Quantities and percentages are decimal strings; prices come from
 * the outlet's price list, never from the page. */
export interface SalesOrder {
  outlet_id: string;
  /** The local date whose prices and tax rules apply, YYYY-MM-DD. */
  business_date: string;
  lines: SalesLine[];
  order_discount_percent?: string;
  note?: string;
  requested_delivery_date?: string;
  customer_reference?: string;
  cash?: boolean;
  kind?: "sale" | "return";
}
export interface SalesLine { sku: string; quantity: string; discount_percent?: string; }
/** A finding of validation, with the age of the data it relied on. */
export interface FindingView {
  rule: string; severity: "block" | "warn_and_flag" | "allow"; field: string; message: string; data_as_of?: string;
}
/** Prices, taxes with their breakdown, totals and findings: computed by the module. */
export interface QuoteView {
  price_list_id: string;
  lines: { unit_price: string; net?: string; taxes: { code: string; amount: string }[] }[];
  taxes: { code: string; name: string; base: string; amount: string; included: boolean }[];
  untaxed?: string; discount?: string; tax?: string;
  /** The amount due. */
  total?: string;
  blocked: boolean; flagged: boolean; findings: FindingView[];
}
/** The result of `commitOrder`: the order is durably on the device. */
export interface CommittedOrderView {
  order_id: string; document_number: string; seq: number; total: string; flagged: boolean; quote: QuoteView;
}
/** A local order and its sync state. */
export interface OrderView {
  order_id: string; document_number: string; outlet_id: string; committed_at: string; total: string; seq: number;
  line_count: number; kind: "sale" | "return";
  /** `held`: something it depends on (the task it was billed from) was refused: edit and
   * resubmit it (`editHeld`) or discard it (`discardHeld`). `waiting`: the server has it and
   * waits for what it depends on. `discarded`: held, then discarded (kept as a record). */
  status: "pending" | "synced" | "flagged" | "rejected" | "held" | "waiting" | "discarded"; reason?: string;
  /** The task it was billed from. */
  task_id?: string;
}
/** A task assigned to the user, with this device's completion. */
export interface TaskItemView {
  id: string; outlet_id: string; outlet_name?: string; kind: string; title: string; details: string; due_date?: string;
  status: "open" | "done" | "cancelled";
  completion?: {
    mutation_id: string; completed_at: string; note: string; photos: number;
    status: "pending" | "synced" | "flagged" | "rejected" | "held" | "waiting" | "discarded"; reason?: string;
  };
}
/** A flagged order in a supervisor's review queue (as the server sends it). */
export interface ReviewItem {
  order_id: string; document_number?: string; kind: string; outlet_id: string; outlet_name?: string;
  username: string; total: string; committed_at: string; reasons: { rule: string; message: string }[];
  status: "open" | "approved" | "rejected"; created_at: string; resolved_by?: string; resolved_at?: string; note?: string;
  /** What was ordered (the untaxed amount of a line is not stored, so not given). */
  lines: ReviewLine[];
}
/** One line of a flagged order. */
export interface ReviewLine {
  sku: string; name?: string; quantity: string; unit_price: string; discount_percent?: string;
  taxes: { code: string; amount: string }[];
}
/** Two concurrent edits of one outlet field, in a supervisor's queue (as the server sends it).
 * Times are hybrid-logical-clock strings: 20 digits of Unix milliseconds, 10 of counter, node. */
export interface ConflictItem {
  id: string; outlet_id: string; outlet_name: string; field: "phone" | "address" | "contact_name";
  base: string; base_version: number;
  /** The server's value, kept: who set it and when. */
  ours: { value: string; changed_at: string; changed_by: string; version: number };
  /** The rep's value, not applied: who proposed it and when. */
  theirs: { value: string; by: string; at: string };
  device_id: string; status: "open" | "resolved"; created_at: string; resolved_by?: string; resolved_at?: string;
  resolution?: { choice: "ours" | "theirs" | "value"; value: string; at: string; version: number };
}
/** A draft: the page's own content, saved sealed on every edit. */
export interface DraftView { draft_id: string; updated_at: string; content: Record<string, unknown>; }
/** Records on this device that could not be read (corrupt) and were skipped. */
export interface StorageReportView { unreadable_orders: number; unreadable_reference: number; }
/** The sync loop's state, as `onStatus` reports it. */
export interface SyncStatusView {
  /** Entries waiting; null when the local storage could not be read (never a guessed 0). */
  pending: number | null;
  /** Why the storage could not be read, for the user. */
  storage_problem?: string;
  phase: "idle" | "pushing" | "pulling" | "backing_off" | "needs_sign_in";
  /** Whether this tab runs the sync (one tab per workspace does; the others follow it). */
  leader: boolean;
  /** Age of the oldest order waiting to sync (ms). */
  oldest_pending_age_ms?: number;
  /** Commit-to-acknowledgement latency on this device (ms), over `latency_samples` orders. */
  latency_p50_ms?: number;
  latency_p95_ms?: number;
  latency_samples: number;
  last_synced_at?: string;
  last_error?: string;
  last_error_code?: SatchelErrorCode;
  /** The first full download of the reference data finished (it resumes where it stopped). */
  reference_complete: boolean;
  /** Changes the server still had for this device at the last pull. */
  reference_remaining: number;
  pulled_at?: string;
  /** Moves whenever pulled data changed what the workspace shows: re-read lists then. */
  reference_generation: number;
  /** Photos waiting for upload. */
  uploads_pending: number;
}
"#;
