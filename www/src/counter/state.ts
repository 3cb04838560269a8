// The counter's state and the actions that change it. Views (views/counter/*) render it and
// call the actions; every figure comes from the module: the cart's taxes and total from
// `ws.quote`, change and cash rounding from `ws.tenderPreview`, a refund's amount and tenders
// from `ws.proposeRefund`, the X and Z reports from the shift the module keeps.

import type { CounterView, ProductHit, QuoteView, ReceiptView, RefundProposal, SalesOrder, Settlement, Tender, Workspace } from '../api.ts';
import { decimalInput } from '../format.ts';
import { today } from '../workspace/draft.ts';

/** A cart line as typed. */
export interface CartLine {
  product: ProductHit;
  quantity: string;
  discount: string;
}

export type Mode = 'sell' | 'tender' | 'receipt' | 'refund' | 'cash' | 'close';

export interface CounterState {
  view: CounterView;
  outletId: string;
  lines: CartLine[];
  orderDiscount: string;
  parkedId: string | undefined;
  quote: QuoteView | undefined;
  /** Why the cart cannot be quoted (a field typed wrong, a discount over the cap, …). */
  problem: unknown;
  tenders: Tender[];
  preview: Settlement | undefined;
  previewError: unknown;
  receipt: ReceiptView | undefined;
  /** The receipt shown is a reprint: printed "COPY". */
  copy: boolean;
  refund: { receipt: ReceiptView; proposal: RefundProposal | undefined } | undefined;
  /** The cart is a return without a receipt: goods come back, money goes out. */
  returning: boolean;
  mode: Mode;
  notice: string;
  error: unknown;
}

type Listener = (s: CounterState) => void;

export interface Counter {
  readonly s: CounterState;
  readonly ws: Workspace;
  watch(l: Listener): void;
  changed(): void;
  /** The cart as an order the module can quote and sell; `undefined` while a field is wrong. */
  order(): SalesOrder | undefined;
  add(p: ProductHit, quantity?: string): void;
  /** A scanned code no product has: said, not swallowed. */
  unknownCode(code: string): void;
  setLine(i: number, patch: Partial<CartLine>): void;
  voidLine(i: number): void;
  voidCart(): void;
  requote(): void;
  startTender(): void;
  addTender(t: Tender): void;
  removeTender(i: number): void;
  /** Completes the sale, refund or return; `approval`: a manager's name and PIN (a return
   * without a receipt where the deployment asks for one). */
  completeSale(approval?: { manager: string; pin: string }): Promise<void>;
  /** Starts a return without a receipt. */
  startReturn(): void;
  park(label: string): Promise<void>;
  resume(id: string): void;
  showReceipt(orderId: string, copy: boolean): void;
  run(label: string, f: () => Promise<CounterView | void>): Promise<void>;
  setMode(m: Mode): void;
}

export function createCounter(ws: Workspace, onChange: () => void): Counter {
  const view = ws.counter();
  const s: CounterState = {
    view,
    outletId: view.settings?.walk_in_outlet ?? '',
    lines: [],
    orderDiscount: '',
    parkedId: undefined,
    quote: undefined,
    problem: undefined,
    tenders: [],
    preview: undefined,
    previewError: undefined,
    receipt: undefined,
    copy: false,
    refund: undefined,
    returning: false,
    mode: 'sell',
    notice: '',
    error: undefined,
  };
  const listeners: Listener[] = [];
  const changed = (): void => listeners.forEach((l) => l(s));

  const order = (): SalesOrder | undefined => {
    const lines = [];
    for (const l of s.lines) {
      const q = decimalInput(l.quantity);
      const d = decimalInput(l.discount);
      if ('error' in q || 'error' in d || q.value === '') return undefined;
      lines.push(d.value ? { sku: l.product.sku, quantity: q.value, discount_percent: d.value } : { sku: l.product.sku, quantity: q.value });
    }
    const od = decimalInput(s.orderDiscount);
    if ('error' in od) return undefined;
    const o: SalesOrder = { outlet_id: s.outletId, business_date: today(), lines };
    if (s.returning) o.kind = 'return';
    if (od.value) o.order_discount_percent = od.value;
    return o;
  };

  const requote = (): void => {
    s.quote = undefined;
    s.problem = undefined;
    const o = order();
    if (s.lines.length === 0) return changed();
    if (!o) {
      s.problem = new Error('A quantity or discount is not a number.');
      return changed();
    }
    try {
      s.quote = ws.quoteSale(o);
      const block = s.quote.findings.find((f) => f.severity === 'block');
      if (block) s.problem = new Error(block.message);
    } catch (err) {
      s.problem = err;
    }
    changed();
  };

  const preview = (): void => {
    s.preview = undefined;
    s.previewError = undefined;
    const total = s.refund?.proposal?.amount ?? s.quote?.total;
    if (total === undefined) return;
    try {
      s.preview = ws.tenderPreview(total, s.tenders);
    } catch (err) {
      s.previewError = err;
    }
  };

  const resetCart = (): void => {
    s.lines = [];
    s.orderDiscount = '';
    s.parkedId = undefined;
    s.quote = undefined;
    s.problem = undefined;
    s.tenders = [];
    s.preview = undefined;
    s.returning = false;
    s.outletId = s.view.settings?.walk_in_outlet ?? '';
  };

  const run = async (label: string, f: () => Promise<CounterView | void>): Promise<void> => {
    s.error = undefined;
    try {
      const v = await f();
      if (v) s.view = v;
      else s.view = ws.counter();
      s.notice = label;
    } catch (err) {
      s.error = err;
    }
    changed();
    onChange();
  };

  return {
    s,
    ws,
    watch: (l) => {
      listeners.push(l);
      l(s);
    },
    changed,
    order,
    add(p, quantity) {
      const same = s.lines.findIndex((l) => l.product.sku === p.sku && l.discount === '');
      const q = quantity ?? (p.quantity_places > 0 ? '' : '1');
      if (same >= 0 && p.quantity_places === 0 && quantity === undefined) {
        const prior = decimalInput(s.lines[same]!.quantity);
        // Counting scans is counting, not money: one more of a piece item.
        s.lines[same]!.quantity = 'value' in prior && /^\d+$/.test(prior.value) ? String(Number(prior.value) + 1) : s.lines[same]!.quantity;
      } else {
        s.lines.push({ product: p, quantity: q, discount: '' });
      }
      s.notice = `${p.name} added`;
      s.error = undefined;
      s.mode = 'sell';
      requote();
    },
    unknownCode(code) {
      s.error = new Error(`No product has the code ${code}.`);
      changed();
    },
    setLine(i, patch) {
      const l = s.lines[i];
      if (!l) return;
      Object.assign(l, patch);
      requote();
    },
    voidLine(i) {
      s.lines.splice(i, 1);
      s.notice = 'Line voided';
      requote();
    },
    voidCart() {
      resetCart();
      s.notice = 'Cart voided';
      changed();
    },
    requote,
    startTender() {
      if (!s.quote?.total || s.problem) return;
      s.tenders = [];
      s.mode = 'tender';
      s.notice = '';
      preview();
      changed();
    },
    addTender(t) {
      s.tenders.push(t);
      preview();
      changed();
    },
    removeTender(i) {
      s.tenders.splice(i, 1);
      preview();
      changed();
    },
    startReturn() {
      resetCart();
      s.returning = true;
      s.mode = 'sell';
      s.notice = 'Return without a receipt: scan or pick what comes back.';
      changed();
    },
    async completeSale(approval) {
      s.error = undefined;
      try {
        let receipt: ReceiptView;
        if (s.returning) {
          const o = order();
          if (!o) return;
          receipt = await ws.completeReturn(o, s.tenders, approval?.manager, approval?.pin);
        } else if (s.refund?.proposal) {
          const p = s.refund.proposal;
          receipt = await ws.completeRefund(p.order, s.tenders, p.refund_of);
          s.refund = undefined;
        } else {
          const o = order();
          if (!o) return;
          receipt = await ws.completeSale(o, s.tenders, s.parkedId);
        }
        s.view = ws.counter();
        s.receipt = receipt;
        s.copy = false;
        s.mode = 'receipt';
        s.notice = `Receipt ${receipt.number} saved on this device`;
        resetCart();
      } catch (err) {
        s.error = err;
      }
      changed();
      onChange();
    },
    async park(label) {
      const o = order();
      if (!o) return;
      await run('Cart parked', async () => {
        const v = await ws.parkCart(o, label);
        if (s.parkedId) await ws.dropParked(s.parkedId);
        resetCart();
        return s.parkedId ? ws.counter() : v;
      });
    },
    resume(id) {
      const cart = s.view.parked.find((p) => p.id === id);
      if (!cart) return;
      resetCart();
      s.outletId = cart.order.outlet_id;
      s.parkedId = id;
      s.orderDiscount = cart.order.order_discount_percent ?? '';
      for (const l of cart.order.lines) {
        const hit = ws.productByCode(l.sku, s.outletId);
        if (hit) s.lines.push({ product: hit, quantity: l.quantity, discount: l.discount_percent ?? '' });
      }
      s.mode = 'sell';
      s.notice = `Cart "${cart.label}" resumed`;
      requote();
    },
    showReceipt(orderId, copy) {
      try {
        s.receipt = ws.receipt(orderId);
        s.copy = copy;
        s.mode = 'receipt';
      } catch (err) {
        s.error = err;
      }
      changed();
    },
    run,
    setMode(m) {
      s.mode = m;
      s.error = undefined;
      if (m === 'tender') preview();
      changed();
    },
  };
}

/** Starts the tender of a refund as the module proposed it (its tenders prefilled). */
export function tenderRefund(c: Counter, receipt: ReceiptView, proposal: RefundProposal): void {
  c.s.refund = { receipt, proposal };
  c.s.tenders = [...proposal.tenders];
  c.setMode('tender');
}
