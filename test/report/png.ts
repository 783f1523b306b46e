/**
 * Just enough of PNG to see whether a rendered page is blank: 8-bit greyscale, RGB or RGBA,
 * not interlaced (what pdftoppm writes), decoded with node's zlib and PNG's row filters.
 */
import { inflateSync } from 'node:zlib';

export interface Grey {
  width: number;
  height: number;
  /** One luminance byte (0 black, 255 white) per pixel, row by row. */
  pixels: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function decodePng(png: Buffer): Grey {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      channels = CHANNELS[data[9]] ?? 0;
      if (depth !== 8 || !channels || data[12] !== 0) throw new Error(`PNG not supported here: depth ${depth}, colour type ${data[9]}, interlace ${data[12]}`);
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const rows = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = rows.subarray(y * stride, (y + 1) * stride);
    const up = y ? rows.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[x - channels] : 0;
      const b = up[x];
      const c = x >= channels ? up[x - channels] : 0;
      const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      if (pred === undefined) throw new Error(`PNG row filter ${filter}`);
      out[x] = (src[x] + pred) & 0xff;
    }
  }
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const p = rows.subarray(i * channels, i * channels + channels);
    pixels[i] = channels === 1 ? p[0] : Math.round(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]);
  }
  return { width, height, pixels };
}

/** The share of pixels darker than mid grey. */
export function inkShare(g: Grey): number {
  let dark = 0;
  for (const v of g.pixels) if (v < 128) dark++;
  return dark / g.pixels.length;
}
