/**
 * One in-process run of a multiboot guest on a bare `Cpu`, for the CPU benchmark and the
 * compiler test: the image is loaded as QEMU's -kernel would, and the exits the guest needs
 * are answered by a minimal handler (COM1 output, isa-debug-exit, HLT, CPUID). No hypervisor,
 * no device model: what is timed is the CPU alone.
 */
import { readFileSync } from 'node:fs';
import { Cpu } from '../hypervisor/cpu/cpu.js';
import { ExitReason, IoDir } from '../hypervisor/cpu/exit.js';
import { GuestMemory } from '../hypervisor/cpu/guest-memory.js';
import { completeCpuid } from '../hypervisor/cpuid.js';
import { createP2mBuffer, P2mType, PAGE_SHIFT } from '../shared/p2m.js';
import { parseGuestImage } from '../toolstack/elf-loader.js';
import { loadMultibootKernel } from '../toolstack/multiboot-boot-state.js';

/** Guest RAM, as QEMU's -m 32 (the default of test/support/qemu.ts). */
const RAM_BYTES = 32 << 20;
const COM1 = 0x3f8;
const COM1_LCR = COM1 + 3;
const COM1_LSR = COM1 + 5;
/** LSR: transmitter holding register and shift register empty. */
const LSR_IDLE = 0x60;
const LCR_DLAB = 0x80;
const DEBUG_EXIT_PORT = 0xf4;
/** Run slices: the budget per `Cpu.run` call (the hypervisor also runs in slices). */
const SLICE = 10_000_000;

export interface GuestRunOptions {
  /** Cpu.compileThreshold for this run (undefined: the Cpu's default). */
  readonly compileThreshold?: number;
  /** Give up after this many instructions (default 5e9). */
  readonly maxInstructions?: number;
  /** Run with paging on: RAM identity-mapped with 4 KiB pages before the guest's first instruction. */
  readonly identityPaging?: boolean;
}

export interface GuestRun {
  /** Bytes written to COM1's THR (latin1). */
  readonly serial: string;
  /** Value written to isa-debug-exit, or null when the guest stopped another way. */
  readonly exitCode: number | null;
  /** Why the run ended: 'debug-exit', 'hlt', 'dead: …' or 'budget'. */
  readonly ended: string;
  readonly instructions: number;
  /** Wall time of the Cpu.run calls only (load and set-up excluded), in ms. */
  readonly ms: number;
  /**
   * CPU time of this process over the same calls, in ms: on a machine shared with other work
   * it counts only the time the benchmark ran, so ratios between runs are steadier than wall time.
   */
  readonly cpuMs: number;
  /** Blocks decoded and blocks compiled. */
  readonly blocksDecoded: number;
  readonly blocksCompiled: number;
}

/** A guest loaded on a bare Cpu with the minimal exit handler; `ended` says why it stopped. */
export interface LoadedGuest {
  readonly cpu: Cpu;
  readonly mem: GuestMemory;
  /** Bytes written to COM1's THR so far (latin1). */
  serial(): string;
  /** 'running', 'debug-exit', 'hlt', 'dead: …' or 'unexpected exit …'. */
  readonly ended: string;
  readonly exitCode: number | null;
}

/** Load `elfPath` into fresh guest memory, ready to run from its entry point as QEMU's -kernel starts it. */
export function loadGuest(elfPath: string, compileThreshold?: number, identityPaging = false): LoadedGuest {
  const image = parseGuestImage(readFileSync(elfPath), { ramBytes: RAM_BYTES });
  const mem = new GuestMemory(new SharedArrayBuffer(RAM_BYTES), createP2mBuffer());
  mem.setType(0, RAM_BYTES >>> PAGE_SHIFT, P2mType.RAM_RW);
  const boot = loadMultibootKernel(mem.ram, image, { cmdline: `${elfPath} ` });

  const bytes: number[] = [];
  let lcr = 0;
  const state = { ended: 'running', exitCode: null as number | null };
  const stop = (c: Cpu, why: string): void => {
    state.ended = why;
    c.requestStop();
  };
  const cpu = new Cpu(mem, (c) => {
    const x = c.exit;
    switch (x.reason) {
      case ExitReason.IO_INSTRUCTION:
        if (x.dir === IoDir.OUT) {
          if (x.addr === COM1 && !(lcr & LCR_DLAB)) bytes.push(x.value & 0xff);
          else if (x.addr === COM1_LCR) lcr = x.value & 0xff;
          else if (x.addr === DEBUG_EXIT_PORT) {
            state.exitCode = x.value & 0xff;
            stop(c, 'debug-exit');
          }
        } else {
          // Unclaimed ports read as all ones, as on the pc machine.
          x.value = x.addr === COM1_LSR ? LSR_IDLE : x.addr === COM1_LCR ? lcr : 0xffffffff;
        }
        return;
      case ExitReason.CPUID:
        // The hypervisor's own CPUID policy (the paging guests look for PSE, PAE and NX).
        completeCpuid(c, 0, 1);
        return;
      case ExitReason.HLT:
        stop(c, 'hlt');
        return;
      case ExitReason.TRIPLE_FAULT:
        stop(c, `dead: ${c.crash?.reason ?? 'triple fault'}`);
        return;
      default:
        state.ended = `unexpected exit ${x.reason} at eip 0x${(c.eip >>> 0).toString(16)}`;
        c.crashWith(state.ended);
    }
  });
  if (compileThreshold !== undefined) cpu.compileThreshold = compileThreshold;
  cpu.loadBootState(boot);
  if (identityPaging) enableIdentityPaging(cpu, mem);
  return {
    cpu,
    mem,
    serial: () => Buffer.from(bytes).toString('latin1'),
    get ended() {
      return cpu.dead && !state.ended.startsWith('dead') ? `dead: ${cpu.crash?.reason ?? '?'}` : state.ended;
    },
    get exitCode() {
      return state.exitCode;
    },
  };
}

/** Load `elfPath` and run it to its debug-exit (or HLT, or death, or the instruction limit). */
export function runGuest(elfPath: string, opts: GuestRunOptions = {}): GuestRun {
  const g = loadGuest(elfPath, opts.compileThreshold, opts.identityPaging);
  const cpu = g.cpu;
  const max = opts.maxInstructions ?? 5e9;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (g.ended === 'running' && cpu.instructions < max) cpu.run(SLICE);
  const c = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  return {
    serial: g.serial(),
    exitCode: g.exitCode,
    ended: g.ended === 'running' ? 'budget' : g.ended,
    instructions: cpu.instructions,
    ms,
    cpuMs: (c.user + c.system) / 1000,
    blocksDecoded: cpu.blocks.decoded,
    blocksCompiled: cpu.blocks.compiled,
  };
}

/**
 * Paging on with every RAM frame identity-mapped by a 4 KiB page (32-bit paging, no large or
 * global pages), as if the loader had done it: the page directory and tables go in the top
 * 128 KiB, which the firmware memory map reserves (toolstack/firmware-memory-map.ts), so the
 * guest never touches them. The guest runs exactly as without paging, through the TLB.
 */
export function enableIdentityPaging(cpu: Cpu, mem: GuestMemory): void {
  const frames = mem.ramBytes >>> PAGE_SHIFT;
  const tables = Math.ceil(frames / 1024);
  const pd = mem.ramBytes - (128 << 10);
  if ((1 + tables) * 4096 > 128 << 10) throw new RangeError('identity paging: RAM too large for the reserved top 128 KiB');
  for (let t = 0; t < tables; t++) {
    const pt = pd + 4096 * (1 + t);
    mem.writePhys32(pd + 4 * t, pt | 3); // present, writable
    for (let i = 0; i < 1024; i++) {
      const f = t * 1024 + i;
      mem.writePhys32(pt + 4 * i, f < frames ? (f << PAGE_SHIFT) | 3 : 0);
    }
  }
  cpu.cr3 = pd;
  cpu.cr0 |= 1 << 31; // CR0.PG
  cpu.setPaging(true);
}
