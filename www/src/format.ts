// How numbers, money and times read for people: `Intl`, in the device's locale.
//
// Amounts arrive as decimal strings from the module and stay strings: `Intl.NumberFormat`
// formats a decimal *string* exactly (no float in between), and what the user types is turned
// into the API's plain decimal text by the module's `normalizeDecimal` (core's rule), never by
// `parseFloat`.

import { normalizeDecimal } from '../pkg/satchel.js';

/** The locale every text is formatted in: the device's (`?locale=` overrides it, for tests). */
export const LOCALE: string = (() => {
  const wanted = new URLSearchParams(location.search).get('locale');
  try {
    if (wanted) return Intl.getCanonicalLocales(wanted)[0] ?? navigator.language;
  } catch {
    // An invalid tag: fall back to the device's.
  }
  return navigator.language || 'en';
})();

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** `"13737.29"` in CAD → "$13,737.29" (en-CA) or "13 737,29 $" (fr-CA). Without a currency (no
 * reference data yet), the amount with the locale's grouping. */
export function money(amount: string | undefined, currency: string | undefined): string {
  if (amount === undefined || amount === '') return '—';
  const key = currency ?? '';
  let f = moneyFormats.get(key);
  if (!f) {
    try {
      f = currency
        ? new Intl.NumberFormat(LOCALE, { style: 'currency', currency, maximumFractionDigits: 20 })
        : new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 20 });
    } catch {
      f = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 20 });
    }
    moneyFormats.set(key, f);
  }
  // The string overload keeps every digit (ES2023 Intl.NumberFormat v3).
  return f.format(amount as unknown as number);
}

const quantityFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 20 });

/** A quantity or percent for reading ("1,5" in de-DE), from the module's decimal string. */
export function quantity(value: string): string {
  return /^-?\d+(\.\d+)?$/.test(value) ? quantityFormat.format(value as unknown as number) : value;
}

/** The locale's decimal separator ("," in de-DE), for placeholders and input hints. */
export const DECIMAL_SEPARATOR: string =
  new Intl.NumberFormat(LOCALE).formatToParts(1.5).find((p) => p.type === 'decimal')?.value ?? '.';

/** What the user typed in a number field as the API's decimal text ("1,5" → "1.5"), or why not. */
export function decimalInput(text: string): { value: string } | { error: string } {
  if (text.trim() === '') return { value: '' };
  try {
    return { value: normalizeDecimal(text) };
  } catch {
    return { error: `"${text.trim()}" is not a number. Use digits and one "${DECIMAL_SEPARATOR}".` };
  }
}

const dateTimeFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'short' });
const timeFormat = new Intl.DateTimeFormat(LOCALE, { timeStyle: 'short' });
const dateFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(LOCALE, { numeric: 'auto' });

/** A moment in full, date and time, as a printed document states it. */
export function fullDateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTimeFormat.format(d);
}

/** A moment for people: the time alone if it was today, else date and time. */
export function dateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toDateString() === new Date().toDateString() ? timeFormat.format(d) : dateTimeFormat.format(d);
}

/** A calendar date ("2026-12-04") in the locale's words. */
export function date(ymd: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  if (!m) return ymd;
  return dateFormat.format(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

/** How long ago: "2 hours ago", "yesterday", "now". */
export function ago(iso: string, now = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((t - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return relative.format(0, 'second');
  if (abs < 3600) return relative.format(Math.round(s / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(s / 3600), 'hour');
  return relative.format(Math.round(s / 86_400), 'day');
}

/** "as of 09:12 (2 hours ago)": a figure's age, with the time it was true. */
export function asOf(iso: string): string {
  return `as of ${dateTime(iso)} (${ago(iso)})`;
}

/** A duration for people: "850 ms", "4.2 s", "3 min", "2 h" (durations, not money). */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/** "1 order" / "3 orders". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
