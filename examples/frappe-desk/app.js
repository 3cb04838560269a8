// A Sales Order form, Frappe desk style, priced, taxed and validated by @satchel/engine.
//
// In a Frappe app this is a client script or a desk page: `data.json` stands for what
// frappe.call loads (Item, Item Price, Customer, Bin) and `rules.json` is the rule set made from
// the company's Sales Taxes and Charges Template by
//   satchel-server rules from-erpnext --id in-gst-instate --currency INR --jurisdiction IN-RJ \
//     < sales-taxes-template.json > rules.json
// The page holds only what the user typed. Every rate, amount, tax and total it shows is the
// engine's, and so is every judgement (credit, stock, pack sizes, discount caps).

import init, { quoteOrder, normalizeDecimal, SatchelError } from '@satchel/engine';

const $ = (id) => document.getElementById(id);

await init();
const [data, rules] = await Promise.all(['data.json', 'rules.json'].map((f) => fetch(f).then((r) => r.json())));

/** What the user typed: one entry per Items row. */
const rows = [{ sku: 'TEA-250', quantity: '10', discount: '' }];

$('taxes-template').value = rules.id;
$('transaction-date').value = new Date().toISOString().slice(0, 10);
for (const c of data.customers) $('customer').append(new Option(`${c.name} (${c.id})`, c.id));

/** The request for quoteOrder, from the form; typed text becomes decimal strings here. */
function request() {
  const customer = data.customers.find((c) => c.id === $('customer').value);
  const lines = rows
    .map((row, i) => ({ row, i }))
    .filter(({ row }) => row.sku !== '')
    .map(({ row, i }) => {
      const line = { sku: row.sku, quantity: typed(row.quantity, `Row ${i + 1}: Quantity`) };
      if (row.discount.trim() !== '') line.discount_percent = typed(row.discount, `Row ${i + 1}: Discount`);
      return line;
    });
  return {
    settings: { rule_set: rules.id, currency: rules.currency.code, policy: data.policy },
    rules,
    products: data.items,
    price_lists: data.price_lists,
    outlet: customer,
    order: { outlet_id: customer.id, business_date: $('transaction-date').value, lines },
    context: { role: data.role, now: new Date().toISOString(), stock: data.stock },
  };
}

/** "2,5" and "2.5" both mean 2.5; anything else is the user's to fix, named by its label. */
function typed(text, label) {
  try {
    return normalizeDecimal(text);
  } catch (e) {
    if (e instanceof SatchelError) throw Object.assign(new Error(`${label}: "${text}" is not a number`), { typedField: label });
    throw e;
  }
}

function cell(text, className = '') {
  return Object.assign(document.createElement('td'), { textContent: text, className });
}

function renderItems(quote) {
  const body = $('items').tBodies[0];
  body.replaceChildren();
  let shown = 0;
  rows.forEach((row, i) => {
    const tr = document.createElement('tr');
    tr.dataset.row = String(i);
    const sku = document.createElement('select');
    sku.setAttribute('aria-label', `Row ${i + 1} item code`);
    sku.append(new Option('', ''));
    for (const item of data.items) sku.append(new Option(`${item.sku}: ${item.name}`, item.sku, false, item.sku === row.sku));
    sku.addEventListener('change', () => { row.sku = sku.value; refresh(); });
    const qty = Object.assign(document.createElement('input'), { value: row.quantity, inputMode: 'decimal', className: 'qty' });
    qty.setAttribute('aria-label', `Row ${i + 1} quantity`);
    qty.addEventListener('change', () => { row.quantity = qty.value; refresh(); });
    const disc = Object.assign(document.createElement('input'), { value: row.discount, inputMode: 'decimal', className: 'discount' });
    disc.setAttribute('aria-label', `Row ${i + 1} discount`);
    disc.addEventListener('change', () => { row.discount = disc.value; refresh(); });
    const remove = Object.assign(document.createElement('button'), { textContent: '×', className: 'btn-default' });
    remove.setAttribute('aria-label', `Delete row ${i + 1}`);
    remove.addEventListener('click', () => { rows.splice(i, 1); refresh(); });
    // The quote's lines are the non-empty rows, in order.
    const at = row.sku === '' ? -1 : shown++;
    const rate = at >= 0 && quote ? quote.unit_prices[at] : '';
    const amount = at >= 0 && quote?.taxes ? quote.taxes.lines[at].untaxed : '';
    const tds = [cell(String(i + 1)), document.createElement('td'), document.createElement('td'), document.createElement('td'),
      cell(rate, 'num rate'), cell(amount, 'num amount'), document.createElement('td')];
    tds[1].append(sku);
    tds[2].append(qty);
    tds[3].append(disc);
    tds[6].append(remove);
    tr.append(...tds);
    body.append(tr);
  });
}

function renderQuote(quote) {
  const taxes = quote?.taxes;
  $('taxes').tBodies[0].replaceChildren(
    ...(taxes?.taxes ?? []).map((t, i) => {
      const tr = document.createElement('tr');
      tr.append(cell(String(i + 1)), cell(t.name), cell(t.base, 'num'), cell(t.amount, 'num'));
      return tr;
    }),
  );
  const currency = taxes ? ` ${taxes.currency}` : '';
  $('net-total').textContent = taxes ? taxes.untaxed + currency : '–';
  $('total-taxes').textContent = taxes ? taxes.tax + currency : '–';
  $('grand-total').textContent = quote?.total ? quote.total + currency : '–';
  const shown = (quote?.verdict.findings ?? []).filter((f) => f.severity !== 'allow');
  $('findings').replaceChildren(
    ...shown.map((f) => Object.assign(document.createElement('li'), { textContent: f.message, className: f.severity, title: f.field })),
  );
  const state = !quote ? ['red', 'Error'] : quote.verdict.blocked ? ['red', 'Blocked'] : quote.verdict.flagged_for_review ? ['orange', 'Needs Approval'] : ['green', 'Ready to Save'];
  $('indicator').className = `indicator ${state[0]}`;
  $('indicator').textContent = state[1];
  $('save').disabled = !quote || quote.verdict.blocked;
  const customer = data.customers.find((c) => c.id === $('customer').value);
  $('customer-credit').textContent = customer.credit ? `Credit limit ${customer.credit.limit}, outstanding ${customer.credit.outstanding}` : '';
}

function refresh() {
  let quote = null;
  $('error').textContent = '';
  try {
    quote = quoteOrder(request());
  } catch (e) {
    if (e.typedField) $('error').textContent = e.message;
    else if (e instanceof SatchelError) $('error').textContent = `${e.message} (${e.detail} at ${e.field})`;
    else throw e;
  }
  renderItems(quote);
  renderQuote(quote);
  document.body.dataset.quoted = String((Number(document.body.dataset.quoted) || 0) + 1);
}

$('customer').addEventListener('change', refresh);
$('transaction-date').addEventListener('change', refresh);
$('add-row').addEventListener('click', () => { rows.push({ sku: '', quantity: '1', discount: '' }); refresh(); });
refresh();
document.body.dataset.ready = 'true';
