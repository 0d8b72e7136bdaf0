/**
 * One displayed line of VRAM to RGBA pixels, per pixel format, with the colours QEMU 7.2's
 * screendump shows (measured with qemu-system-i386 -display none): 15 bpp goes through the VGA's
 * own converter, which puts each 5-bit field in the top of its byte and leaves the low bits
 * zero (r=(v>>7)&0xF8, g=(v>>2)&0xF8, b=(v<<3)&0xF8); a 16 bpp frame buffer is handed to the
 * display as RGB565 as it is, and its conversion repeats each field's top bits in the low ones
 * (5 bits: x<<3 | x>>2, 6 bits: x<<2 | x>>4), so 0xFFFF is white and 0x8410 is (132, 130, 132);
 * 24/32 bpp are B, G, R(, X) bytes in memory; indexed formats go through a palette of ready
 * RGBA words (see palette.ts).
 *
 * Output pixels are 32-bit words in a Uint32Array over the surface's RGBA bytes, so a word is
 * A<<24 | B<<16 | G<<8 | R on a little-endian host (every host Node supports here).
 */
import type { PixelFormat } from './display-geometry.js';

const OPAQUE = 0xff000000;

/** Pack 8-bit channels into a surface word (RGBA byte order in memory). */
export function rgba(r: number, g: number, b: number): number {
  return (OPAQUE | (b << 16) | (g << 8) | r) >>> 0;
}

/**
 * Convert `width` source pixels starting at `src[at]` into `out` from index `outAt`.
 * `palette` holds 256 words for the indexed formats and 16 for planar ones; `planeMask` is the
 * attribute controller's colour plane enable (planar only).
 */
export function convertLine(
  format: PixelFormat,
  src: Uint8Array,
  at: number,
  width: number,
  out: Uint32Array,
  outAt: number,
  palette: Uint32Array,
  planeMask: number,
): void {
  switch (format) {
    case 'rgb32':
      for (let x = 0, s = at, o = outAt; x < width; x++, s += 4, o++) out[o] = rgba(src[s + 2]!, src[s + 1]!, src[s]!);
      return;
    case 'rgb24':
      for (let x = 0, s = at, o = outAt; x < width; x++, s += 3, o++) out[o] = rgba(src[s + 2]!, src[s + 1]!, src[s]!);
      return;
    case 'rgb16':
      for (let x = 0, s = at, o = outAt; x < width; x++, s += 2, o++) {
        const v = src[s]! | (src[s + 1]! << 8);
        const r = v >> 11;
        const g = (v >> 5) & 0x3f;
        const b = v & 0x1f;
        out[o] = rgba((r << 3) | (r >> 2), (g << 2) | (g >> 4), (b << 3) | (b >> 2));
      }
      return;
    case 'rgb15':
      for (let x = 0, s = at, o = outAt; x < width; x++, s += 2, o++) {
        const v = src[s]! | (src[s + 1]! << 8);
        out[o] = rgba((v >> 7) & 0xf8, (v >> 2) & 0xf8, (v << 3) & 0xf8);
      }
      return;
    case 'indexed8':
      for (let x = 0, s = at, o = outAt; x < width; x++, s++, o++) out[o] = palette[src[s]!]!;
      return;
    case 'indexed8x2':
      // Four bytes (one VGA address across the planes) make eight displayed pixels.
      for (let x = 0, s = at, o = outAt; x < width; x += 2, s++, o += 2) {
        const c = palette[src[s]!]!;
        out[o] = c;
        out[o + 1] = c;
      }
      return;
    case 'planar4':
    case 'planar4x2': {
      const twice = format === 'planar4x2';
      for (let x = 0, s = at, o = outAt; x < width; x += 8, s += 4) {
        const p0 = planeMask & 1 ? src[s]! : 0;
        const p1 = planeMask & 2 ? src[s + 1]! : 0;
        const p2 = planeMask & 4 ? src[s + 2]! : 0;
        const p3 = planeMask & 8 ? src[s + 3]! : 0;
        for (let bit = 7; bit >= 0; bit--) {
          const colour = ((p0 >> bit) & 1) | (((p1 >> bit) & 1) << 1) | (((p2 >> bit) & 1) << 2) | (((p3 >> bit) & 1) << 3);
          const c = palette[colour]!;
          out[o++] = c;
          if (twice) out[o++] = c;
        }
      }
      return;
    }
  }
}
