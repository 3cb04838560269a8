// The delivery day's state and the actions that change it. Views (views/day/*) render it and
// call the actions; every figure comes from the module: the route's customer context, open
// invoices and credit, the live summary, and the end's settlement (`ws.previewEnd`).

import type { DayView, EndedDayView, Workspace } from '../api.ts';

/** What is open under a stop: collecting, proving delivery, or saying why not. */
export type Panel = { kind: 'collect' | 'proof' | 'failed' | 'skipped'; taskId: string } | undefined;

export interface DayState {
  view: DayView;
  panel: Panel;
  /** The end screen is shown. */
  ending: boolean;
  /** The day just ended on this screen. */
  ended: EndedDayView | undefined;
  notice: string;
  error: unknown;
}

type Listener = (s: DayState) => void;

export interface Day {
  readonly s: DayState;
  readonly ws: Workspace;
  watch(l: Listener): void;
  /** Re-reads the day (after a sync, another tab, a commit) unless a form is open. */
  refresh(force?: boolean): void;
  /** Runs a change; on success shows `ok` and the module's new view, on failure its error. */
  run(f: () => Promise<DayView | void>, ok: string): Promise<boolean>;
  setPanel(p: Panel): void;
  setEnding(on: boolean): void;
  endDay(f: () => Promise<EndedDayView>): Promise<void>;
  /** Starts the order billed from a stop, prefilled with what its task asks for. */
  bill(taskId: string): void;
}

export function createDay(ws: Workspace, hooks: { bill(taskId: string): void; changed(): void; lock(): void }): Day {
  const s: DayState = { view: ws.day(), panel: undefined, ending: false, ended: undefined, notice: '', error: undefined };
  const listeners: Listener[] = [];
  const changed = (): void => {
    for (const l of listeners) l(s);
  };
  let busy = false;
  return {
    s,
    ws,
    watch(l) {
      listeners.push(l);
      l(s);
    },
    refresh(force = false) {
      if (!force && (s.panel || s.ending)) return;
      try {
        s.view = ws.day();
      } catch (err) {
        s.error = err;
      }
      changed();
    },
    async run(f, ok) {
      if (busy) return false;
      busy = true;
      s.error = undefined;
      try {
        const v = await f();
        s.view = v ?? ws.day();
        s.notice = ok;
        s.panel = undefined;
        hooks.changed();
        return true;
      } catch (err) {
        s.error = err;
        s.notice = '';
        return false;
      } finally {
        busy = false;
        changed();
      }
    },
    setPanel(p) {
      s.panel = p;
      s.error = undefined;
      s.notice = '';
      hooks.changed();
      changed();
    },
    setEnding(on) {
      s.ending = on;
      s.error = undefined;
      s.notice = '';
      hooks.changed();
      s.view = ws.day();
      changed();
      window.scrollTo(0, 0);
    },
    async endDay(f) {
      if (busy) return;
      busy = true;
      s.error = undefined;
      try {
        s.ended = await f();
        s.ending = false;
        s.view = ws.day();
        s.notice = 'Day ended. The settlement is sealed and syncs after everything it counts.';
        hooks.changed();
        changed();
        // The day is closed: the workspace locks (the settlement shows again after unlocking).
        setTimeout(() => hooks.lock(), 1500);
      } catch (err) {
        s.error = err;
        changed();
      } finally {
        busy = false;
      }
    },
    bill(taskId) {
      hooks.bill(taskId);
    },
  };
}
