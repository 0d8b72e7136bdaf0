/**
 * QEMU as the oracle for what a VGA guest leaves on screen: the guest runs with hold=1, prints
 * "vga: holding" when its frame is final and spins; then the HMP monitor's `screendump` writes
 * the displayed frame as a PPM (P6), and `quit` ends QEMU. The std VGA (`-vga std`), as
 * docs/architecture.md §2's platform has it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QEMU_BINARY } from './qemu.js';

/** What a hold=1 VGA guest prints once its final frame is up. */
export const HOLDING_LINE = 'vga: holding\n';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** width * height pixels, 3 bytes each (R, G, B), row by row from the top. */
  readonly rgb: Uint8Array;
}

export interface QemuScreendump extends RgbImage {
  /** COM1 output up to and including HOLDING_LINE. */
  readonly serial: string;
  /** QEMU's messages. */
  readonly stderr: string;
}

export interface ScreendumpOptions {
  /** Command-line knobs for the guest (frames=N ...); hold=1 is put in front. */
  readonly cmdline?: string;
  /** Kill QEMU and reject after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Guest RAM in MiB (default 32). */
  readonly memoryMiB?: number;
}

export function screendumpArgs(elfPath: string, monitorSocket: string, opts: ScreendumpOptions = {}): string[] {
  return [
    '-kernel', elfPath,
    '-append', `hold=1 ${opts.cmdline ?? ''}`.trim(),
    '-vga', 'std',
    '-display', 'none',
    '-serial', 'stdio',
    '-monitor', `unix:${monitorSocket},server,nowait`,
    '-no-reboot',
    '-m', String(opts.memoryMiB ?? 32),
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
  ];
}

/** Parses a binary PPM (P6, maxval 255): header fields separated by whitespace or comments. */
export function parsePpm(data: Uint8Array): RgbImage {
  let pos = 0;
  const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  const token = (): string => {
    for (;;) {
      while (pos < data.length && isSpace(data[pos]!)) pos++;
      if (data[pos] !== 0x23 /* # */) break;
      while (pos < data.length && data[pos] !== 0x0a) pos++;
    }
    const start = pos;
    while (pos < data.length && !isSpace(data[pos]!)) pos++;
    return Buffer.from(data.subarray(start, pos)).toString('latin1');
  };
  const magic = token();
  if (magic !== 'P6') throw new Error(`not a binary PPM (magic ${JSON.stringify(magic)})`);
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(`PPM: bad size ${width}x${height}`);
  }
  if (maxval !== 255) throw new Error(`PPM: maxval ${maxval}, only 255 is handled`);
  pos++; // exactly one whitespace byte ends the header
  const bytes = width * height * 3;
  if (data.length - pos < bytes) throw new Error(`PPM: ${data.length - pos} pixel bytes, ${bytes} needed`);
  return { width, height, rgb: data.slice(pos, pos + bytes) };
}

/** Sends HMP commands one at a time, each answered when the next "(qemu) " prompt arrives. */
class HmpMonitor {
  private text = '';
  private prompts = 0;
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.text += chunk;
      // Echo and line editing come back too; only a prompt ends an answer.
      for (let i = this.text.indexOf('(qemu) '); i >= 0; i = this.text.indexOf('(qemu) ')) {
        this.prompts++;
        this.text = this.text.slice(i + 7);
      }
      this.waiter?.();
    });
    const fail = (e: Error): void => {
      this.failure = e;
      this.waiter?.();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('QEMU monitor connection closed')));
  }

  static connect(socketPath: string): Promise<HmpMonitor> {
    return new Promise((resolve, reject) => {
      const s = createConnection(socketPath);
      s.once('connect', () => resolve(new HmpMonitor(s)));
      s.once('error', reject);
    });
  }

  /** Waits until `count` prompts have arrived in all. */
  private async promptsReach(count: number): Promise<void> {
    while (this.prompts < count) {
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => (this.waiter = r));
      this.waiter = undefined;
    }
  }

  /** Runs one command and returns once QEMU prompts again (the command has completed). */
  async command(line: string): Promise<void> {
    await this.promptsReach(1); // the greeting's prompt
    const before = this.prompts;
    this.socket.write(`${line}\n`);
    await this.promptsReach(before + 1);
  }

  /** `quit`: QEMU closes the connection rather than prompting. */
  quit(): void {
    this.socket.write('quit\n');
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Runs `elfPath` under QEMU with hold=1, takes a screendump once the guest prints
 * HOLDING_LINE, quits QEMU and returns the serial text and the screen's pixels. Rejects if the
 * guest ends before holding (its serial text and status are in the message) or on timeout.
 */
export async function screendumpUnderQemu(elfPath: string, opts: ScreendumpOptions = {}): Promise<QemuScreendump> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hvmsim-screendump-'));
  const socketPath = path.join(dir, 'monitor.sock');
  const ppmPath = path.join(dir, 'screen.ppm');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const child = spawn(QEMU_BINARY, screendumpArgs(elfPath, socketPath, opts), { stdio: ['ignore', 'pipe', 'pipe'] });
  let serial = '';
  let stderr = '';
  child.stdout.setEncoding('latin1');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  exited.catch(() => undefined); // observed below; never an unhandled rejection
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`QEMU screendump of ${elfPath} timed out after ${timeoutMs} ms; serial so far: ${JSON.stringify(serial)}`));
    }, timeoutMs);
  });
  timedOut.catch(() => undefined);
  let monitor: HmpMonitor | undefined;
  try {
    let held = false;
    const holding = new Promise<void>((resolve) => {
      child.stdout.on('data', (s: string) => {
        serial += s;
        if (!held && serial.includes(HOLDING_LINE)) {
          held = true;
          resolve();
        }
      });
    });
    const endedEarly = exited.then((status) => {
      if (held) return new Promise<never>(() => undefined); // the quit below ends it
      throw new Error(`${elfPath} ended under QEMU (status ${status}) without holding; serial: ${JSON.stringify(serial)}; stderr: ${stderr.trim()}`);
    });
    endedEarly.catch(() => undefined);
    await Promise.race([holding, endedEarly, timedOut]);
    monitor = await HmpMonitor.connect(socketPath);
    await Promise.race([monitor.command(`screendump ${ppmPath}`), timedOut]);
    const image = parsePpm(readFileSync(ppmPath));
    monitor.quit();
    const status = await Promise.race([exited, timedOut]);
    if (status !== 0) throw new Error(`QEMU exited with status ${status} after quit; stderr: ${stderr.trim()}`);
    return { ...image, serial, stderr };
  } finally {
    clearTimeout(timer);
    monitor?.close();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
