/**
 * `hvmsim run GUEST.elf`: build one domain, stream COM1 to stdout (and stdin to COM1), wait for
 * its outcome and exit as QEMU would — the isa-debug-exit status, 0 on power-off — or with
 * EXIT_CRASH and a one-paragraph report on stderr when the domain crashes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { CrashReport } from '../shared/control-messages.js';
import type { ScanStrategy, VgaMode } from '../shared/vga-config.js';
import { buildDomain, DomainBuildError } from './domain-builder.js';
import { Domain } from './domain.js';
import { GuestImageError, readGuestImage } from './elf-loader.js';
import { MultibootLayoutError, type MultibootModule } from './multiboot.js';
import { EXIT_CRASH, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './exit-status.js';
import { collectRunStats } from './run-stats.js';
import { InputScriptError, readInputScript } from '../device-model/input-script.js';

export interface RunOptions {
  memoryMiB: number;
  statsFile?: string;
  spin?: number;
  strictMemory?: boolean;
  cmdline?: string;
  vga?: VgaMode;
  scan?: ScanStrategy;
  refreshHz?: number;
  screenshot?: string;
  vcpus?: number;
  /** Path of an input script (device-model/input-script.ts). */
  inputScript?: string;
  /** Multiboot modules in order. */
  modules?: readonly ModuleArgument[];
}

/** A module to load: its file, and the string the kernel sees for it. */
export interface ModuleArgument {
  readonly path: string;
  readonly string: string;
}

class ModuleFileError extends Error {}

function readModules(modules: readonly ModuleArgument[]): MultibootModule[] {
  return modules.map((m) => {
    try {
      return { bytes: readFileSync(m.path), string: m.string };
    } catch (err) {
      throw new ModuleFileError(`${m.path}: cannot read module (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  });
}

export interface RunIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin?: NodeJS.ReadableStream;
}

export async function runCommand(guestPath: string, opts: RunOptions, io: RunIo): Promise<number> {
  let domain: Domain;
  try {
    const image = readGuestImage(guestPath, { ramBytes: opts.memoryMiB * 2 ** 20 });
    const input = opts.inputScript === undefined ? undefined : readInputScript(opts.inputScript);
    const modules = readModules(opts.modules ?? []);
    for (const w of image.multiboot.warnings) io.stderr.write(`hvmsim: ${guestPath}: warning: ${w}\n`);
    const config = buildDomain(image, {
      domid: 1,
      name: basename(guestPath).replace(/\.elf$/, '').slice(0, 64) || 'guest',
      memoryMiB: opts.memoryMiB,
      spin: opts.spin,
      strictMemory: opts.strictMemory,
      kernelPath: guestPath,
      cmdline: opts.cmdline,
      vga: opts.vga,
      scan: opts.scan,
      refreshHz: opts.refreshHz,
      screenshot: opts.screenshot,
      vcpus: opts.vcpus,
      input,
      modules,
    });
    domain = new Domain(config);
  } catch (e) {
    if (e instanceof InputScriptError || e instanceof ModuleFileError) {
      io.stderr.write(`hvmsim: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof GuestImageError || e instanceof DomainBuildError || e instanceof MultibootLayoutError || e instanceof RangeError) {
      io.stderr.write(`hvmsim: ${guestPath}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }

  // A reader that goes away (`| head`) ends the console stream, not the run: the guest carries on
  // to its own end and its status, as QEMU's -serial stdio does.
  let consoleOpen = true;
  io.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    consoleOpen = false;
  });
  domain.on('console', (bytes) => {
    if (consoleOpen) io.stdout.write(bytes);
  });
  const onInput = (chunk: Buffer): void => void domain.sendConsoleInput(chunk);
  io.stdin?.on('data', onInput);
  let interrupted = false;
  const onSigint = (): void => {
    interrupted = true;
    void domain.destroy();
  };
  process.on('SIGINT', onSigint);
  try {
    await domain.start();
    const outcome = await domain.outcome();
    await domain.destroy();
    if (opts.statsFile) writeFileSync(opts.statsFile, JSON.stringify(collectRunStats(guestPath, domain, outcome), null, 2) + '\n');
    if (interrupted) return EXIT_INTERRUPTED;
    switch (outcome.kind) {
      case 'debug-exit':
        return outcome.status & 0xff;
      case 'shutdown':
        if (outcome.reason === 'crash') {
          io.stderr.write(`hvmsim: domain ${domain.config.name} shut down with reason crash\n`);
          return EXIT_CRASH;
        }
        if (outcome.reason === 'reboot') io.stderr.write(`hvmsim: domain ${domain.config.name} rebooted (not restarted, as QEMU's -no-reboot)\n`);
        return EXIT_OK;
      case 'crash':
        io.stderr.write(crashParagraph(domain.config.name, outcome.report));
        return EXIT_CRASH;
      default:
        return interrupted ? EXIT_INTERRUPTED : EXIT_CRASH;
    }
  } finally {
    process.off('SIGINT', onSigint);
    io.stdin?.off('data', onInput);
    if (io.stdin && 'pause' in io.stdin) (io.stdin as NodeJS.ReadStream).pause();
  }
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * The reason as one line of prose, whatever a thread put in it: stack frames dropped, line
 * breaks folded, a stray "[object Object]" named for what it is.
 */
function readableReason(reason: string): string {
  const text = reason
    .split('\n')
    .filter((line) => !/^\s+at\s/.test(line))
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ')
    .replaceAll('[object Object]', '(an unprintable value)')
    .replace(/\.+$/, '');
  return text || 'no reason given';
}

export function crashParagraph(name: string, r: CrashReport): string {
  const bytes = [...r.instructionBytes].map((b) => b.toString(16).padStart(2, '0')).join(' ') || 'unreadable';
  const regs = r.registers
    ? Object.entries(r.registers)
        .map(([k, v]) => `${k}=${['es', 'cs', 'ss', 'ds', 'fs', 'gs'].includes(k) ? '0x' + v.toString(16) : hex(v)}`)
        .join(' ')
    : 'not available';
  const exits = Object.entries(r.exits)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
  return (
    `hvmsim: domain ${name} crashed on vCPU ${r.vcpu}: ${readableReason(r.reason)}. ` +
    `EIP ${hex(r.eip)}, instruction bytes ${bytes}. Registers: ${regs}. Exits: ${exits || 'none'}.\n`
  );
}
