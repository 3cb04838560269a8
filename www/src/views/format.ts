// What the supervisor views share: money, quantities and times in the user's locale, and a
// failure in plain words. Amounts stay decimal strings end to end: Intl formats the string
// itself (Chromium formats a decimal string exactly), so no amount ever passes through a float.

import { describeError, errorText } from '../api.ts';

/** `Intl.NumberFormat.format` takes a decimal string since ES2023 (`StringNumericLiteral`); this
 * project's lib is ES2020, whose declaration only admits numbers. */
type DecimalFormat = (value: string) => string;

function decimalsOf(amount: string): number {
  const dot = amount.indexOf('.');
  return dot < 0 ? 0 : amount.length - dot - 1;
}

/** `amount` in `currency` (ISO 4217), with every digit it has and at least the currency's; the
 * plain string when there is no currency yet or the browser does not know it. */
export function formatMoney(amount: string, currency: string | undefined): string {
  if (!currency) return amount;
  try {
    const plain = new Intl.NumberFormat(navigator.language, { style: 'currency', currency });
    const usual = plain.resolvedOptions().maximumFractionDigits ?? 2;
    const digits = Math.min(20, Math.max(usual, decimalsOf(amount)));
    const nf = new Intl.NumberFormat(navigator.language, { style: 'currency', currency, maximumFractionDigits: digits });
    return (nf.format as unknown as DecimalFormat)(amount);
  } catch {
    return amount;
  }
}

/** A quantity with the locale's separators and all of its digits. */
export function formatQuantity(quantity: string): string {
  try {
    const nf = new Intl.NumberFormat(navigator.language, { maximumFractionDigits: Math.min(20, decimalsOf(quantity)) });
    return (nf.format as unknown as DecimalFormat)(quantity);
  } catch {
    return quantity;
  }
}

function formatDate(d: Date, fallback: string): string {
  if (Number.isNaN(d.getTime())) return fallback;
  return new Intl.DateTimeFormat(navigator.language, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** An RFC 3339 time. */
export function formatTime(iso: string): string {
  return formatDate(new Date(iso), iso);
}

/** A hybrid-logical-clock time (`<20 digits of Unix ms>-<counter>-<node>`): its wall time. */
export function formatHlc(hlc: string): string {
  const wall = /^(\d{20})-/.exec(hlc)?.[1];
  return wall === undefined ? hlc : formatDate(new Date(Number(wall)), hlc);
}

/** The currency of the prices, or undefined (before the reference data, or when locked). */
export function currencyOf(ws: { currency(): string | undefined }): string | undefined {
  try {
    return ws.currency();
  } catch {
    return undefined;
  }
}

/** A failure of a supervisor's action, in plain words (the module's code and message follow for
 * whoever reads it out to support). */
export function plainError(err: unknown): string {
  const e = describeError(err);
  const byDetail: Record<string, string> = {
    already_resolved: 'Someone already decided this one. The list is up to date again.',
    not_found: 'This item is no longer in the queue.',
    stale_conflict: 'The value changed since this conflict was recorded. It now shows the current value: choose again.',
  };
  const byCode: Record<string, string> = {
    network: 'No connection to the server. Nothing was changed; try again when you are online.',
    unauthorized: 'The server did not accept this device for supervisor work. Sign in again as a supervisor.',
    locked: 'The workspace is locked. Unlock it with your PIN and try again.',
  };
  const words = (e.detail && byDetail[e.detail]) || byCode[e.code];
  return words ? `${words} (${e.detail ?? e.code})` : errorText(err);
}
