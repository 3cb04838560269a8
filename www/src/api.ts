// The slice of the Wasm module's JavaScript API the PWA uses, written down as the contract the
// Rust side publishes. `main.ts` assigns the generated `Workspace` to `WorkspaceApi`, so if the
// generated `satchel.d.ts` drifts from this contract, `tsc` says where.
//
// Every amount, quantity and rate is a decimal string. The PWA never does arithmetic on them:
// totals come from `computeTotals`, which runs the same Rust code as the server.

export interface SessionView {
  device_id: string;
  username: string;
  display_name: string;
}

export interface OutletView {
  id: string;
  name: string;
  route: string;
  address: string;
  phone: string;
  contact_name: string;
  group: string;
  place_of_supply: string;
  credit?: { limit: string; outstanding: string; pending_on_device: string; available: string; over_limit: boolean; as_of: string };
}

export interface ProductHit {
  sku: string;
  name: string;
  unit: string;
  quantity_places: number;
  pack_size?: string;
  min_order_quantity?: string;
  barcodes: string[];
  unit_price?: string;
  stock?: string;
}

export interface SalesLine {
  sku: string;
  quantity: string;
  discount_percent?: string;
}

export interface SalesOrder {
  outlet_id: string;
  business_date: string;
  lines: SalesLine[];
  order_discount_percent?: string;
  note?: string;
  requested_delivery_date?: string;
  customer_reference?: string;
  cash?: boolean;
  kind?: 'sale' | 'return';
}

export interface FindingView {
  rule: string;
  severity: 'block' | 'warn_and_flag' | 'allow';
  field: string;
  message: string;
  data_as_of?: string;
}

export interface QuoteView {
  price_list_id: string;
  lines: { unit_price: string; net?: string; taxes: { code: string; amount: string }[] }[];
  taxes: { code: string; name: string; base: string; amount: string; included: boolean }[];
  untaxed?: string;
  discount?: string;
  tax?: string;
  total?: string;
  blocked: boolean;
  flagged: boolean;
  findings: FindingView[];
}

export interface ReviewItem {
  order_id: string;
  document_number?: string;
  kind: string;
  outlet_id: string;
  outlet_name?: string;
  username: string;
  total: string;
  committed_at: string;
  reasons: { rule: string; message: string }[];
  status: 'open' | 'approved' | 'rejected';
  created_at: string;
  resolved_by?: string;
  resolved_at?: string;
  note?: string;
  /** What was ordered, from the stored document. */
  lines: ReviewLine[];
}

/** One line of a flagged order. The server does not store a line's untaxed amount, so the page
 * shows quantity × unit price (and the discount) rather than computing one. */
export interface ReviewLine {
  sku: string;
  name?: string;
  quantity: string;
  unit_price: string;
  discount_percent?: string;
  taxes: { code: string; amount: string }[];
}

/** Two concurrent edits of one outlet field, for a supervisor to settle with one choice. Times
 * (`changed_at`, `at`) are hybrid-logical-clock strings: 20 digits of Unix milliseconds first. */
export interface ConflictItem {
  id: string;
  outlet_id: string;
  outlet_name: string;
  field: 'phone' | 'address' | 'contact_name';
  base: string;
  base_version: number;
  /** The value the server kept: who set it and when. */
  ours: { value: string; changed_at: string; changed_by: string; version: number };
  /** The rep's value, not applied: who proposed it and when. */
  theirs: { value: string; by: string; at: string };
  device_id: string;
  status: 'open' | 'resolved';
  created_at: string;
  resolved_by?: string;
  resolved_at?: string;
  resolution?: { choice: ConflictChoice; value: string; at: string; version: number };
}

/** `ours`: keep the server's value; `theirs`: take the rep's; `value`: set one's own. */
export type ConflictChoice = 'ours' | 'theirs' | 'value';

export interface CommitView {
  order_id: string;
  document_number: string;
  seq: number;
  total: string;
  flagged: boolean;
  quote: QuoteView;
}

/** `held`: what it depends on (the task it was billed from) was refused: edit and resubmit it or
 * discard it. `waiting`: the server has it and waits for what it depends on. `discarded`: held,
 * then discarded (kept as a record). */
export type OrderStatus = 'pending' | 'synced' | 'flagged' | 'rejected' | 'held' | 'waiting' | 'discarded';

export interface OrderSummary {
  order_id: string;
  document_number: string;
  kind: 'sale' | 'return';
  outlet_id: string;
  committed_at: string;
  total: string;
  seq: number;
  status: OrderStatus;
  reason?: string;
  line_count?: number;
  /** The task it was billed from. */
  task_id?: string;
}

/** This device's completion of a task and what the server made of it. */
export interface TaskCompletionView {
  mutation_id: string;
  completed_at: string;
  note: string;
  photos: number;
  status: OrderStatus;
  reason?: string;
}

/** A task assigned to the user (visit, delivery, shelf check), with this device's completion. */
export interface TaskItemView {
  id: string;
  outlet_id: string;
  outlet_name?: string;
  kind: string;
  title: string;
  details: string;
  due_date?: string;
  status: 'open' | 'done' | 'cancelled';
  completion?: TaskCompletionView;
}

/** A draft as stored: the page's own content. */
export interface DraftView {
  draft_id: string;
  updated_at: string;
  content: Record<string, unknown>;
}

/** Records on this device that could not be read and were skipped. */
export interface StorageReport {
  unreadable_orders: number;
  unreadable_reference: number;
}

export type SyncPhase = 'idle' | 'pushing' | 'pulling' | 'backing_off' | 'needs_sign_in';

export interface SyncStatus {
  /** Changes waiting to sync; `null` when this device could not read its own storage. */
  pending: number | null;
  /** Why the storage could not be read, for the user (e.g. the browser cleared it). */
  storage_problem?: string;
  phase: SyncPhase;
  /** Whether this tab runs the sync (the others follow it). */
  leader: boolean;
  oldest_pending_age_ms?: number;
  latency_p50_ms?: number;
  latency_p95_ms?: number;
  latency_samples: number;
  last_synced_at?: string;
  last_error?: string;
  last_error_code?: string;
  /** The first full download of the reference data finished (it resumes where it stopped). */
  reference_complete: boolean;
  /** Changes the server still had for this device at the last pull. */
  reference_remaining: number;
  pulled_at?: string;
  /** Moves whenever pulled data changed what the workspace shows: re-read the lists then. */
  reference_generation: number;
  /** Photos waiting for upload. */
  uploads_pending: number;
}

export interface VaultStatus {
  state: 'signed_out' | 'locked' | 'unlocked';
  failed_attempts: number;
  retry_after_ms?: number;
  /** Wrong PINs still allowed before a wait (absent once a wait or the password applies). */
  attempts_before_delay?: number;
  reauthentication_required: boolean;
  idle_timeout_ms: number;
  rotating: boolean;
}

export interface WorkspaceApi {
  session(): SessionView | undefined;
  signIn(username: string, password: string, pin: string): Promise<SessionView>;
  vaultStatus(): VaultStatus;
  onVaultChange(callback: (status: VaultStatus) => void): void;
  unlock(pin: string): Promise<void>;
  lock(): void;
  touch(): void;
  changePin(oldPin: string, newPin: string): Promise<void>;
  reauthenticate(username: string, password: string): Promise<void>;
  refreshReference(): Promise<void>;
  referenceAsOf(): string | undefined;
  /** ISO 4217 code of the prices' currency, once reference data arrived. */
  currency(): string | undefined;
  outlets(): OutletView[];
  searchProducts(query: string, limit: number, outletId?: string): ProductHit[];
  quote(order: SalesOrder): QuoteView;
  /** `taskId`: the order is billed from that task (it then depends on the task's completion). */
  commitOrder(order: SalesOrder, draftId: string | undefined, taskId: string | undefined): Promise<CommitView>;
  tasks(): TaskItemView[];
  completeTask(taskId: string, note: string, photos: Blob[] | undefined): Promise<TaskItemView>;
  discardHeld(orderId: string, reason?: string | null): Promise<void>;
  /** A new draft in the page's shape (`outlet_id`, `lines`, `options`) plus `resubmits: "<document
   * number>"`; the held order becomes discarded. */
  editHeld(orderId: string): Promise<DraftView>;
  saveDraft(draftId: string | undefined, content: object): Promise<DraftView>;
  drafts(): Promise<DraftView[]>;
  deleteDraft(draftId: string): Promise<void>;
  orders(): Promise<OrderSummary[]>;
  storageReport(): Promise<StorageReport>;
  pendingCount(): Promise<number>;
  role(): string | undefined;
  updateOutlet(outletId: string, fields: { phone?: string; address?: string; contact_name?: string }): Promise<number>;
  reviewQueue(status?: string): Promise<ReviewItem[]>;
  resolveReview(orderId: string, decision: 'approve' | 'reject', note?: string): Promise<ReviewItem>;
  /** Supervisors, online: `status` `open` (default), `resolved` or `all`. */
  conflicts(status?: string): Promise<ConflictItem[]>;
  /** `value` with, and only with, `choice` `value`; refused with detail `stale_conflict` when the
   * field changed since (the item then shows the current value). */
  resolveConflict(conflictId: string, choice: ConflictChoice, value?: string): Promise<ConflictItem>;
  status(): Promise<SyncStatus>;
  syncNow(): Promise<void>;
  startSync(): void;
  onStatus(callback: (status: SyncStatus) => void): void;
  /** Refused with `pending_work` while anything waits to sync, and with `drafts_would_be_lost`
   * (the error's `drafts` names them) while unsent drafts exist, unless `discard_drafts`. */
  signOut(options?: { discard_drafts?: boolean }): Promise<void>;
}

/** A draft signing out would delete, as the module names it. */
export interface DraftSummary {
  draft_id: string;
  outlet: string;
  lines: number;
  updated_at: string;
}

/** The drafts a `drafts_would_be_lost` refusal names (empty for any other error). */
export function draftsOf(err: unknown): DraftSummary[] {
  const list = (err as { drafts?: unknown } | undefined)?.drafts;
  return Array.isArray(list) ? (list as DraftSummary[]) : [];
}

/** What the UI shows for a failure: the module throws `Error`s named "SatchelError" with a
 * stable `code` (and `field` for validation errors); anything else is reported as "internal". */
export interface ErrorView {
  code: string;
  message: string;
  field?: string;
  /** A finer, stable code, e.g. "photo_too_large" or the server's error code. */
  detail?: string;
}

export function describeError(err: unknown): ErrorView {
  if (err instanceof Error) {
    const extra = err as Error & { code?: unknown; field?: unknown; detail?: unknown };
    const view: ErrorView = {
      code: typeof extra.code === 'string' ? extra.code : 'internal',
      message: err.message || String(err),
    };
    if (typeof extra.field === 'string') view.field = extra.field;
    if (typeof extra.detail === 'string') view.detail = extra.detail;
    return view;
  }
  return { code: 'internal', message: String(err) };
}

/** Plain words for the user, keyed by the stable code; the code and the module's own message
 * go to `errorDetail`, shown smaller under it. */
export function errorText(err: unknown): string {
  const e = describeError(err);
  const lead: Record<string, string> = {
    network: 'No connection to the server. Your work is kept on this device; try again when you have signal.',
    unauthorized: 'The server no longer accepts this device. Sign in again.',
    bad_credentials: 'Wrong username or password.',
    storage: 'This device could not save the data.',
    storage_full: 'This device is out of storage space, so nothing was saved and your order is still on screen. Free some space (old photos, other apps) and commit again.',
    not_signed_in: 'Please sign in.',
    locked: 'The workspace is locked. Unlock it with your PIN.',
    wrong_pin: 'Wrong PIN.',
    too_many_attempts: 'Too many wrong PINs. Wait before trying again.',
    reauthentication_required: 'Too many wrong PINs. Sign in with your password to try again.',
    pending_work: 'Orders are still waiting to sync. Sync first, then sign out.',
  };
  const first = lead[e.code];
  if (first) return first;
  // Validation and the rest: the module's message is already in words; make it a sentence.
  const text = e.message.trim();
  if (text === '') return 'Something went wrong.';
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/** The details line under an error: the stable code and the module's message, for support. */
export function errorDetail(err: unknown): string {
  const e = describeError(err);
  return `${e.detail ?? e.code}${e.field ? ` · ${e.field}` : ''}: ${e.message}`;
}
