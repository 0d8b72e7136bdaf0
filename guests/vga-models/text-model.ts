/**
 * vga-text on the host: the 8-bpp frame (palette indices) guests/vga-text/vga-text.c leaves,
 * and what it prints. The glyphs are read from the guest's own font8x8.h.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cmdlineUint, crcLine, HEIGHT, vgaHeader, WIDTH, type ModelFrame } from './model-frame.js';

export const FONT_FILE = fileURLToPath(new URL('../vga-text/font8x8.h', import.meta.url));

const BACKGROUND = 1;
const BANK_BYTES = 0x10000;

export interface TextKnobs {
  passes: number;
}

export function textKnobs(cmdline = ''): TextKnobs {
  return { passes: cmdlineUint(cmdline, 'passes', 1) };
}

/** The 6-bit DAC palette the guest loads (index 0-15). */
export const TEXT_PALETTE: readonly (readonly [number, number, number])[] = [
  [0, 0, 0], [4, 9, 31], [0, 42, 0], [0, 42, 42], [42, 0, 0], [42, 0, 42],
  [42, 21, 0], [42, 42, 42], [21, 21, 21], [21, 21, 63], [21, 63, 21], [21, 63, 63],
  [63, 21, 21], [63, 21, 63], [63, 63, 21], [63, 63, 63],
];

interface TextLine {
  x: number;
  y: number;
  scale: number;
  colour: number;
  text: string;
}

const LINES: readonly TextLine[] = [
  { x: 16, y: 8, scale: 1, colour: 15, text: 'HVMSIM VGA-TEXT: LEGACY WINDOW AT 0XA0000, BANKED' },
  { x: 16, y: 24, scale: 1, colour: 14, text: 'MODE 640X480X8, 64 KB BANKS, DAC PALETTE' },
  { x: 16, y: 98, scale: 1, colour: 10, text: 'THIS LINE CROSSES THE BANK 0/1 BOUNDARY' },
  { x: 16, y: 200, scale: 1, colour: 12, text: 'THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG' },
  { x: 16, y: 216, scale: 1, colour: 11, text: '0123456789 = . , : - /' },
  { x: 128, y: 300, scale: 4, colour: 13, text: 'HVMSIM' },
  { x: 16, y: 470, scale: 1, colour: 9, text: 'LAST BANK: ROWS 410 TO 479' },
];

/** Glyph rows ('X' ink, '.' paper) by character, parsed from font8x8.h. */
export function readFont(source = readFileSync(FONT_FILE, 'utf8')): Map<string, string[]> {
  const font = new Map<string, string[]>();
  for (const m of source.matchAll(/\{'(.)', \{((?:\s*"[.X]{8}",?){8})\s*\}\}/g)) {
    font.set(m[1]!, [...m[2]!.matchAll(/"([.X]{8})"/g)].map((r) => r[1]!));
  }
  return font;
}

export function renderText(k: TextKnobs): ModelFrame {
  const font = readFont();
  const bytes = new Uint8Array(WIDTH * HEIGHT).fill(BACKGROUND);
  // Every pass writes the same cells, so one pass gives the same frame as many (none: blank).
  if (k.passes > 0) {
    for (const l of LINES) {
      [...l.text].forEach((ch, c) => {
        const g = font.get(ch) ?? font.get(' ')!;
        const cx = l.x + c * 8 * l.scale;
        for (let gy = 0; gy < 8 * l.scale; gy++)
          for (let gx = 0; gx < 8 * l.scale; gx++) {
            const ink = g[Math.floor(gy / l.scale)]![Math.floor(gx / l.scale)] === 'X';
            bytes[(l.y + gy) * WIDTH + cx + gx] = ink ? l.colour : BACKGROUND;
          }
      });
    }
  }
  return { width: WIDTH, height: HEIGHT, bpp: 8, bytes };
}

export function textSerial(k: TextKnobs, frame = renderText(k)): string {
  const glyphs = LINES.reduce((n, l) => n + l.text.length, 0);
  const banks = Math.ceil((WIDTH * HEIGHT) / BANK_BYTES);
  return (
    vgaHeader('vga-text', 8, false) +
    'vga-text: palette of 16 colours written through the DAC, read back: ok\n' +
    `vga-text: passes=${k.passes}: ${LINES.length} lines, ${glyphs} glyphs through ${banks} banks\n` +
    crcLine('vga-text', frame)
  );
}
