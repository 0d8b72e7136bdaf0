/**
 * The VGA guests against QEMU's std VGA (issue 4): QEMU prints what each guest's host model
 * says and shows the frame the model draws; then under every `--vga` mode hvmsim prints the
 * same checksum line and its `--screenshot` PNG equals QEMU's screendump pixel for pixel (RGB;
 * alpha ignored), so the four modes agree byte for byte. Each guest runs with a command line
 * small enough for the trap mode (every LFB access a synchronous ioreq); QEMU and hvmsim get
 * the same one.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { VGA_MODES } from '../shared/vga-config.js';
import { rgbOf32, type ModelFrame } from '../guests/vga-models/model-frame.js';
import { VGA_GUEST_MODELS, VGA_GUEST_NAMES, type VgaGuestName } from '../guests/vga-models/vga-guest-models.js';
import { debugExitStatus, guestElf } from './support/guest-files.js';
import { runHvmsim } from './support/hvmsim-cli.js';
import { qemuAvailable } from './support/qemu.js';
import { HOLDING_LINE, screendumpUnderQemu, type QemuScreendump, type RgbImage } from './support/qemu-screendump.js';

/* Under --vga trap every LFB access is a synchronous round trip (~35-130 µs here), so each guest
 * runs with a command line that keeps its trap-mode run to ~20,000 of them or fewer: two
 * frames of 24 rows for vga-fill (the rest of its frame stays as the mode set cleared it),
 * half of vga-sparse's frames, 16 rows of vga-rmw's pass, a 3-row band and 3 steps of vga-blit;
 * vga-text's window writes are posted in every mode and it runs at its defaults. */
const TEST_CMDLINE: Readonly<Record<VgaGuestName, string>> = {
  'vga-fill': 'frames=2 rows=24',
  'vga-sparse': 'frames=10',
  'vga-rmw': 'rows=16',
  'vga-blit': 'rows=3 steps=3',
  'vga-text': '',
};

const CRC_LINE = /^vga-[a-z]+: frame crc32 0x[0-9a-f]{8}$/m;

function crcLine(serial: string): string | undefined {
  return CRC_LINE.exec(serial)?.[0];
}

interface PngModule {
  PNG: { sync: { read(data: Buffer): { width: number; height: number; data: Buffer } } };
}

/** Decodes a PNG to RGB with pngjs (loaded here, so its absence fails only the PNG checks). */
function readPngRgb(file: string): RgbImage {
  let pngjs: PngModule;
  try {
    pngjs = createRequire(import.meta.url)('pngjs') as PngModule;
  } catch (e) {
    throw new Error(`cannot decode hvmsim's screenshot: pngjs is not installed (${(e as Error).message.split('\n')[0]})`);
  }
  const png = pngjs.PNG.sync.read(readFileSync(file));
  const n = png.width * png.height;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = png.data[i * 4]!;
    rgb[i * 3 + 1] = png.data[i * 4 + 1]!;
    rgb[i * 3 + 2] = png.data[i * 4 + 2]!;
  }
  return { width: png.width, height: png.height, rgb };
}

/** How many pixels differ, and where the first one is: a readable failure for a whole frame. */
function comparePixels(actual: RgbImage, expected: RgbImage): { compared: number; differing: number; first?: string } {
  expect([actual.width, actual.height]).toEqual([expected.width, expected.height]);
  const n = expected.width * expected.height;
  let differing = 0;
  let first: string | undefined;
  for (let i = 0; i < n; i++) {
    const a = actual.rgb.subarray(i * 3, i * 3 + 3);
    const e = expected.rgb.subarray(i * 3, i * 3 + 3);
    if (a[0] !== e[0] || a[1] !== e[1] || a[2] !== e[2]) {
      if (differing++ === 0) {
        first = `(${i % expected.width}, ${Math.floor(i / expected.width)}): rgb(${a.join(', ')}), expected rgb(${e.join(', ')})`;
      }
    }
  }
  return { compared: n, differing, first };
}

/**
 * An 8-bpp frame's colours depend on how the DAC's 6-bit values are widened, which is the
 * emulator's business; what must hold is that pixels share a colour exactly when they share a
 * palette index.
 */
function sameColoursAsIndices(shot: RgbImage, frame: ModelFrame): string | undefined {
  const colourOfIndex = new Map<number, number>();
  const indexOfColour = new Map<number, number>();
  for (let i = 0; i < frame.width * frame.height; i++) {
    const index = frame.bytes[i]!;
    const colour = (shot.rgb[i * 3]! << 16) | (shot.rgb[i * 3 + 1]! << 8) | shot.rgb[i * 3 + 2]!;
    if ((colourOfIndex.get(index) ?? colour) !== colour || (indexOfColour.get(colour) ?? index) !== index) {
      return `pixel (${i % frame.width}, ${Math.floor(i / frame.width)}): index ${index} shown as #${colour.toString(16).padStart(6, '0')}`;
    }
    colourOfIndex.set(index, colour);
    indexOfColour.set(colour, index);
  }
  return undefined;
}

const haveQemu = qemuAvailable();
if (!haveQemu) console.warn('vga-fidelity: qemu-system-i386 not found: skipping (QEMU is the reference picture)');

const work = mkdtempSync(path.join(tmpdir(), 'hvmsim-vga-fidelity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

for (const name of VGA_GUEST_NAMES) describe.skipIf(!haveQemu)(name, () => {
  const cmdline = TEST_CMDLINE[name];
  const model = VGA_GUEST_MODELS[name];
  const expectedSerial = model.serial(cmdline);
  let qemuShot: Promise<QemuScreendump> | undefined;
  const qemu = (): Promise<QemuScreendump> => (qemuShot ??= screendumpUnderQemu(guestElf(name), { cmdline, timeoutMs: 60_000 }));

  test('QEMU prints what the model says and shows the frame it draws', { timeout: 90_000 }, async () => {
    const q = await qemu();
    expect(q.serial).toBe(expectedSerial + HOLDING_LINE);
    const frame = model.frame(cmdline);
    if (frame.bpp === 32) {
      const r = comparePixels(q, { width: frame.width, height: frame.height, rgb: rgbOf32(frame) });
      expect(r.differing, `QEMU's screendump differs from the model, first at ${r.first}`).toBe(0);
      console.log(`${name}: QEMU screendump equals the model's frame: ${r.compared} pixels compared`);
    } else {
      expect([q.width, q.height]).toEqual([frame.width, frame.height]);
      expect(sameColoursAsIndices(q, frame)).toBeUndefined();
      console.log(`${name}: QEMU screendump shows the model's palette indices: ${frame.width * frame.height} pixels compared`);
    }
  });

  for (const mode of VGA_MODES) test(`hvmsim --vga ${mode}: QEMU's checksum line, and its screendump pixel for pixel`, { timeout: 120_000 }, async () => {
    const q = await qemu();
    const png = path.join(work, `${name}-${mode}.png`);
    const args = ['run', guestElf(name), '--vga', mode, '--screenshot', png];
    if (cmdline) args.push('--cmdline', cmdline);
    const hv = await runHvmsim(args, { timeoutMs: 100_000 });
    expect(hv.stderr).toBe('');
    expect(crcLine(hv.stdout), `hvmsim printed: ${JSON.stringify(hv.stdout)}`).toBe(crcLine(q.serial));
    expect(hv.stdout).toBe(expectedSerial);
    expect(hv.status).toBe(debugExitStatus(0));

    expect(existsSync(png), `hvmsim run --vga ${mode} --screenshot wrote no PNG`).toBe(true);
    const r = comparePixels(readPngRgb(png), q);
    expect(r.differing, `hvmsim --vga ${mode} screenshot differs from QEMU's screendump in ${r.differing} pixels, first at ${r.first}`).toBe(0);
    console.log(`${name} --vga ${mode}: screenshot equals QEMU's screendump: ${r.compared} pixels compared`);
  });
});
