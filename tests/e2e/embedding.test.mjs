// The ERP embedding kit (issue 19), from the packaged files only: dist/npm (built by
// `./build.sh package`) served at /node_modules/@satchel/engine/ beside examples/, as an
// integrator's site would serve them, in Chromium.
//
// - the package: its package.json, exports and version; its declarations type-check an
//   integrator's TypeScript (examples/typed) and refuse a number for an amount;
// - the plain page (examples/plain): taxes computed as the user types, errors shown with field;
// - the API at the boundary: numbers refused naming the field, zero amounts with the currency's
//   places, money helpers, rule sets validated with the field inside `rules`, quoteOrder's errors
//   inside `order`, `instanceof SatchelError`;
// - the Frappe desk form (examples/frappe-desk): an ERPNext template converted by the CLI, the
//   Items table priced, taxed and validated by quoteOrder as rows and the customer change.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { SERVER_BIN } from './support/server.mjs';
import { siteAndBrowser } from './support/site.mjs';
import { PACKAGE_DIR } from './support/static.mjs';

const PKG = '/node_modules/@satchel/engine';

describe('ERP embedding kit, from the packaged files', () => {
  const shared = siteAndBrowser();

  async function open(path) {
    const context = await shared.browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${shared.site.url}${path}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    return { context, page, errors };
  }

  test('the package: exports, version from Cargo, and declarations an integrator type-checks against', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'));
    assert.equal(pkg.name, '@satchel/engine');
    assert.equal(pkg.type, 'module');
    const cargo = readFileSync('Cargo.toml', 'utf8');
    const cargoVersion = /\[workspace\.package\][^[]*?\nversion\s*=\s*"([^"]+)"/.exec(cargo)[1];
    assert.equal(pkg.version, cargoVersion, 'the package carries the Cargo version');
    const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
    for (const t of targets) assert.ok(existsSync(join(PACKAGE_DIR, t)), `exports names ${t}, which is in the package`);
    for (const f of ['README.md', 'LICENSE', 'engine_bg.wasm', 'workspace/satchel_bg.wasm']) {
      assert.ok(existsSync(join(PACKAGE_DIR, f)), `${f} is in the package`);
    }
    const dts = readFileSync(join(PACKAGE_DIR, 'engine.d.ts'), 'utf8');
    for (const name of ['RuleSet', 'TaxDocument', 'TaxResult', 'QuoteRequest', 'Quote', 'Finding']) {
      assert.match(dts, new RegExp(`export type ${name} = `), `${name} is declared`);
    }
    assert.match(dts, /Prices, taxes and validates an order/, 'functions carry their doc comments');
    // examples/typed/usage.ts uses the API with its types and expects a number quantity to be a
    // type error (@ts-expect-error): tsc fails if either stops holding.
    execFileSync('npx', ['--no-install', 'tsc', '-p', 'examples/typed/tsconfig.json'], { stdio: 'pipe' });
  });

  test('the plain page computes Ontario HST as the user types, and shows a refusal with its field', async () => {
    const { context, page, errors } = await open('/plain/');
    try {
      assert.equal(await page.textContent('#total'), '22.60 CAD', '2 × 10.00 + 13 % HST');
      assert.deepEqual(await page.$$eval('#taxes tbody td', (tds) => tds.map((td) => td.textContent)), [
        'HST (federal part)', '20.00', '1.00', 'HST (Ontario part)', '20.00', '1.60',
      ]);
      await page.fill('#quantity', '2,5'); // a comma-locale keyboard
      await page.click('button');
      assert.equal(await page.textContent('#total'), '28.25 CAD', '25.00 + 3.25');
      await page.selectOption('#province', 'CA-XX');
      await page.click('button');
      const status = await page.textContent('#status');
      assert.match(status, /^validation \(unknown_jurisdiction\) at "place_of_supply"/, status);
      assert.equal(await page.textContent('#total'), '–');
      assert.deepEqual(errors, []);
      const outside = shared.site.requests.filter((p) => !p.startsWith(`${PKG}/`) && !p.startsWith('/plain/') && p !== '/favicon.ico');
      assert.deepEqual(outside, [], 'the page needs nothing but the package');
    } finally {
      await context.close();
    }
  });

  test('the API at the boundary: typed errors naming fields, decimal strings with the currency places, exact money', async () => {
    const { context, page } = await open('/plain/');
    try {
      const r = await page.evaluate(async (pkg) => {
        const m = await import(`${pkg}/index.js`);
        const caught = (f) => {
          try {
            f();
            return null;
          } catch (e) {
            return { instance: e instanceof m.SatchelError, name: e.name, code: e.code, field: e.field, detail: e.detail, message: e.message };
          }
        };
        const engine = new m.TaxEngine('ca');
        const doc = (lines, place = 'CA-ON') => ({ business_date: '2026-03-02', place_of_supply: place, lines });
        const zero = engine.compute(doc([{ id: 'z', quantity: '3', unit_price: '4.00', tax_class: 'zero_rated' }]));
        const ca = m.builtinRuleSet('ca');
        const badRules = structuredClone(ca);
        badRules.taxes[0].rates[0].rate = '-5';
        const request = {
          settings: { rule_set: 'ca', currency: 'CAD' },
          products: [{ sku: 'A', name: 'A', unit: 'pcs', quantity_places: 0 }],
          price_lists: [{ id: 'PL', outlet_group: 'G', valid_from: '2026-01-01', prices: { A: '2.50' } }],
          outlet: { id: 'O1', group: 'G', place_of_supply: 'CA-ON' },
          order: { outlet_id: 'O1', business_date: '2026-03-02', lines: [{ sku: 'A', quantity: '4' }] },
          context: { role: 'rep', now: '2026-03-02T10:00:00Z' },
        };
        const quote = m.quoteOrder(request);
        return {
          version: m.version(),
          engineVersion: engine.version,
          currency: engine.currency,
          numberQuantity: caught(() => engine.compute(doc([{ id: '1', quantity: 2, unit_price: '1.00' }]))),
          zeroAmounts: zero.taxes.map((t) => t.amount).concat([zero.tax]),
          jsonNumber: caught(() => engine.computeJson(JSON.stringify(doc([{ id: '1', quantity: '1', unit_price: 1.5 }])))),
          badRules: caught(() => new m.TaxEngine(badRules)),
          validated: caught(() => m.validateRuleSet(ca)),
          unknownRuleSet: caught(() => new m.TaxEngine('xx')),
          quote: { total: quote.total, unit_prices: quote.unit_prices, blocked: quote.verdict.blocked },
          unknownSku: caught(() => m.quoteOrder({ ...request, order: { ...request.order, lines: [{ sku: 'NOPE', quantity: '1' }] } })),
          numberInOrder: caught(() => m.quoteOrder({ ...request, order: { ...request.order, lines: [{ sku: 'A', quantity: 1 }] } })),
          missingOutlet: caught(() => m.quoteOrder({ ...request, outlet: undefined })),
          money: [m.sumAmounts(['0.10', '0.20']), m.roundAmount('2.345', '0.01'), m.roundAmount('2.345', '0.01', 'half_even'),
            m.roundAmount('2.32', '0.05'), m.formatAmount('5', '0.01'), m.normalizeDecimal('1,5')],
          roundings: [m.roundAmount('2.345', '0.01', 'half_down'), m.roundAmount('2.341', '0.01', 'up'),
            m.roundAmount('-2.349', '0.01', 'down')],
          badRounding: caught(() => m.roundAmount('1', '0.01', 'ceiling')),
          parity: (() => {
            // Issue 18's features through the package: Odoo 16's base-first rounding, a reverse
            // charge (repartition +100/-100) and a withholding (a negative rate).
            const rate = (r) => [{ from: '2000-01-01', rate: r }];
            const e = new m.TaxEngine({
              id: 'parity', version: '1', currency: { code: 'EUR', step: '0.01' }, dialect: { kind: 'odoo16', scope: 'line' },
              taxes: [
                { code: 'VAT12', name: 'VAT 12 %', kind: 'percent', price_include: true, rates: rate('12') },
                { code: 'RC', name: 'VAT 21 % (reverse charge)', kind: 'percent', rates: rate('21'),
                  repartition: [{ label: 'payable', factor: '100' }, { label: 'deductible', factor: '-100' }] },
                { code: 'IRPF', name: 'IRPF -15 %', kind: 'percent', rates: rate('-15') },
              ],
              jurisdictions: ['VAT12', 'RC', 'IRPF'].map((t) => ({ code: t, name: t, schedules: [{ from: '2000-01-01', taxes: [t] }] })),
            });
            const one = (place, price) => e.compute({ business_date: '2024-06-01', place_of_supply: place, lines: [{ id: '1', quantity: '1', unit_price: price }] });
            const included = one('VAT12', '52.50');
            const reverse = one('RC', '1000.00');
            const withheld = one('IRPF', '1000.00');
            return {
              included: [included.untaxed, included.tax, included.dialect],
              reverse: [reverse.tax, reverse.total, reverse.taxes[0].computed, reverse.taxes[0].parts.map((p) => p.amount)],
              withheld: [withheld.tax, withheld.total],
            };
          })(),
          formatNumber: caught(() => m.formatAmount(5, '0.01')),
          tooPrecise: caught(() => m.formatAmount('1.234', '0.01')),
          badSum: caught(() => m.sumAmounts(['1', 'x'])),
          notANumber: caught(() => m.normalizeDecimal('1.000,50')),
        };
      }, PKG);
      const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'));
      assert.equal(r.version, pkg.version);
      assert.match(r.engineVersion, /^ca@/);
      assert.deepEqual(r.currency, { code: 'CAD', step: '0.01' });
      assert.deepEqual(
        { ...r.numberQuantity, message: undefined },
        { instance: true, name: 'SatchelError', code: 'validation', field: 'lines[0].quantity', detail: 'wrong_type', message: undefined },
      );
      assert.match(r.numberQuantity.message, /^lines\[0\]\.quantity: invalid type: integer `2`, expected a decimal number written as a string/);
      assert.ok(r.zeroAmounts.length > 1 && r.zeroAmounts.every((a) => a === '0.00'), `zero taxes print 0.00: ${r.zeroAmounts}`);
      assert.equal(r.jsonNumber.field, 'lines[0].unit_price');
      assert.equal(r.badRules.field.startsWith('rules.taxes[0].rates[0]'), true, r.badRules.field);
      assert.equal(r.badRules.detail, 'invalid_rule');
      assert.equal(r.validated, null, 'the built-in rule set is valid');
      assert.deepEqual([r.unknownRuleSet.field, r.unknownRuleSet.detail], ['rules', 'unknown_rule_set']);
      assert.deepEqual(r.quote, { total: '11.30', unit_prices: ['2.50'], blocked: false }, '4 × 2.50 + 13 % HST');
      assert.deepEqual([r.unknownSku.field, r.unknownSku.detail], ['order.lines[0].sku', 'unknown_product']);
      assert.deepEqual([r.numberInOrder.field, r.numberInOrder.detail], ['order.lines[0].quantity', 'wrong_type']);
      assert.deepEqual([r.missingOutlet.field, r.missingOutlet.detail], ['', 'missing_field']);
      assert.match(r.missingOutlet.message, /missing field `outlet`/);
      assert.deepEqual(r.money, ['0.30', '2.35', '2.34', '2.30', '5.00', '1.5']);
      assert.deepEqual(r.roundings, ['2.34', '2.35', '-2.34'], 'half-down, up, down');
      assert.deepEqual([r.badRounding.field, r.badRounding.detail], ['rounding', 'bad_value']);
      assert.deepEqual(r.parity.included, ['46.88', '5.62', 'odoo16 (round per line)'], 'Odoo 16 rounds the base first');
      assert.deepEqual(r.parity.reverse, ['0.00', '1000.00', '210.00', ['210.00', '-210.00']], 'a reverse charge is reported, not charged');
      assert.deepEqual(r.parity.withheld, ['-150.00', '850.00'], 'a withholding reduces the total');
      assert.deepEqual([r.formatNumber.field, r.formatNumber.detail], ['amount', 'wrong_type']);
      assert.deepEqual([r.tooPrecise.field, r.tooPrecise.detail], ['amount', 'too_precise']);
      assert.deepEqual([r.badSum.field, r.badSum.detail], ['amounts[1]', 'not_a_number']);
      assert.deepEqual([r.notANumber.field, r.notANumber.detail], ['text', 'not_a_number']);
    } finally {
      await context.close();
    }
  });

  test('the ERPs\' arithmetic through the package: Odoo 18 rounding globally, fiscal positions, a company currency, ERPNext\'s net total and grand-total discount', async () => {
    const { context, page } = await open('/plain/');
    try {
      const r = await page.evaluate(async (pkg) => {
        const m = await import(`${pkg}/index.js`);
        const caught = (f) => {
          try {
            f();
            return null;
          } catch (e) {
            return { code: e.code, field: e.field, detail: e.detail };
          }
        };
        const rate = (x) => [{ from: '2000-01-01', rate: x }];
        const rules = (dialect, whole = false) => ({
          id: 'erp', version: '1', currency: { code: 'EUR', step: '0.01' }, dialect,
          taxes: [
            { code: 'VAT21', name: 'VAT 21 %', kind: 'percent', price_include: true, rates: rate('21') },
            { code: 'EXP0', name: 'Export 0 %', kind: 'percent', rates: rate('0') },
            { code: 'T10', name: '10 %', kind: 'percent', rates: rate('10') },
            { code: 'I5', name: '5 % included', kind: 'percent', price_include: true, rates: rate('5') },
            ...(whole ? [{ code: 'DIV100', name: 'Whole price', kind: 'division', price_include: true, rates: rate('100') }] : []),
          ],
          jurisdictions: ['VAT21', 'T10', 'I5', ...(whole ? ['DIV100'] : [])].map((t) => ({ code: t, name: t, schedules: [{ from: '2000-01-01', taxes: [t] }] })),
          fiscal_positions: [{ code: 'EXPORT', name: 'Export', map: [{ from: 'VAT21', to: ['EXP0'] }] }],
        });
        const doc = (place, prices, extra = {}) => ({
          business_date: '2024-06-01', place_of_supply: place,
          lines: prices.map((p, i) => ({ id: String(i + 1), quantity: '1', unit_price: p })), ...extra,
        });
        const odoo = new m.TaxEngine(rules({ kind: 'odoo', scope: 'document' }, true));
        const erpnext = new m.TaxEngine(rules({ kind: 'erpnext', rounding_method: 'bankers' }));
        const globally = odoo.compute(doc('VAT21', ['21.53', '21.53']));
        const exported = odoo.compute(doc('VAT21', ['121.00'], { fiscal_position: 'EXPORT' }));
        const usd = odoo.compute(doc('T10', ['1.00', '1.00', '1.00'], { company_currency: { code: 'USD', step: '0.01', inverse_rate: '1.111111111111' } }));
        const whole = odoo.compute(doc('DIV100', ['100.00']));
        const net = erpnext.compute(doc('I5', ['10.00', '10.00', '10.01']));
        const grand = erpnext.compute(doc('T10', ['100.00', '50.00'], { document_discount: { amount: '11.00' }, document_discount_on: 'grand_total' }));
        return {
          globally: globally.lines.map((l) => [l.untaxed, l.tax]).concat([[globally.untaxed, globally.tax, globally.total]]),
          exported: [exported.gross, exported.tax, exported.total, exported.taxes.map((t) => t.code)],
          usd: [usd.tax, usd.company.currency, usd.company.tax, usd.company.lines.map((l) => l.tax)],
          whole: [whole.untaxed, whole.tax, whole.total],
          net: [net.untaxed, net.tax, net.rounding_difference, net.total, net.lines.map((l) => l.rounding_difference ?? null)],
          grand: [grand.lines.map((l) => l.untaxed), grand.tax, grand.total],
          unknownPosition: caught(() => odoo.compute(doc('VAT21', ['1.00'], { fiscal_position: 'NOPE' }))),
          grandElsewhere: caught(() => odoo.compute(doc('T10', ['1.00'], { document_discount: { amount: '0.10' }, document_discount_on: 'grand_total' }))),
          twoRates: caught(() => odoo.compute(doc('T10', ['1.00'], { company_currency: { code: 'USD', step: '0.01', rate: '1', inverse_rate: '1' } }))),
          wholeElsewhere: caught(() => new m.TaxEngine(rules({ kind: 'erpnext', rounding_method: 'bankers' }, true))),
        };
      }, PKG);
      assert.deepEqual(r.globally, [['17.80', '3.73'], ['17.79', '3.74'], ['35.59', '7.47', '43.06']], 'the cents given back as Odoo 18 does');
      assert.deepEqual(r.exported, ['100.00', '0.00', '100.00', ['EXP0']], 'an export takes the included VAT out of the price');
      assert.deepEqual(r.usd, ['0.30', 'USD', '0.27', ['0.09', '0.09', '0.09']], 'each side rounded globally on its own');
      assert.deepEqual(r.whole, ['0.00', '100.00', '100.00'], 'a 100 % division tax is the whole price');
      assert.deepEqual(r.net, ['28.57', '1.43', '0.01', '30.01', [null, '0.01', null]], "ERPNext's net total and its grand_total_diff");
      assert.deepEqual(r.grand, [['93.33', '46.67'], '14.00', '154.00'], '11.00 off the grand total');
      assert.deepEqual([r.unknownPosition.field, r.unknownPosition.detail], ['fiscal_position', 'invalid_input']);
      assert.deepEqual([r.grandElsewhere.field, r.grandElsewhere.detail], ['document_discount_on', 'unsupported']);
      assert.deepEqual([r.twoRates.field, r.twoRates.detail], ['company_currency', 'invalid_input']);
      assert.deepEqual([r.wholeElsewhere.field, r.wholeElsewhere.detail], ['rules.taxes[4].rates[0].rate', 'invalid_rule'], 'only the Odoo dialects take a 100 % division');
    } finally {
      await context.close();
    }
  });

  test('an Odoo export converted per line: each line pays the taxes it names, alternatives stay alternatives', async () => {
    const rules = JSON.parse(
      execFileSync(SERVER_BIN, ['rules', 'from-odoo', '--id', 'be', '--currency', 'EUR', '--jurisdiction', 'BE'], {
        input: readFileSync('tests/fixtures/erp-exports/odoo-be-vat.json'),
      }),
    );
    const { context, page } = await open('/plain/');
    try {
      const r = await page.evaluate(
        async ({ pkg, rules }) => {
          const m = await import(`${pkg}/index.js`);
          const engine = new m.TaxEngine(rules);
          const doc = (lines) => ({ business_date: '2026-03-02', place_of_supply: 'BE', lines });
          const mixed = engine.compute(
            doc([
              { id: '1', quantity: '1', unit_price: '100.00', extra_taxes: ['21-1'] },
              { id: '2', quantity: '2', unit_price: '25.00', extra_taxes: ['6-2'] },
            ]),
          );
          // No line names a tax: nothing to charge.
          const none = engine.compute(doc([{ id: '1', quantity: '3', unit_price: '3.33' }]));
          return {
            taxes: mixed.taxes.map((t) => [t.code, t.amount]),
            total: mixed.total,
            none: [none.tax, none.total, none.taxes.length],
          };
        },
        { pkg: PKG, rules },
      );
      assert.deepEqual(r.taxes, [['21-1', '21.00'], ['6-2', '3.00']], '21 % on the first line only, 6 % on the second only');
      assert.equal(r.total, '174.00');
      assert.deepEqual(r.none, ['0.00', '9.99', 0]);
    } finally {
      await context.close();
    }
  });

  test('the Frappe desk form: the converted ERPNext template taxes the Items table, and quoteOrder judges credit, packs and discounts', async () => {
    // The committed rule set is what the CLI makes of the committed template today.
    const converted = execFileSync(
      SERVER_BIN,
      ['rules', 'from-erpnext', '--id', 'in-gst-instate', '--version', '2026-12-01', '--currency', 'INR', '--jurisdiction', 'IN-RJ', '--from', '2026-01-01'],
      { input: readFileSync('examples/frappe-desk/sales-taxes-template.json') },
    );
    assert.deepEqual(JSON.parse(converted), JSON.parse(readFileSync('examples/frappe-desk/rules.json', 'utf8')));

    const { context, page, errors } = await open('/frappe-desk/');
    const quoted = async (action) => {
      const before = await page.getAttribute('body', 'data-quoted');
      await action();
      await page.waitForFunction((n) => document.body.dataset.quoted !== n, before);
    };
    const figures = () =>
      page.evaluate(() => ({
        amounts: [...document.querySelectorAll('#items td.amount')].map((td) => td.textContent),
        rates: [...document.querySelectorAll('#items td.rate')].map((td) => td.textContent),
        taxes: [...document.querySelectorAll('#taxes tbody tr')].map((tr) => [...tr.cells].slice(1).map((c) => c.textContent).join(' ')),
        net: document.getElementById('net-total').textContent,
        tax: document.getElementById('total-taxes').textContent,
        grand: document.getElementById('grand-total').textContent,
        indicator: document.getElementById('indicator').textContent,
        findings: [...document.querySelectorAll('#findings li')].map((li) => `${li.className}: ${li.title}`),
        error: document.getElementById('error').textContent,
        saveDisabled: document.getElementById('save').disabled,
      }));
    try {
      // 10 × 145.00 = 1450.00; CGST 9 % = 130.50 and SGST 9 % = 130.50; 1711.00.
      let f = await figures();
      assert.deepEqual([f.rates, f.amounts, f.taxes], [['145.00'], ['1450.00'], ['CGST 9% 1450.00 130.50', 'SGST 9% 1450.00 130.50']]);
      assert.deepEqual([f.net, f.tax, f.grand, f.indicator, f.saveDisabled], ['1450.00 INR', '261.00 INR', '1711.00 INR', 'Ready to Save', false]);

      // Rice comes in packs of 4: 3 is blocked.
      await quoted(() => page.click('#add-row'));
      await quoted(() => page.selectOption('tr[data-row="1"] select', 'RICE-5K'));
      await quoted(() => page.fill('tr[data-row="1"] input.qty', '3').then(() => page.press('tr[data-row="1"] input.qty', 'Tab')));
      f = await figures();
      assert.equal(f.indicator, 'Blocked');
      assert.equal(f.saveDisabled, true);
      assert.deepEqual(f.findings, ['block: lines[1].quantity']);

      // 8 packs' worth: 8 × 612.50 = 4900.00; net 6350.00, each GST half 571.50, 7493.00.
      await quoted(() => page.fill('tr[data-row="1"] input.qty', '8').then(() => page.press('tr[data-row="1"] input.qty', 'Tab')));
      f = await figures();
      assert.deepEqual([f.amounts, f.net, f.tax, f.grand, f.indicator], [['1450.00', '4900.00'], '6350.00 INR', '1143.00 INR', '7493.00 INR', 'Ready to Save']);

      // Gupta Kirana has 200.00 of credit left: the order needs approval.
      await quoted(() => page.selectOption('#customer', 'CUST-0002'));
      f = await figures();
      assert.equal(f.indicator, 'Needs Approval');
      assert.deepEqual(f.findings, ['warn_and_flag: outlet.credit']);
      assert.equal(f.saveDisabled, false);

      // A sales user may give 15 %: 20 % is blocked; 10 % on 1450.00 leaves 1305.00.
      await quoted(() => page.fill('tr[data-row="0"] input.discount', '20').then(() => page.press('tr[data-row="0"] input.discount', 'Tab')));
      f = await figures();
      assert.equal(f.indicator, 'Blocked');
      assert.ok(f.findings.includes('block: lines[0].discount_percent'), f.findings.join());
      await quoted(() => page.fill('tr[data-row="0"] input.discount', '10').then(() => page.press('tr[data-row="0"] input.discount', 'Tab')));
      f = await figures();
      assert.deepEqual([f.amounts, f.net], [['1305.00', '4900.00'], '6205.00 INR']);

      // What the user typed wrong is named, and nothing is priced.
      await quoted(() => page.fill('tr[data-row="0"] input.qty', 'ten').then(() => page.press('tr[data-row="0"] input.qty', 'Tab')));
      f = await figures();
      assert.equal(f.error, 'Row 1: Quantity: "ten" is not a number');
      assert.deepEqual([f.grand, f.indicator, f.saveDisabled], ['–', 'Error', true]);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
