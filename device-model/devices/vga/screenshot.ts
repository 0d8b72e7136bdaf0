/**
 * `--screenshot FILE.png`: the final frame written as PNG when the domain ends. The pixels are
 * copied off the surface, encoded on a piscina worker, and written; then the toolstack is told
 * (a 'screenshot' control message, with `error` if anything failed), which it waits for before
 * it reports the run's end. Never rejects: a failure is what the message reports.
 */
import { writeFile } from 'node:fs/promises';
import type { ScreenshotMessage } from '../../../shared/control-messages.js';
import type { DisplaySurface } from './display-surface.js';
import type { PngEncoderPool } from './png-encode.js';

export async function writeScreenshot(
  surface: DisplaySurface,
  path: string,
  domid: number,
  report: (message: ScreenshotMessage) => void,
  pool?: PngEncoderPool,
): Promise<void> {
  const { width, height } = surface;
  const message: ScreenshotMessage = { kind: 'screenshot', domid, path, width, height };
  let encoder: PngEncoderPool | undefined = pool;
  try {
    // Loaded on first use: a run without --screenshot never pays for piscina and pngjs.
    encoder ??= new (await import('./png-encode.js')).PngEncoderPool();
    const png = await encoder.encode({ width, height, rgba: surface.snapshot() });
    await writeFile(path, png);
  } catch (err) {
    message.error = `screenshot ${path}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 1024);
  } finally {
    // A pool this call made must not keep the thread alive.
    if (pool === undefined) await encoder?.destroy().catch(() => {});
  }
  try {
    report(message);
  } catch {
    // The toolstack is gone; nobody is waiting for the message.
  }
}
