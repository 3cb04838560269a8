// An integrator's TypeScript against the package's declarations (generated from the Rust types):
// tests/e2e/embedding.test.mjs type-checks this file with tsc against dist/npm, so a declaration
// that breaks an integrator's build fails the tests.
import init, { TaxEngine, SatchelError, quoteOrder, roundAmount, sumAmounts, version } from '@satchel/engine';
import type { Quote, QuoteRequest, RuleSet, TaxDocument, TaxResult } from '@satchel/engine';

export async function totalOf(rules: RuleSet | string, document: TaxDocument): Promise<string> {
  await init();
  const engine = new TaxEngine(rules);
  const result: TaxResult = engine.compute(document);
  return result.total;
}

export function grandTotal(request: QuoteRequest): string | null {
  try {
    const quote: Quote = quoteOrder(request);
    return quote.verdict.blocked ? null : (quote.total ?? null);
  } catch (e) {
    if (e instanceof SatchelError && e.code === 'validation') {
      const where: string | undefined = e.field;
      console.warn(`fix ${where}: ${e.detail}`);
      return null;
    }
    throw e;
  }
}

export const helpers = [version(), roundAmount('2.345', '0.01', 'half_even'), sumAmounts(['0.10', '0.20'])];

export const doc: TaxDocument = {
  business_date: '2026-03-02',
  place_of_supply: 'CA-ON',
  // @ts-expect-error: amounts are decimal strings, never numbers
  lines: [{ id: '1', quantity: 2, unit_price: '10.00' }],
};
