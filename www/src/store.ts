// The workspace's one state store. Views read it and re-render the parts whose keys changed;
// actions (workspace/actions.ts) are the only writers. No framework: a map of listeners and a
// set of changed keys per update, which is all a phone's shell needs (ADR 0003).

import type { DraftView, OrderView, OutletView, ProductHit, QuoteView, SessionView, StorageReportView, SyncStatusView } from './api.ts';

/** One line of the order being typed; `quantity` and `discount` are what the user typed. */
export interface DraftLine {
  product: ProductHit;
  quantity: string;
  discount: string;
}

/** The order-level fields, as typed. */
export interface DraftOptions {
  orderDiscount: string;
  note: string;
  deliveryDate: string;
  isReturn: boolean;
  cash: boolean;
}

export const NO_OPTIONS: DraftOptions = { orderDiscount: '', note: '', deliveryDate: '', isReturn: false, cash: false };

/** The order on screen. */
export interface Draft {
  /** The stored draft's id, once the first edit was saved. */
  id: string | undefined;
  outlet: OutletView | undefined;
  lines: DraftLine[];
  options: DraftOptions;
  /** The task the order is billed from ("Take order" on a task). */
  taskId: string | undefined;
  /** The document number of the held order this one replaces ("Edit and resubmit"). */
  resubmits: string | undefined;
  /** How many lines the last completed save stored (the draft is on disk up to there). */
  savedLines?: number;
}

/** A field of the order that cannot be read, with why (shown next to it). */
export interface FieldProblem {
  /** `lines[2].quantity`, `lines[0].discount_percent`, `order_discount_percent`, ... */
  field: string;
  message: string;
}

/** What the last commit (or another action) reports to the user, next to the action bar. */
export interface Notice {
  text: string;
  /** Figures tests and assistive tech can read without parsing the text. */
  data: Record<string, string>;
}

export interface State {
  session: SessionView;
  currency: string | undefined;
  outlets: OutletView[];
  outletById: Map<string, OutletView>;
  /** Moves when reference data was re-read (outlets, credit, tasks). */
  referenceGeneration: number;
  draft: Draft;
  /** The module's quote of the draft, when it has one. */
  quote: QuoteView | undefined;
  /** Fields the user typed that cannot be read; the quote is not shown while any exist. */
  problems: FieldProblem[];
  /** The module refused the whole quote (not a single field). */
  quoteError: unknown;
  committing: boolean;
  /** This device's orders, newest first. */
  orders: OrderView[];
  drafts: DraftView[];
  status: SyncStatusView | undefined;
  /** Changes waiting to sync: unknown (`undefined`) until the module said; `null` when it
   * could not read its own storage. */
  pending: number | null | undefined;
  storageReport: StorageReportView | undefined;
  online: boolean;
  notice: Notice | undefined;
  /** Errors by source (order, sync, session, ...), shown in the action bar's error box. */
  errors: Map<string, unknown>;
}

export type Key = keyof State;
type Listener = (state: State, changed: ReadonlySet<Key>) => void;

export interface Store {
  readonly state: State;
  /** Applies `patch`, then tells every listener which keys changed. */
  set(patch: Partial<State>): void;
  /** Marks keys changed after an in-place edit (e.g. of `draft`). */
  touch(...keys: Key[]): void;
  /** `listener` runs now (all keys changed) and after every change of one of `keys`. */
  watch(keys: Key[], listener: Listener): void;
}

export function createStore(initial: State): Store {
  const state = initial;
  const listeners: { keys: Set<Key>; listener: Listener }[] = [];
  const notify = (changed: Set<Key>): void => {
    for (const { keys, listener } of listeners) {
      for (const k of changed) {
        if (keys.has(k)) {
          listener(state, changed);
          break;
        }
      }
    }
  };
  return {
    state,
    set(patch) {
      Object.assign(state, patch);
      notify(new Set(Object.keys(patch) as Key[]));
    },
    touch(...keys) {
      notify(new Set(keys));
    },
    watch(keys, listener) {
      listeners.push({ keys: new Set(keys), listener });
      listener(state, new Set(keys));
    },
  };
}
