/** vga-blit on the host: the frame guests/vga-blit/vga-blit.c leaves, and what it prints. */
import { cmdlineUint, crcLine, Frame32, HEIGHT, vgaHeader, WIDTH, type ModelFrame } from './model-frame.js';

const BAND_Y = 200;
const COPY_Y = 300;
const MAX_BAND_ROWS = COPY_Y - BAND_Y;

export interface BlitKnobs {
  /** Band height, clamped to 1..100 as the guest does. */
  rows: number;
  steps: number;
}

export function blitKnobs(cmdline = ''): BlitKnobs {
  const rows = Math.min(Math.max(cmdlineUint(cmdline, 'rows', 4), 1), MAX_BAND_ROWS);
  return { rows, steps: cmdlineUint(cmdline, 'steps', 4) };
}

const rowColour = (y: number): number => ((y >> 1) << 16) | ((255 - (y >> 1)) << 8) | ((y * 7) & 0xff);

function pattern(x: number, k: number): number {
  if (((x >> 4) + k) & 1) return 0x00f0c040;
  return (0x00203080 + ((x & 15) << 3) + (((k * 24) & 0xff) << 16)) >>> 0;
}

export function renderBlit(k: BlitKnobs): ModelFrame {
  const fb = new Frame32();
  const patternRow = (y: number, n: number): void => {
    for (let x = 0; x < WIDTH; x++) fb.set(x, y, pattern(x, n));
  };
  for (let y = 0; y < HEIGHT; y++) fb.pixels.fill(rowColour(y), y * WIDTH, (y + 1) * WIDTH);
  for (let n = 0; n < k.rows; n++) patternRow(BAND_Y + n, n);
  for (let s = 0; s < k.steps; s++) {
    for (let r = 0; r + 1 < k.rows; r++) fb.copyRow(BAND_Y + r, BAND_Y + r + 1);
    patternRow(BAND_Y + k.rows - 1, k.rows + s);
  }
  for (let r = 0; r < k.rows; r++) fb.copyRow(COPY_Y + r, BAND_Y + r);
  return fb.toModelFrame();
}

export function blitSerial(k: BlitKnobs, frame = renderBlit(k)): string {
  return (
    vgaHeader('vga-blit', 32, true) +
    `vga-blit: rows=${k.rows} steps=${k.steps}: rows by rep stosl, a band from RAM by rep movsl, scrolled and copied LFB->LFB\n` +
    crcLine('vga-blit', frame)
  );
}
