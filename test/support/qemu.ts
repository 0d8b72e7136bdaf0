/**
 * Running a guest under QEMU, the reference the differential tests hold hvmsim to (docs/architecture.md §2):
 * the `pc` machine, COM1 on stdout, isa-debug-exit at 0xF4.
 */
import { spawn, spawnSync } from 'node:child_process';

export const QEMU_BINARY = process.env['HVMSIM_QEMU'] ?? 'qemu-system-i386';

export interface QemuRunOptions {
  /** Kill QEMU and reject after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Appended to the standard arguments. */
  readonly extraArgs?: readonly string[];
  /** Guest RAM in MiB (default 32). */
  readonly memoryMiB?: number;
  /** Working directory (relative kernel and -initrd paths are resolved there). */
  readonly cwd?: string;
}

export interface QemuRun {
  /** Everything the guest wrote to COM1, one char per byte (latin1), exactly as sent. */
  readonly serial: string;
  /** QEMU's exit status: (code << 1) | 1 after a debug-exit write of code. */
  readonly status: number;
  /** QEMU's own messages. */
  readonly stderr: string;
}

let available: boolean | undefined;

/** Whether qemu-system-i386 can be run here (checked once). */
export function qemuAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync(QEMU_BINARY, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    available = r.status === 0;
  }
  return available;
}

/** The command line runUnderQemu uses, for logs and for running it by hand. */
export function qemuArgs(elfPath: string, opts: QemuRunOptions = {}): string[] {
  return [
    '-kernel', elfPath,
    '-serial', 'stdio',
    '-display', 'none',
    '-monitor', 'none',
    '-no-reboot', // a triple fault ends the run instead of looping through resets
    '-m', String(opts.memoryMiB ?? 32),
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    ...(opts.extraArgs ?? []),
  ];
}

export function runUnderQemu(elfPath: string, opts: QemuRunOptions = {}): Promise<QemuRun> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(QEMU_BINARY, qemuArgs(elfPath, opts), { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const serial = Buffer.concat(out).toString('latin1');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        reject(new Error(`QEMU timed out after ${timeoutMs} ms on ${elfPath}; serial so far: ${JSON.stringify(serial)}`));
      } else if (code === null) {
        reject(new Error(`QEMU was killed by ${signal} on ${elfPath}; stderr: ${stderr.trim()}`));
      } else {
        resolve({ serial, status: code, stderr });
      }
    });
  });
}
