// What the supervisor views add to the shared formatting (../format.ts): a hybrid-logical-clock
// time, the currency when the workspace may be locked, and a supervisor's failures in plain words.

import { describeError, errorText } from '../api.ts';
import { dateTime } from '../format.ts';

/** A hybrid-logical-clock time (`<20 digits of Unix ms>-<counter>-<node>`): its wall time. */
export function formatHlc(hlc: string): string {
  const wall = /^(\d{20})-/.exec(hlc)?.[1];
  return wall === undefined ? hlc : dateTime(new Date(Number(wall)).toISOString());
}

/** The currency of the prices, or undefined (before the reference data, or when locked). */
export function currencyOf(ws: { currency(): string | undefined }): string | undefined {
  try {
    return ws.currency();
  } catch {
    return undefined;
  }
}

/** A failure of a supervisor's action, in plain words (the code goes to the details line). */
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
  return (e.detail && byDetail[e.detail]) || byCode[e.code] || errorText(err);
}
