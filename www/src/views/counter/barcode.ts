// A receipt's number as a Code 39 barcode (SVG), so a scanner at the refund screen reads it back.
// Code 39 takes digits, capitals, "-", ".", space and "$/+%", which receipt numbers ("R1-0000042")
// are made of; each character is 5 bars and 4 spaces, 3 of the 9 wide, between "*" start and
// stop characters. Drawing only: nothing here decides anything.

/** For each character, which of its 9 elements (bar, space, bar, … from the left) are wide. */
const WIDE: Record<string, string> = {
  '0': '346', '1': '038', '2': '238', '3': '023', '4': '348', '5': '034', '6': '234', '7': '368', '8': '036', '9': '236',
  A: '058', B: '258', C: '025', D: '458', E: '045', F: '245', G: '568', H: '056', I: '256', J: '456',
  K: '078', L: '278', M: '027', N: '478', O: '047', P: '247', Q: '678', R: '067', S: '267', T: '467',
  U: '018', V: '128', W: '012', X: '148', Y: '014', Z: '124', '-': '168', '.': '016', ' ': '126', '*': '146',
  $: '135', '/': '137', '+': '157', '%': '357',
};

const NARROW = 1;
const WIDE_UNITS = 3;
const QUIET = 10;

/** The bars of `text` as [x, width] in narrow units, and the total width; `undefined` when a
 * character cannot be encoded. */
export function code39Bars(text: string): { bars: [number, number][]; width: number } | undefined {
  const bars: [number, number][] = [];
  let x = QUIET;
  for (const ch of `*${text.toUpperCase()}*`) {
    const wide = WIDE[ch];
    if (wide === undefined) return undefined;
    for (let i = 0; i < 9; i++) {
      const w = wide.includes(String(i)) ? WIDE_UNITS : NARROW;
      if (i % 2 === 0) bars.push([x, w]);
      x += w;
    }
    x += NARROW; // the gap between characters
  }
  return { bars, width: x - NARROW + QUIET };
}

const SVG = 'http://www.w3.org/2000/svg';

/** The barcode of `text` as an SVG element (its height in narrow units), or `null`. */
export function code39Svg(text: string, height = 40): SVGSVGElement | null {
  const code = code39Bars(text);
  if (!code) return null;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${code.width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'r-barcode');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Barcode of ${text}`);
  svg.setAttribute('data-testid', 'receipt-barcode');
  svg.setAttribute('data-code', text);
  for (const [x, w] of code.bars) {
    const r = document.createElementNS(SVG, 'rect');
    r.setAttribute('x', String(x));
    r.setAttribute('y', '0');
    r.setAttribute('width', String(w));
    r.setAttribute('height', String(height));
    svg.append(r);
  }
  return svg;
}
