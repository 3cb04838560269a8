// A signature drawn on the screen with a finger or a stylus (or a mouse), kept as a PNG Blob:
// stored sealed and uploaded like a photo. `blob()` is undefined until something was drawn.

import { h } from '../../dom.ts';

export interface SignaturePad {
  el: HTMLElement;
  blob(): Promise<Blob | undefined>;
  clear(): void;
}

export function signaturePad(testid: string, label: string): SignaturePad {
  const canvas = h('canvas', { class: 'signature', 'data-testid': testid, 'aria-label': label, role: 'img', width: 600, height: 200 });
  const ctx = canvas.getContext('2d');
  let strokes = 0;
  let drawing = false;
  const point = (ev: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((ev.clientX - r.left) * canvas.width) / r.width, ((ev.clientY - r.top) * canvas.height) / r.height];
  };
  canvas.addEventListener('pointerdown', (ev) => {
    if (!ctx) return;
    drawing = true;
    canvas.setPointerCapture(ev.pointerId);
    const [x, y] = point(ev);
    ctx.lineWidth = 3;
    ctx.lineCap = 'round';
    ctx.strokeStyle = '#111';
    ctx.beginPath();
    ctx.moveTo(x, y);
    ev.preventDefault();
  });
  canvas.addEventListener('pointermove', (ev) => {
    if (!drawing || !ctx) return;
    const [x, y] = point(ev);
    ctx.lineTo(x, y);
    ctx.stroke();
    strokes += 1;
    ev.preventDefault();
  });
  const stop = (): void => {
    drawing = false;
  };
  canvas.addEventListener('pointerup', stop);
  canvas.addEventListener('pointercancel', stop);
  const clear = (): void => {
    ctx?.clearRect(0, 0, canvas.width, canvas.height);
    strokes = 0;
    status.textContent = 'Not signed yet.';
  };
  const status = h('span', { class: 'meta' }, 'Not signed yet.');
  canvas.addEventListener('pointerup', () => {
    if (strokes > 0) status.textContent = 'Signed.';
  });
  const el = h(
    'div',
    { class: 'signature-pad' },
    h('span', { class: 'field-label' }, label),
    canvas,
    h('div', { class: 'row' }, status, h('button', { type: 'button', class: 'small', 'data-testid': `${testid}-clear`, onclick: clear }, 'Clear')),
  );
  return {
    el,
    clear,
    blob: () => (strokes === 0 ? Promise.resolve(undefined) : new Promise((resolve) => canvas.toBlob((b) => resolve(b ?? undefined), 'image/png'))),
  };
}
