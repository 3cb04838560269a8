// The order being typed: how it is stored as a draft, read back, quoted and turned into the
// module's `SalesOrder`. What was typed stays as typed (a "1,5" stays "1,5" on screen and in
// the draft); only the order handed to the module carries plain decimals (`normalizeDecimal`).

import type { DraftView, SalesOrder } from '../api.ts';
import { decimalInput } from '../format.ts';
import { NO_OPTIONS, type Draft, type DraftOptions, type FieldProblem } from '../store.ts';

/** What a draft stores: ids and what was typed (prices and names come from the catalog). */
export interface DraftContent {
  outlet_id: string;
  lines: { sku: string; quantity: string; discount?: string }[];
  options?: Partial<DraftOptions>;
  task_id?: string;
  resubmits?: string;
}

/** A draft's content in the page's shape. Drafts `editHeld` made before data format 5 hold
 * `{ order: SalesOrder, resubmits }` instead: their order becomes outlet, lines and options. */
export function draftContent(raw: Record<string, unknown>): Partial<DraftContent> {
  const order = raw['order'] as Partial<SalesOrder> | undefined;
  if (order && typeof order === 'object' && typeof order.outlet_id === 'string') {
    const resubmits = raw['resubmits'];
    const content: Partial<DraftContent> = {
      outlet_id: order.outlet_id,
      lines: (order.lines ?? []).map((l) => ({ sku: l.sku, quantity: l.quantity, ...(l.discount_percent ? { discount: l.discount_percent } : {}) })),
      options: {
        orderDiscount: order.order_discount_percent ?? '',
        note: order.note ?? '',
        deliveryDate: order.requested_delivery_date ?? '',
        isReturn: order.kind === 'return',
        cash: order.cash === true,
      },
    };
    if (typeof resubmits === 'string') content.resubmits = resubmits;
    return content;
  }
  return raw as Partial<DraftContent>;
}

/** The draft as stored. */
export function contentOf(draft: Draft): DraftContent | undefined {
  if (!draft.outlet) return undefined;
  return {
    outlet_id: draft.outlet.id,
    lines: draft.lines.map((l) => ({ sku: l.product.sku, quantity: l.quantity, ...(l.discount ? { discount: l.discount } : {}) })),
    options: draft.options,
    ...(draft.taskId ? { task_id: draft.taskId } : {}),
    ...(draft.resubmits ? { resubmits: draft.resubmits } : {}),
  };
}

/** A line count and the outlet a stored draft is for. */
export function draftSummary(d: DraftView): { outletId: string | undefined; lines: number; resubmits?: string; fromTask: boolean } {
  const c = draftContent(d.content);
  return { outletId: c.outlet_id, lines: c.lines?.length ?? 0, ...(c.resubmits ? { resubmits: c.resubmits } : {}), fromTask: Boolean(c.task_id) };
}

export function emptyDraft(): Draft {
  return { id: undefined, outlet: undefined, lines: [], options: { ...NO_OPTIONS }, taskId: undefined, resubmits: undefined };
}

/** Today's local date as YYYY-MM-DD (the business date of an order taken now). */
export function today(): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The module's order for the draft, with every typed number converted exactly, or the fields
 * that cannot be read (each shown next to its field). */
export function orderOf(draft: Draft): { order: SalesOrder } | { problems: FieldProblem[] } | undefined {
  if (!draft.outlet) return undefined;
  const problems: FieldProblem[] = [];
  const read = (text: string, field: string): string => {
    const r = decimalInput(text);
    if ('error' in r) {
      problems.push({ field, message: r.error });
      return '';
    }
    return r.value;
  };
  const lines = draft.lines.map((l, i) => {
    const quantity = read(l.quantity, `lines[${i}].quantity`);
    if (l.quantity.trim() === '') problems.push({ field: `lines[${i}].quantity`, message: 'Enter a quantity.' });
    const discount = read(l.discount, `lines[${i}].discount_percent`);
    return { sku: l.product.sku, quantity, ...(discount ? { discount_percent: discount } : {}) };
  });
  const o = draft.options;
  const orderDiscount = read(o.orderDiscount, 'order_discount_percent');
  if (problems.length > 0) return { problems };
  const order: SalesOrder = { outlet_id: draft.outlet.id, business_date: today(), lines, cash: o.cash, kind: o.isReturn ? 'return' : 'sale' };
  if (orderDiscount) order.order_discount_percent = orderDiscount;
  if (o.note.trim()) order.note = o.note.trim();
  if (o.deliveryDate) order.requested_delivery_date = o.deliveryDate;
  return { order };
}

/** Steps a whole-number quantity by ±1; other quantities are left to the keyboard, so no
 * decimal arithmetic happens in TypeScript. */
export function step(quantity: string, delta: 1 | -1): string | undefined {
  if (!/^\d{1,9}$/.test(quantity.trim())) return undefined;
  const next = Number.parseInt(quantity, 10) + delta;
  return next >= 1 ? String(next) : undefined;
}
