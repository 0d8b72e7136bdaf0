/** vga-rmw on the host: the frame guests/vga-rmw/vga-rmw.c leaves, and what it prints. */
import { cmdlineUint, crcLine, Frame32, HEIGHT, vgaHeader, WIDTH, type ModelFrame } from './model-frame.js';

export interface RmwKnobs {
  passes: number;
  /** Rows each pass covers from the top, at most HEIGHT (the guest clamps it too). */
  rows: number;
}

export function rmwKnobs(cmdline = ''): RmwKnobs {
  return { passes: cmdlineUint(cmdline, 'passes', 1), rows: Math.min(cmdlineUint(cmdline, 'rows', 32), HEIGHT) };
}

function pattern(x: number, y: number): number {
  const band = ((x + y) >> 3) & 7;
  return 0x00404040 + band * 0x00101418 + ((x & 0x3f) << 2);
}

const operand = (x: number, y: number, p: number): number =>
  (Math.imul(x, 0x00010203) ^ Math.imul(y, 0x01020100) ^ Math.imul(p, 0x11111111)) >>> 0;

export function renderRmw(k: RmwKnobs): ModelFrame {
  const fb = new Frame32();
  for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) fb.set(x, y, pattern(x, y));
  for (let p = 0; p < k.passes; p++) {
    for (let y = 0; y < k.rows; y++) {
      for (let x = 0; x < WIDTH; x++) {
        const old = fb.get(x, y);
        const v = operand(x, y, p);
        const op = (x + y + p) % 3;
        fb.set(x, y, op === 0 ? old ^ v : op === 1 ? old + v : old | v);
      }
    }
  }
  return fb.toModelFrame();
}

export function rmwSerial(k: RmwKnobs, frame = renderRmw(k)): string {
  return (
    vgaHeader('vga-rmw', 32, true) +
    `vga-rmw: passes=${k.passes} rows=${k.rows}: xorl/addl/orl to memory on every pixel of those rows\n` +
    crcLine('vga-rmw', frame)
  );
}
