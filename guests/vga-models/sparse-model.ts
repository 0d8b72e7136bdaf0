/** vga-sparse on the host: the frame guests/vga-sparse/vga-sparse.c leaves, and what it prints. */
import { cmdlineUint, crcLine, Frame32, HEIGHT, vgaHeader, WIDTH, type ModelFrame } from './model-frame.js';

export interface SparseKnobs {
  frames: number;
}

export function sparseKnobs(cmdline = ''): SparseKnobs {
  return { frames: cmdlineUint(cmdline, 'frames', 20) };
}

const SPRITE = 32;

function background(x: number, y: number): number {
  const b = ((x >> 5) ^ (y >> 5)) & 1 ? 0x60 : 0x20;
  return ((x >> 2) << 16) | ((y >> 1) << 8) | b;
}

const spriteX = (i: number): number => 16 + ((i * 27) % (WIDTH - 64));
const spriteY = (i: number): number => 16 + ((i * 19) % (HEIGHT - 64));

function spriteCovers(u: number, v: number): boolean {
  const du = 2 * u - 31;
  const dv = 2 * v - 31;
  return du * du + dv * dv <= 31 * 31;
}

const spriteColour = (u: number, v: number, i: number): number => ((u * 8) << 16) | ((v * 8) << 8) | ((i * 13 + 0x40) & 0xff);

export function renderSparse(k: SparseKnobs): ModelFrame {
  const fb = new Frame32();
  for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) fb.set(x, y, background(x, y));
  for (let i = 0; i < k.frames; i++) {
    if (i > 0) {
      const ox = spriteX(i - 1);
      const oy = spriteY(i - 1);
      for (let v = 0; v < SPRITE; v++) for (let u = 0; u < SPRITE; u++) fb.set(ox + u, oy + v, background(ox + u, oy + v));
    }
    const sx = spriteX(i);
    const sy = spriteY(i);
    for (let v = 0; v < SPRITE; v++)
      for (let u = 0; u < SPRITE; u++) if (spriteCovers(u, v)) fb.set(sx + u, sy + v, spriteColour(u, v, i));
  }
  return fb.toModelFrame();
}

export function sparseSerial(k: SparseKnobs, frame = renderSparse(k)): string {
  return (
    vgaHeader('vga-sparse', 32, true) +
    `vga-sparse: frames=${k.frames}: background once, then a ${SPRITE}x${SPRITE} sprite moving over it\n` +
    crcLine('vga-sparse', frame)
  );
}
