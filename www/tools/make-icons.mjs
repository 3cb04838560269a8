// Draws the PNG app icons (192 and 512 px) from the same shapes as icons/icon.svg, with no
// dependencies: a tiny rasteriser plus node:zlib for the PNG encoding. Run once when the icon
// changes: `node www/tools/make-icons.mjs`; the PNGs are committed.

import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const GREEN = [0x1f, 0x5f, 0x4a];
const PAPER = [0xf4, 0xf6, 0xf5];

/** Is (x, y) inside a rounded rectangle? Coordinates in the SVG's 512 space. */
function inRoundRect(x, y, rx0, ry0, w, h, r) {
  if (x < rx0 || y < ry0 || x > rx0 + w || y > ry0 + h) return false;
  const cx = Math.min(Math.max(x, rx0 + r), rx0 + w - r);
  const cy = Math.min(Math.max(y, ry0 + r), ry0 + h - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** The colour at (x, y), or null for transparent. */
function shade(x, y) {
  if (!inRoundRect(x, y, 0, 0, 512, 512, 96)) return null;
  // Bag band and body.
  if (x >= 112 && x <= 400 && y >= 240 && y <= 264) return GREEN;
  if (inRoundRect(x, y, 112, 176, 288, 224, 32)) return PAPER;
  // Handle: the upper half of a ring centred (256, 152), radius 80, 32 wide, plus its legs.
  const d = Math.hypot(x - 256, y - 152);
  if (y <= 152 && d >= 64 && d <= 96) return PAPER;
  if (y > 152 && y <= 176 && ((x >= 160 && x <= 192) || (x >= 320 && x <= 352))) return PAPER;
  return GREEN;
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size) {
  const ss = 4; // 4×4 supersampling for smooth edges
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const c = shade(((px + (sx + 0.5) / ss) * 512) / size, ((py + (sy + 0.5) / ss) * 512) / size);
          if (c) { r += c[0]; g += c[1]; b += c[2]; a += 1; }
        }
      }
      const o = py * (size * 4 + 1) + 1 + px * 4;
      raw[o] = a ? Math.round(r / a) : 0;
      raw[o + 1] = a ? Math.round(g / a) : 0;
      raw[o + 2] = a ? Math.round(b / a) : 0;
      raw[o + 3] = Math.round((a * 255) / (ss * ss));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

for (const size of [192, 512]) {
  const out = new URL(`../icons/icon-${size}.png`, import.meta.url);
  writeFileSync(out, png(size));
  console.log(`wrote ${out.pathname}`);
}
