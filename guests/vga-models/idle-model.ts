/** vga-idle on the host: the 2048x1024x32 frame guests/vga-idle/vga-idle.c leaves, and what it prints. */
import { crc32, hex32 } from './frame-crc32.js';
import { cmdlineUint, type ModelFrame } from './model-frame.js';

export const IDLE_WIDTH = 2048;
export const IDLE_HEIGHT = 1024;
const HZ = 100;

export interface IdleKnobs {
  /** Rows drawn from the top, at most IDLE_HEIGHT (the guest clamps it too). */
  rows: number;
  ticks: number;
}

export function idleKnobs(cmdline = ''): IdleKnobs {
  return { rows: Math.min(cmdlineUint(cmdline, 'rows', IDLE_HEIGHT), IDLE_HEIGHT), ticks: cmdlineUint(cmdline, 'ticks', 50) };
}

function tile(x: number, y: number): number {
  const r = (x & 63) << 2;
  const g = (y & 63) << 2;
  const b = (((x >> 6) + 3 * (y >> 6)) * 23) & 0xff;
  return (r << 16) | (g << 8) | b;
}

/** Rows below `rows` stay as the mode set cleared them. */
export function renderIdle(k: IdleKnobs): ModelFrame {
  const bytes = new Uint8Array(IDLE_WIDTH * IDLE_HEIGHT * 4);
  const view = new DataView(bytes.buffer);
  for (let y = 0; y < k.rows; y++) for (let x = 0; x < IDLE_WIDTH; x++) view.setUint32((y * IDLE_WIDTH + x) * 4, tile(x, y), true);
  return { width: IDLE_WIDTH, height: IDLE_HEIGHT, bpp: 32, bytes };
}

export function idleSerial(k: IdleKnobs, frame = renderIdle(k)): string {
  return (
    'vga-idle: std VGA 1234:1111 at 00:02.0, LFB from BAR0, DISPI id 0xb0c5\n' +
    `vga-idle: mode ${IDLE_WIDTH}x${IDLE_HEIGHT}x32, linear frame buffer: registers read back as set\n` +
    `vga-idle: rows=${k.rows} of 64x64 tiles in ${(IDLE_WIDTH * IDLE_HEIGHT * 4) / 1024} KiB of visible VRAM, then ticks=${k.ticks} at ${HZ} Hz\n` +
    `vga-idle: frame crc32 ${hex32(crc32(frame.bytes))}\n` +
    'vga-idle: idling\n' +
    `vga-idle: ${k.ticks} ticks at ${HZ} Hz\n`
  );
}
