/**
 * vga-busy on the host: the work checksum and the frame guests/vga-busy/vga-busy.c leaves, and
 * what it prints.
 */
import { cmdlineUint, crcLine, Frame32, HEIGHT, vgaHeader, WIDTH, type ModelFrame } from './model-frame.js';

const ROUNDS_PER_ITERATION = 64;

export interface BusyKnobs {
  iterations: number;
  /** A redraw after every this many iterations; 0 = never. */
  redrawEvery: number;
  /** Rows each redraw covers, at most HEIGHT (the guest clamps it too). */
  rows: number;
}

export function busyKnobs(cmdline = ''): BusyKnobs {
  return {
    iterations: cmdlineUint(cmdline, 'iterations', 20000),
    redrawEvery: cmdlineUint(cmdline, 'redraw-every', 5000),
    rows: Math.min(cmdlineUint(cmdline, 'rows', HEIGHT), HEIGHT),
  };
}

export function busyRedraws(k: BusyKnobs): number {
  return k.redrawEvery === 0 ? 0 : Math.floor(k.iterations / k.redrawEvery);
}

/** The accumulator after all iterations: xorshift32 rounds folded in with a 3-bit rotation. */
export function busyWorkChecksum(iterations: number): number {
  let state = 2463534242;
  let acc = 0;
  for (let i = 1; i <= iterations; i++) {
    for (let k = 0; k < ROUNDS_PER_ITERATION; k++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      acc = (((acc << 3) | (acc >>> 29)) + ((state ^ i) >>> 0)) >>> 0;
    }
  }
  return acc >>> 0;
}

function gradient(x: number, y: number, n: number): number {
  const r = (x + 11 * n) & 0xff;
  const g = (y + 13 * n) & 0xff;
  const b = ((x ^ y) + 17 * n) & 0xff;
  return (r << 16) | (g << 8) | b;
}

/** Only the last redraw shows (each covers the same top rows); without redraws the frame stays cleared. */
export function renderBusy(k: BusyKnobs): ModelFrame {
  const fb = new Frame32();
  const n = busyRedraws(k);
  if (n > 0) for (let y = 0; y < k.rows; y++) for (let x = 0; x < WIDTH; x++) fb.set(x, y, gradient(x, y, n - 1));
  return fb.toModelFrame();
}

export function busySerial(k: BusyKnobs, frame = renderBusy(k)): string {
  const checksum = busyWorkChecksum(k.iterations).toString(16).padStart(8, '0');
  return (
    vgaHeader('vga-busy', 32, true) +
    `vga-busy: iterations=${k.iterations} redraw-every=${k.redrawEvery} rows=${k.rows}: integer work, redraws of a moving gradient\n` +
    `vga-busy: ${busyRedraws(k)} redraws, work checksum 0x${checksum}\n` +
    crcLine('vga-busy', frame)
  );
}
