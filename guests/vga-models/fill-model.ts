/** vga-fill on the host: the frame guests/vga-fill/vga-fill.c leaves, and what it prints. */
import { cmdlineUint, crcLine, Frame32, HEIGHT, vgaHeader, WIDTH, type ModelFrame } from './model-frame.js';

export interface FillKnobs {
  frames: number;
  /** Rows drawn from the top of each frame, at most HEIGHT (the guest clamps it too). */
  rows: number;
}

export function fillKnobs(cmdline = ''): FillKnobs {
  return { frames: cmdlineUint(cmdline, 'frames', 3), rows: Math.min(cmdlineUint(cmdline, 'rows', HEIGHT), HEIGHT) };
}

function gradient(x: number, y: number, f: number): number {
  const r = (x + 3 * f) & 0xff;
  const g = (y + 5 * f) & 0xff;
  const b = ((x ^ y) + 7 * f) & 0xff;
  return (r << 16) | (g << 8) | b;
}

/** Only the last frame survives (each overwrites the same rows); rows not drawn stay cleared. */
export function renderFill(k: FillKnobs): ModelFrame {
  const fb = new Frame32();
  if (k.frames > 0) {
    const f = k.frames - 1;
    for (let y = 0; y < k.rows; y++) for (let x = 0; x < WIDTH; x++) fb.set(x, y, gradient(x, y, f));
  }
  return fb.toModelFrame();
}

export function fillSerial(k: FillKnobs, frame = renderFill(k)): string {
  return (
    vgaHeader('vga-fill', 32, true) +
    `vga-fill: frames=${k.frames} rows=${k.rows}: a moving gradient, one 4-byte store per pixel\n` +
    crcLine('vga-fill', frame)
  );
}
