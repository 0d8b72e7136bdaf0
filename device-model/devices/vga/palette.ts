/**
 * The colours indexed pixels stand for, as QEMU's std VGA computes them: 8-bit pixels index the
 * DAC directly (6-bit values widened by dac6to8, or taken as they are with VBE's 8-bit DAC flag);
 * 16-colour planar pixels first go through the attribute controller's palette registers and
 * colour select (AR10 bit 7 chooses whether AR14 supplies bits 4–5 or only 6–7).
 */
import { dac6to8 } from './vga-dac.js';
import { AR_COLOR_PAGE, AR_MODE } from './vga-registers.js';
import { rgba } from './scanline-convert.js';

/** Fill `out` (256 words) from the DAC; returns true if any entry changed. */
export function palette256(dac: Uint8Array, dac8bit: boolean, out: Uint32Array): boolean {
  let changed = false;
  for (let i = 0, p = 0; i < 256; i++, p += 3) {
    const c = dac8bit ? rgba(dac[p]!, dac[p + 1]!, dac[p + 2]!) : rgba(dac6to8(dac[p]!), dac6to8(dac[p + 1]!), dac6to8(dac[p + 2]!));
    if (out[i] !== c) {
      out[i] = c;
      changed = true;
    }
  }
  return changed;
}

/** Fill `out` (16 words) from the attribute palette and the DAC; returns true if any changed. */
export function palette16(ar: Uint8Array, dac: Uint8Array, out: Uint32Array): boolean {
  let changed = false;
  for (let i = 0; i < 16; i++) {
    let v = ar[i]!;
    if (ar[AR_MODE]! & 0x80) v = ((ar[AR_COLOR_PAGE]! & 0xf) << 4) | (v & 0xf);
    else v = ((ar[AR_COLOR_PAGE]! & 0xc) << 4) | (v & 0x3f);
    const p = v * 3;
    const c = rgba(dac6to8(dac[p]!), dac6to8(dac[p + 1]!), dac6to8(dac[p + 2]!));
    if (out[i] !== c) {
      out[i] = c;
      changed = true;
    }
  }
  return changed;
}
