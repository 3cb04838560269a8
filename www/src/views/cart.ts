// The cart: the order's lines (quantity stepper, discount), the order-level options, and
// every figure the module's quote gives (line nets and taxes, the breakdown, totals, findings).
// A number that cannot be read is marked on its field, with the reason right under it.

import { describeError, errorText, type FindingView } from '../api.ts';
import { h, replaceChildren, reveal } from '../dom.ts';
import { DECIMAL_SEPARATOR, money } from '../format.ts';
import type { Draft, DraftOptions, State, Store } from '../store.ts';
import type { OrderActions } from '../workspace/actions.ts';

interface LineRow {
  el: HTMLElement;
  qty: HTMLInputElement;
  discount: HTMLInputElement;
  net: HTMLElement;
  taxes: HTMLElement;
  problem: HTMLElement;
}

export function renderCart(store: Store, act: OrderActions): HTMLElement {
  const lineList = h('ul', { class: 'lines', 'data-testid': 'order-lines' });
  const amount = (id: string): HTMLElement => h('span', { 'data-testid': id, 'data-amount': '' }, '—');
  const subtotal = amount('totals-subtotal');
  const tax = amount('totals-tax');
  const total = amount('totals-total');
  const breakdown = h('dl', { class: 'breakdown', 'data-testid': 'tax-breakdown' });
  const findings = h('ul', { class: 'findings', 'data-testid': 'findings', 'aria-live': 'polite' });
  const quoteProblem = h('p', { class: 'field-error', 'data-testid': 'quote-error', role: 'alert', hidden: true });

  // Order-level fields, folded away: most orders need none of them.
  const text = (id: string, label: string, attrs: Record<string, string | number> = {}): [HTMLElement, HTMLInputElement] => [
    h('label', { for: id }, label),
    h('input', { id, type: 'text', autocomplete: 'off', 'data-testid': id, ...attrs }),
  ];
  const [l1, orderDiscount] = text('order-discount', 'Order discount (%)', { inputmode: 'decimal', placeholder: `0${DECIMAL_SEPARATOR}0` });
  const orderDiscountProblem = h('p', { class: 'field-error', 'data-testid': 'order-discount-error', hidden: true });
  const [l2, note] = text('order-note', 'Note', { maxlength: 500 });
  const [l3, deliveryDate] = text('delivery-date', 'Requested delivery', { type: 'date' });
  const isReturn = h('input', { id: 'is-return', type: 'checkbox', 'data-testid': 'is-return' });
  const cash = h('input', { id: 'is-cash', type: 'checkbox', 'data-testid': 'is-cash' });
  const options = h(
    'details',
    { class: 'options', 'data-testid': 'order-options' },
    h('summary', {}, 'Discount, note, delivery date, return'),
    l1, orderDiscount, orderDiscountProblem, l2, note, l3, deliveryDate,
    h('label', { class: 'check', for: 'is-return' }, isReturn, 'Return: goods come back'),
    h('label', { class: 'check', for: 'is-cash' }, cash, 'Paid cash on delivery'),
  );
  const onOptions = (): void => {
    const o: Partial<DraftOptions> = { orderDiscount: orderDiscount.value.trim(), note: note.value, deliveryDate: deliveryDate.value, isReturn: isReturn.checked, cash: cash.checked };
    act.setOptions(o);
  };
  for (const el of [orderDiscount, note, deliveryDate]) el.addEventListener('input', onOptions);
  for (const el of [isReturn, cash]) el.addEventListener('change', onOptions);

  const section = h(
    'section',
    { class: 'card cart', 'data-testid': 'order-entry', 'aria-labelledby': 'cart-title', hidden: true },
    h('h2', { id: 'cart-title' }, 'Order'),
    lineList,
    options,
    quoteProblem,
    h('dl', { class: 'totals' }, h('dt', {}, 'Before tax'), h('dd', {}, subtotal), h('dt', {}, 'Tax'), h('dd', {}, tax), h('dt', { class: 'grand' }, 'Total'), h('dd', { class: 'grand' }, total)),
    breakdown,
    findings,
  );

  let rows: LineRow[] = [];
  let shape = '';
  let shownDraft: Draft | undefined;
  const buildRows = (st: State): void => {
    rows = st.draft.lines.map((line, index) => {
      const name = line.product.name;
      const qty = h('input', { type: 'text', inputmode: 'decimal', class: 'qty', value: line.quantity, autocomplete: 'off', 'aria-label': `Quantity of ${name}`, 'data-testid': 'line-qty' });
      qty.addEventListener('input', () => act.setQuantity(index, qty.value));
      const dec = h('button', { type: 'button', class: 'step', 'aria-label': `One less ${name}`, 'data-testid': 'qty-dec', onclick: () => act.stepQuantity(index, -1) }, '−');
      const inc = h('button', { type: 'button', class: 'step', 'aria-label': `One more ${name}`, 'data-testid': 'qty-inc', onclick: () => act.stepQuantity(index, 1) }, '+');
      const remove = h('button', { type: 'button', class: 'ghost-dark', 'aria-label': `Remove ${name}`, 'data-testid': 'remove-line', onclick: () => act.removeLine(index) }, 'Remove');
      const discount = h('input', { type: 'text', inputmode: 'decimal', class: 'discount', value: line.discount, placeholder: '0', autocomplete: 'off', 'aria-label': `Discount in percent on ${name}`, 'data-testid': 'line-discount' });
      discount.addEventListener('input', () => act.setDiscount(index, discount.value));
      const net = h('span', { class: 'net', 'data-testid': 'line-net' });
      const taxes = h('span', { class: 'meta', 'data-testid': 'line-taxes' });
      const problem = h('p', { class: 'field-error', 'data-testid': 'line-error', role: 'alert', hidden: true });
      const price = line.product.unit_price === undefined ? 'no price' : money(line.product.unit_price, st.currency);
      const el = h(
        'li',
        { class: 'line', 'data-testid': 'order-line', 'data-sku': line.product.sku },
        h('div', { class: 'row' }, h('span', { class: 'name' }, name), remove),
        h('div', { class: 'row' }, h('span', { class: 'meta', 'data-testid': 'line-price' }, `${price} / ${line.product.unit}`), net),
        h('div', { class: 'row' }, h('span', { class: 'stepper' }, dec, qty, inc), h('label', { class: 'inline', title: 'Discount in percent' }, 'Disc. %', discount)),
        problem,
        taxes,
      );
      return { el, qty, discount, net, taxes, problem };
    });
    replaceChildren(lineList, ...(rows.length === 0 ? [h('li', { class: 'muted empty' }, 'Search a product above and tap Add.')] : rows.map((r) => r.el)));
  };

  store.watch(['draft', 'quote', 'problems', 'quoteError', 'currency'], (st) => {
    const d = st.draft;
    section.hidden = !d.outlet;
    if (d.id) section.dataset['draftId'] = d.id;
    else delete section.dataset['draftId'];
    if (d.savedLines === undefined) delete section.dataset['savedLines'];
    else section.dataset['savedLines'] = String(d.savedLines);
    if (!d.outlet) return;
    // Rows are rebuilt only when lines come or go, or another draft opens; typing keeps its
    // field and focus (the first save giving the draft its id changes neither).
    const nextShape = d.lines.map((l) => l.product.sku).join(',');
    if (nextShape !== shape || d !== shownDraft) {
      shape = nextShape;
      shownDraft = d;
      buildRows(st);
      orderDiscount.value = d.options.orderDiscount;
      note.value = d.options.note;
      deliveryDate.value = d.options.deliveryDate;
      isReturn.checked = d.options.isReturn;
      cash.checked = d.options.cash;
    }
    rows.forEach((r, i) => {
      const l = d.lines[i];
      if (l && document.activeElement !== r.qty && r.qty.value !== l.quantity) r.qty.value = l.quantity;
    });
    showFigures(st);
  });

  function showFigures(st: State): void {
    const q = st.quote;
    const problemOf = (field: string): string | undefined => st.problems.find((p) => p.field === field)?.message;
    // The module refused a field of the quote (a quantity below the minimum, ...): mark it.
    const refused = st.quoteError === undefined ? undefined : describeError(st.quoteError);
    const finding = (field: string): FindingView | undefined => q?.findings.find((f) => f.severity === 'block' && f.field === field);
    rows.forEach((r, i) => {
      const qtyField = `lines[${i}].quantity`;
      const message = problemOf(qtyField) ?? problemOf(`lines[${i}].discount_percent`) ??
        (refused?.field?.startsWith(`lines[${i}]`) ? errorText(st.quoteError) : undefined) ?? finding(qtyField)?.message;
      const wasHidden = r.problem.hidden;
      r.problem.textContent = message ?? '';
      r.problem.hidden = message === undefined;
      r.qty.toggleAttribute('aria-invalid', message !== undefined && !problemOf(`lines[${i}].discount_percent`));
      r.discount.toggleAttribute('aria-invalid', problemOf(`lines[${i}].discount_percent`) !== undefined);
      if (r.qty.hasAttribute('aria-invalid')) r.qty.setAttribute('aria-invalid', 'true');
      if (r.discount.hasAttribute('aria-invalid')) r.discount.setAttribute('aria-invalid', 'true');
      if (wasHidden && message !== undefined) reveal(r.el);
      r.net.textContent = q?.lines[i]?.net === undefined ? '' : money(q.lines[i]?.net, st.currency);
      r.net.dataset['amount'] = q?.lines[i]?.net ?? '';
      r.taxes.textContent = (q?.lines[i]?.taxes ?? []).map((t) => `${t.code} ${money(t.amount, st.currency)}`).join(' · ');
    });
    const od = problemOf('order_discount_percent');
    orderDiscountProblem.textContent = od ?? '';
    orderDiscountProblem.hidden = od === undefined;
    if (od) orderDiscount.setAttribute('aria-invalid', 'true');
    else orderDiscount.removeAttribute('aria-invalid');
    const wholeOrder = refused && !refused.field?.startsWith('lines[') ? errorText(st.quoteError) : undefined;
    quoteProblem.textContent = wholeOrder ?? '';
    quoteProblem.hidden = wholeOrder === undefined;
    for (const [el, v] of [[subtotal, q?.untaxed], [tax, q?.tax], [total, q?.total]] as const) {
      el.textContent = v === undefined ? '—' : money(v, st.currency);
      el.dataset['amount'] = v ?? '';
    }
    replaceChildren(
      breakdown,
      ...(q?.taxes ?? []).flatMap((t) => [h('dt', {}, `${t.name} (${t.code})`), h('dd', { 'data-testid': 'tax-line', 'data-code': t.code, 'data-amount': t.amount }, money(t.amount, st.currency))]),
    );
    replaceChildren(
      findings,
      ...(q?.findings ?? []).map((f) =>
        h(
          'li',
          { class: `finding ${f.severity}`, 'data-testid': 'finding', 'data-rule': f.rule, 'data-severity': f.severity, 'data-field': f.field },
          h('strong', {}, f.severity === 'block' ? 'Cannot commit: ' : 'Warning: '),
          f.message,
          f.severity === 'warn_and_flag' ? h('span', { class: 'meta' }, ' (will be flagged for review)') : null,
        ),
      ),
    );
  }

  return section;
}
