// The reading of a server-side queue (review items, conflicts) behind a status line: one read at
// a time, and what just happened kept in front of the list's summary.

import { h, replaceChildren } from '../dom.ts';

/**
 * A `load(lead?)` for a queue whose `read` shows the items and returns the status line's summary
 * (or a failure in plain words). `lead` (e.g. "SO-0001000 approved.") goes before the summary.
 * A load asked for while one runs waits for it; with a `lead`, it reads again afterwards, since
 * the running read may predate what `lead` reports.
 */
export function queueLoader(msg: HTMLElement, loadingText: string, read: () => Promise<string>): (lead?: string) => Promise<void> {
  let running: Promise<void> | null = null;
  const load = (lead = ''): Promise<void> => {
    if (running) return lead ? running.then(() => load(lead)) : running;
    if (!lead) msg.textContent = loadingText;
    running = read()
      .then((summary) => {
        msg.textContent = lead ? `${lead} ${summary}` : summary;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  return load;
}

/** A queue's count in its card's heading: a number, or "?" when the server could not be read. */
export function showCount(el: HTMLElement, n: number | undefined): void {
  el.textContent = n === undefined ? '?' : String(n);
  el.dataset['count'] = n === undefined ? '' : String(n);
}

/** A supervisor's queue card (review, conflicts, shifts): a folded card whose heading shows the count,
 * a status line with Refresh, and the rows `row` draws for the items `fetch` reads. */
export function queueCard<T>(opts: {
  /** `review`, `conflicts` or `shifts`: the test ids are `<id>`, `<id>-count`, `<id>-message`, `<id>-reload`. */
  id: string;
  title: string;
  listTestId: string;
  loadingText: string;
  fetch: () => Promise<T[]>;
  row: (item: T, reload: (lead: string) => void) => HTMLElement;
  summary: (n: number) => string;
  failure: (err: unknown) => string;
}): { el: HTMLElement; load: () => Promise<void> } {
  const count = h('span', { 'data-testid': `${opts.id}-count` }, '…');
  const list = h('ul', { class: 'list supervisor-list', 'data-testid': opts.listTestId });
  const msg = h('p', { class: 'muted', role: 'status', 'data-testid': `${opts.id}-message` });
  const reload = h('button', { type: 'button', 'data-testid': `${opts.id}-reload` }, 'Refresh');
  const load = queueLoader(msg, opts.loadingText, async () => {
    let items: T[];
    try {
      items = await opts.fetch();
    } catch (err) {
      showCount(count, undefined);
      return opts.failure(err);
    }
    showCount(count, items.length);
    replaceChildren(list, ...items.map((it) => opts.row(it, (text) => void load(text))));
    return opts.summary(items.length);
  });
  reload.addEventListener('click', () => void load());
  const el = h(
    'details',
    { class: 'card supervisor', 'data-testid': opts.id },
    h('summary', {}, h('span', { class: 'summary-title' }, `${opts.title} · `, count)),
    h('div', { class: 'row' }, msg, reload),
    list,
  );
  return { el, load: () => load() };
}
