/**
 * Timing a guest under qemu-system-i386 (TCG), the reference the CPU benchmark compares with.
 * The command line is the one test/support/qemu.ts uses (the pc machine, COM1 on stdout,
 * isa-debug-exit at 0xF4); it is repeated here because bench/ is built into dist/ and test/ is not.
 */
import { spawn, spawnSync } from 'node:child_process';

export const QEMU_BINARY = process.env['HVMSIM_QEMU'] ?? 'qemu-system-i386';

export interface TimedQemuRun {
  readonly serial: string;
  /** QEMU's exit status ((code << 1) | 1 after a debug-exit write of code). */
  readonly status: number;
  /** Wall time from spawn to exit, in ms: includes QEMU's own start-up and firmware. */
  readonly ms: number;
}

/** Why QEMU cannot be used here, or null when it can. */
export function qemuUnavailable(): string | null {
  const r = spawnSync(QEMU_BINARY, ['--version'], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0 ? null : `${QEMU_BINARY} --version failed (${r.error?.message ?? `status ${r.status}`})`;
}

export function qemuArgs(elfPath: string, memoryMiB = 32): string[] {
  return [
    '-kernel', elfPath,
    '-serial', 'stdio',
    '-display', 'none',
    '-monitor', 'none',
    '-no-reboot',
    '-m', String(memoryMiB),
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
  ];
}

export function timeUnderQemu(elfPath: string, timeoutMs = 120_000): Promise<TimedQemuRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(QEMU_BINARY, qemuArgs(elfPath), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      if (code === null) {
        reject(new Error(`QEMU ended by ${signal} on ${elfPath}: ${Buffer.concat(err).toString('utf8').trim()}`));
        return;
      }
      resolve({ serial: Buffer.concat(out).toString('latin1'), status: code, ms });
    });
  });
}
