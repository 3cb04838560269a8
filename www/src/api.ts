// The module's JavaScript API as the PWA sees it. Every type that crosses the boundary is
// generated from the Rust types (src/generated/*.ts, by ts-rs) into the module's `satchel.d.ts`;
// nothing here declares one by hand. `Workspace` is the generated class itself.
//
// Every amount, quantity and rate is a decimal string. The PWA never does arithmetic on them:
// totals come from the module's quote, which runs the same Rust code as the server.

export type {
  Allocation,
  BackupAdvice,
  MissingWork,
  BilledView,
  CollectRequest,
  CollectionMethod,
  CollectionView,
  DaySettlement,
  DayView,
  EndRequest,
  EndedDayView,
  LoadLine,
  OpenDayView,
  OpenInvoiceView,
  StartRequest,
  StopRequest,
  StopView,
  CashMovement,
  ClosedView,
  CounterView,
  Denomination,
  ReceiptHit,
  ReceiptView,
  RefundProposal,
  ReturnLine,
  Settlement,
  ShiftReport,
  Tender,
  Choice,
  CommittedOrderView,
  CompletionView,
  ConflictItem,
  DraftSummary,
  DraftView,
  FindingView,
  OrderKind,
  OrderView,
  OutletView,
  Phase,
  ProductHit,
  QuoteView,
  ReviewItem,
  ShiftItem,
  DayItem,
  DayDetail,
  TelemetryDashboard,
  ReviewLine,
  SalesLine,
  SalesOrder,
  SessionView,
  Status,
  StorageReportView,
  SyncStatusView,
  TaskItemView,
  VaultStatusView,
  Workspace,
} from '../pkg/satchel.js';
import type { DraftSummary } from '../pkg/satchel.js';

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
    storage_full: 'This device is out of storage space, so nothing was saved; what you entered is still on screen. Free some space (old photos, other apps) and try again.',
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
