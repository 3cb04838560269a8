// The reading of a server-side queue (review items, conflicts) behind a status line: one read at
// a time, and what just happened kept in front of the list's summary.

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
