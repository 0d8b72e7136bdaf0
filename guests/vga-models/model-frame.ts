/**
 * What a VGA guest's model produces: the visible frame as the guest leaves it in VRAM, and the
 * serial text the guest prints. Shared by the five models in this folder.
 */
import { crc32, hex32 } from './frame-crc32.js';

export const WIDTH = 640;
export const HEIGHT = 480;

/** The visible frame: `bytes` in VRAM order (row by row, pitch = width * bpp / 8). */
export interface ModelFrame {
  readonly width: number;
  readonly height: number;
  readonly bpp: 8 | 32;
  readonly bytes: Uint8Array;
}

/** A 32-bpp frame being drawn: pixels as 32-bit values (0x00RRGGBB), stored little-endian. */
export class Frame32 {
  readonly pixels = new Uint32Array(WIDTH * HEIGHT);

  set(x: number, y: number, v: number): void {
    this.pixels[y * WIDTH + x] = v >>> 0;
  }

  get(x: number, y: number): number {
    return this.pixels[y * WIDTH + x]!;
  }

  /** Copies row `from` onto row `to`, as REP MOVSL of one row does. */
  copyRow(to: number, from: number): void {
    this.pixels.copyWithin(to * WIDTH, from * WIDTH, (from + 1) * WIDTH);
  }

  toModelFrame(): ModelFrame {
    const bytes = new Uint8Array(this.pixels.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < this.pixels.length; i++) view.setUint32(i * 4, this.pixels[i]!, true);
    return { width: WIDTH, height: HEIGHT, bpp: 32, bytes };
  }
}

/** The RGB of each pixel of a 32-bpp frame (the top byte of each pixel is not shown). */
export function rgbOf32(frame: ModelFrame): Uint8Array {
  if (frame.bpp !== 32) throw new Error('rgbOf32: not a 32-bpp frame');
  const n = frame.width * frame.height;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = frame.bytes[i * 4 + 2]!;
    rgb[i * 3 + 1] = frame.bytes[i * 4 + 1]!;
    rgb[i * 3 + 2] = frame.bytes[i * 4]!;
  }
  return rgb;
}

/** The two lines every VGA guest starts with (runtime/vga-std.h): device found, mode set. */
export function vgaHeader(guest: string, bpp: 8 | 32, linear: boolean): string {
  return (
    `${guest}: std VGA 1234:1111 at 00:02.0, LFB from BAR0, DISPI id 0xb0c5\n` +
    `${guest}: mode ${WIDTH}x${HEIGHT}x${bpp}, ${linear ? 'linear frame buffer' : 'banked 0xA0000 window'}: registers read back as set\n`
  );
}

/** The line every VGA guest ends with (before "vga: holding" when hold=1). */
export function crcLine(guest: string, frame: ModelFrame): string {
  return `${guest}: frame crc32 ${hex32(crc32(frame.bytes))}\n`;
}

/**
 * A number from a multiboot command line the way guests/runtime/cmdline.h reads it: the first
 * `key=` at the start of a word, then its decimal digits (none: 0); absent: the fallback.
 */
export function cmdlineUint(cmdline: string, key: string, fallback: number): number {
  for (let s = 0; s < cmdline.length; s++) {
    if (s > 0 && cmdline[s - 1] !== ' ') continue;
    if (!cmdline.startsWith(`${key}=`, s)) continue;
    const digits = /^\d*/.exec(cmdline.slice(s + key.length + 1))![0];
    let v = 0;
    for (const d of digits) v = (Math.imul(v, 10) + Number(d)) >>> 0;
    return v;
  }
  return fallback;
}
