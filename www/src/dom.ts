// A very small DOM helper: h('button', { 'data-testid': 'x', onclick }, 'Label').

import { errorDetail, errorText } from './api.ts';

type Child = Node | string | null | undefined | false;
type Handler = (ev: Event) => void;
type Attrs = Record<string, string | number | boolean | Handler | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      el.addEventListener(name.replace(/^on/, ''), value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.textContent = '';
  append(parent, ...children);
}

/** An inline error region: plain words, with the code in a smaller details line. `show('')`
 * hides it. It is announced (`role="alert"`) and scrolled into view when it appears. */
export function errorBox(): { el: HTMLElement; show(text: string, detail?: string): void; fail(err: unknown): void } {
  const words = h('span', { class: 'words' });
  const details = h('small', { class: 'detail', 'data-testid': 'error-detail' });
  const el = h('p', { class: 'error', 'data-testid': 'error', role: 'alert', hidden: true }, words, details);
  const show = (text: string, detail = ''): void => {
    const appearing = el.hidden && text !== '';
    words.textContent = text;
    details.textContent = detail;
    details.hidden = detail === '';
    el.hidden = text === '';
    if (appearing) reveal(el);
  };
  return { el, show, fail: (err) => show(errorText(err), errorDetail(err)) };
}

/** Brings a message into view (without moving the page if it is already visible). */
export function reveal(el: HTMLElement): void {
  requestAnimationFrame(() => {
    const r = el.getBoundingClientRect();
    const bar = document.querySelector<HTMLElement>('.actionbar:not([hidden])')?.getBoundingClientRect().height ?? 0;
    const top = document.querySelector<HTMLElement>('.topbar')?.getBoundingClientRect().height ?? 0;
    if (r.top < top || r.bottom > window.innerHeight - bar) el.scrollIntoView({ block: 'center', behavior: 'instant' as ScrollBehavior });
  });
}
