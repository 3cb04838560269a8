// A very small DOM helper: h('button', { 'data-testid': 'x', onclick }, 'Label').

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

/** An inline error region; `show('')` hides it. */
export function errorBox(): { el: HTMLElement; show(text: string): void } {
  const el = h('p', { class: 'error', 'data-testid': 'error', role: 'alert', hidden: true });
  return {
    el,
    show(text: string) {
      el.textContent = text;
      el.hidden = text === '';
    },
  };
}
