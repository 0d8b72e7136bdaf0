/**
 * The screenshot path: PNG encoding on the calling thread and on the piscina worker (compiled
 * from dist/: `npm run build` first), writeScreenshot's file and 'screenshot' message (also when
 * writing fails), and the message's validation.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeControlMessage, encodeControlMessage, type ScreenshotMessage } from '../shared/control-messages.js';
import { DisplaySurface } from '../device-model/devices/vga/display-surface.js';
import { encodePng, PngEncoderPool, pngWorkerUrl } from '../device-model/devices/vga/png-encode.js';
import { writeScreenshot } from '../device-model/devices/vga/screenshot.js';

const dir = mkdtempSync(join(tmpdir(), 'hvmsim-vga-png-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A surface with a different colour in every pixel (and a varying alpha is never produced). */
function patterned(width: number, height: number): DisplaySurface {
  const s = new DisplaySurface(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) s.pixels[y * width + x] = (0xff000000 | ((x * 7) & 0xff) << 16 | ((y * 13) & 0xff) << 8 | ((x ^ y) & 0xff)) >>> 0;
  }
  return s;
}

/** Byte equality without the matcher's element-by-element diffing (slow on megabytes). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function decode(png: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const img = pngjs.PNG.sync.read(Buffer.from(png));
  return { width: img.width, height: img.height, data: new Uint8Array(img.data) };
}

describe('PNG encoding', () => {
  it('round-trips through pngjs with equal pixels (on this thread)', () => {
    const s = patterned(64, 48);
    const back = decode(encodePng({ width: 64, height: 48, rgba: s.rgba }));
    expect([back.width, back.height]).toEqual([64, 48]);
    expect(sameBytes(back.data, s.rgba)).toBe(true);
  });

  it('refuses a size that does not match the pixels', () => {
    expect(() => encodePng({ width: 4, height: 4, rgba: new Uint8Array(60) })).toThrow(/4x4/);
    expect(() => encodePng({ width: 0, height: 4, rgba: new Uint8Array(0) })).toThrow(RangeError);
  });

  it('round-trips through the piscina worker', async () => {
    if (!existsSync(pngWorkerUrl())) throw new Error(`${pngWorkerUrl().pathname} is missing: run \`npm run build\` first`);
    const pool = new PngEncoderPool();
    try {
      const s = patterned(640, 480);
      const png = await pool.encode({ width: 640, height: 480, rgba: s.snapshot() });
      expect(sameBytes(decode(png).data, s.rgba)).toBe(true);
    } finally {
      await pool.destroy();
    }
  });
});

describe('writeScreenshot', () => {
  it('writes the surface as PNG and reports path and size', async () => {
    const s = patterned(320, 200);
    const path = join(dir, 'frame.png');
    const messages: ScreenshotMessage[] = [];
    await writeScreenshot(s, path, 3, (m) => messages.push(m));
    expect(messages).toEqual([{ kind: 'screenshot', domid: 3, path, width: 320, height: 200 }]);
    const back = decode(readFileSync(path));
    expect([back.width, back.height]).toEqual([320, 200]);
    expect(sameBytes(back.data, s.rgba)).toBe(true);
  });

  it('reports a file it cannot write instead of failing', async () => {
    const path = join(dir, 'no-such-dir', 'frame.png');
    const messages: ScreenshotMessage[] = [];
    await writeScreenshot(patterned(8, 8), path, 3, (m) => messages.push(m));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ kind: 'screenshot', path, width: 8, height: 8, error: expect.stringMatching(/ENOENT/) });
  });
});

describe("'screenshot' control message", () => {
  it('round-trips and is validated strictly', () => {
    const m: ScreenshotMessage = { kind: 'screenshot', domid: 1, path: '/tmp/x.png', width: 640, height: 480 };
    expect(decodeControlMessage(encodeControlMessage(m))).toEqual(m);
    const failed = { ...m, error: 'screenshot /tmp/x.png: EACCES' };
    expect(decodeControlMessage(encodeControlMessage(failed))).toEqual(failed);
    expect(() => encodeControlMessage({ ...m, path: '' })).toThrow(/path/);
    expect(() => encodeControlMessage({ ...m, width: -1 })).toThrow(/width/);
    expect(() => encodeControlMessage({ ...m, height: 1.5 })).toThrow(/height/);
    expect(() => encodeControlMessage({ ...m, error: '' })).toThrow(/error/);
    expect(() => encodeControlMessage({ ...m, extra: 1 } as unknown as ScreenshotMessage)).toThrow(/unknown field 'extra'/);
  });
});
