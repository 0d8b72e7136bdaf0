/**
 * PNG encoding of a display surface (8-bit RGBA, pngjs). `encodePng` runs on the calling thread;
 * `PngEncoderPool` runs it on a piscina worker (png-encode-worker.js), so the device model's
 * thread only hands the pixels over and waits for its event loop to bring the result back.
 * Workers always load compiled JavaScript: from this module's own folder when it runs from
 * dist/, else from the repository's dist/ (tests that import the TypeScript sources need
 * `npm run build` first, as for every worker).
 */
import pngjs from 'pngjs';
import { Piscina } from 'piscina';

export interface PngTask {
  width: number;
  height: number;
  /** width × height × 4 bytes, R G B A. */
  rgba: Uint8Array;
}

export function encodePng(task: PngTask): Uint8Array {
  const { width, height, rgba } = task;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || rgba.length !== width * height * 4) {
    throw new RangeError(`PNG: ${width}x${height} does not match ${rgba.length} bytes of RGBA`);
  }
  const png = new pngjs.PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  const encoded = pngjs.PNG.sync.write(png, { colorType: 6, inputColorType: 6 });
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/** Where the compiled worker module is (this module may run from dist/, from a bundle in dist/workers/, or from source). */
export function pngWorkerUrl(): URL {
  const here = new URL('.', import.meta.url);
  const dist = /^(.*\/dist\/)/.exec(here.pathname);
  if (dist) return new URL(`file://${dist[1]}device-model/devices/vga/png-encode-worker.js`);
  return new URL('../../../dist/device-model/devices/vga/png-encode-worker.js', here);
}

export class PngEncoderPool {
  private readonly pool: Piscina<PngTask, Uint8Array>;

  constructor(workerUrl: URL = pngWorkerUrl()) {
    // One thread: a screenshot is one job, and the machine has two cores.
    // No inherited execArgv: a test runner's loader hooks would slow the worker's start-up.
    this.pool = new Piscina({ filename: workerUrl.href, minThreads: 0, maxThreads: 1, idleTimeout: 1000, execArgv: [] });
  }

  /** Encode on the pool's thread; the pixels are moved there (the caller keeps no access). */
  encode(task: PngTask): Promise<Uint8Array> {
    const own = task.rgba.byteOffset === 0 && task.rgba.byteLength === task.rgba.buffer.byteLength && task.rgba.buffer instanceof ArrayBuffer;
    return this.pool.run(task, own ? { transferList: [task.rgba.buffer as ArrayBuffer] } : {});
  }

  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}
