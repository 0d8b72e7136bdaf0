/**
 * The committed guest images (guests/bin/*.elf) and what each is expected to do, for tests
 * that run them under QEMU or hvmsim.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { EXIT_CRASH, EXIT_OK } from '../../toolstack/exit-status.js';
import { VGA_BENCH_GUEST_MODELS, VGA_BENCH_GUEST_NAMES } from '../../guests/vga-models/bench-guest-models.js';
import { VGA_GUEST_MODELS, VGA_GUEST_NAMES } from '../../guests/vga-models/vga-guest-models.js';
import {
  IRQ_WINDOW_DEFAULT_INPUT,
  irqWindowDefaultSerial,
  MOUSE_DRAW_DEFAULT_INPUT,
  mouseDrawDefaultSerial,
} from '../../guests/mouse-draw/input-guest-models.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GUESTS_DIR = path.join(REPO_ROOT, 'guests');
export const GUEST_BIN_DIR = path.join(GUESTS_DIR, 'bin');
/** The toolchain (gcc and ld version lines) the committed images were built with. */
export const GUEST_TOOLCHAIN_FILE = path.join(GUEST_BIN_DIR, 'toolchain.txt');

export const GUEST_NAMES = [
  'hello', 'compute', 'exceptions', 'timer', 'uart-irq', 'triple-fault', 'poweroff', 'ioreq-loop', 'idle',
  ...VGA_GUEST_NAMES,
  ...VGA_BENCH_GUEST_NAMES,
  'mouse-draw', 'smp-block', 'irq-window', 'paging', 'paging-pae', 'compute-paging',
] as const;
export type GuestName = (typeof GUEST_NAMES)[number];

/** Guests with their own entry that dump the loader's handover (test/boot-state.test.ts). */
export const BOOT_STATE_GUESTS = ['boot-state', 'boot-state-aout'] as const;

/** Guests compared with QEMU and the host by their own tests, not run-differential (test/guest-x87.test.ts). */
export const OWN_TEST_GUESTS = ['x87'] as const;

export function guestElf(name: GuestName | (typeof BOOT_STATE_GUESTS)[number] | (typeof OWN_TEST_GUESTS)[number]): string {
  return path.join(GUEST_BIN_DIR, `${name}.elf`);
}

/**
 * How each guest's run ends when all is well: a write of `code` to isa-debug-exit (port 0xF4),
 * a triple fault, or an ACPI S5 power-off (PIIX4 PM1a_CNT). A guest that fails one of its own
 * checks writes GuestExitCode.CHECK_FAILED instead, whatever its normal end.
 */
export type GuestEnd =
  | { readonly kind: 'debug-exit'; readonly code: number }
  | { readonly kind: 'triple-fault' }
  | { readonly kind: 'power-off' };

export const GUEST_END: Readonly<Record<GuestName, GuestEnd>> = {
  hello: { kind: 'debug-exit', code: 0 },
  compute: { kind: 'debug-exit', code: 0 },
  exceptions: { kind: 'debug-exit', code: 0 },
  timer: { kind: 'debug-exit', code: 0 },
  'uart-irq': { kind: 'debug-exit', code: 0 },
  'triple-fault': { kind: 'triple-fault' },
  poweroff: { kind: 'power-off' },
  'ioreq-loop': { kind: 'debug-exit', code: 0 },
  idle: { kind: 'debug-exit', code: 0 },
  'vga-fill': { kind: 'debug-exit', code: 0 },
  'vga-sparse': { kind: 'debug-exit', code: 0 },
  'vga-rmw': { kind: 'debug-exit', code: 0 },
  'vga-blit': { kind: 'debug-exit', code: 0 },
  'vga-text': { kind: 'debug-exit', code: 0 },
  'vga-idle': { kind: 'debug-exit', code: 0 },
  'vga-busy': { kind: 'debug-exit', code: 0 },
  'mouse-draw': { kind: 'debug-exit', code: 0 },
  'smp-block': { kind: 'debug-exit', code: 0 },
  'irq-window': { kind: 'debug-exit', code: 0 },
  paging: { kind: 'debug-exit', code: 0 },
  'paging-pae': { kind: 'debug-exit', code: 0 },
  'compute-paging': { kind: 'debug-exit', code: 0 },
};

/** Arguments a guest needs under QEMU beyond the standard ones (test/support/qemu.ts). */
export const QEMU_EXTRA_ARGS: Readonly<Partial<Record<GuestName, readonly string[]>>> = {
  // QEMU's default CPU model (qemu32) has no NX; hvmsim's CPUID has it.
  'paging-pae': ['-cpu', 'qemu32,+nx'],
};

/**
 * Guests that need what only hvmsim has, so the QEMU comparisons leave them out: why, and the
 * `hvmsim run` options their expected output assumes.
 */
export const HVMSIM_ONLY: Readonly<Partial<Record<GuestName, { readonly reason: string; readonly args: readonly string[] }>>> = {
  'mouse-draw': {
    reason: 'its mouse and keyboard events come from hvmsim run --input (QEMU has no input script)',
    args: ['--input', MOUSE_DRAW_DEFAULT_INPUT],
  },
  'smp-block': {
    reason: "it starts vCPU 1 with hvmsim's VCPUOP_up hypercall and reads hvmsim's slow port 0x700",
    args: ['--vcpus', '2'],
  },
  'irq-window': {
    reason: 'its mouse events come from hvmsim run --input (QEMU has no input script)',
    args: ['--input', IRQ_WINDOW_DEFAULT_INPUT],
  },
};

/** The guests QEMU can run (GUEST_NAMES without HVMSIM_ONLY). */
export const QEMU_GUEST_NAMES = GUEST_NAMES.filter((n) => HVMSIM_ONLY[n] === undefined);

/** Codes every guest may use (guests/runtime/debug-exit.h). */
export const GuestExitCode = { OK: 0, CHECK_FAILED: 1, UNHANDLED_TRAP: 0x7f } as const;

/** The process exit status QEMU (and hvmsim) report for a guest's debug-exit code. */
export function debugExitStatus(code: number): number {
  return ((code << 1) | 1) & 0xff;
}

/** QEMU's status after a guest shuts down by triple fault (with -no-reboot, which qemu.ts passes) or ACPI S5. */
export const QEMU_TRIPLE_FAULT_STATUS = 0;
export const QEMU_POWER_OFF_STATUS = 0;
/**
 * hvmsim's status when a guest crashes its domain (a triple fault: docs/architecture.md §8), with a crash
 * report on stderr; QEMU (0, as a reset) cannot tell it from a clean end, hvmsim does.
 */
export const HVMSIM_CRASH_STATUS = EXIT_CRASH;
/** hvmsim's status after a guest powers its domain off, as QEMU's. */
export const HVMSIM_POWER_OFF_STATUS = EXIT_OK;

/** The process exit status a correct run of `name` ends with under each emulator. */
export function guestExitStatus(name: GuestName, emulator: 'qemu' | 'hvmsim'): number {
  const end = GUEST_END[name];
  switch (end.kind) {
    case 'debug-exit':
      return debugExitStatus(end.code);
    case 'triple-fault':
      return emulator === 'qemu' ? QEMU_TRIPLE_FAULT_STATUS : HVMSIM_CRASH_STATUS;
    case 'power-off':
      return emulator === 'qemu' ? QEMU_POWER_OFF_STATUS : HVMSIM_POWER_OFF_STATUS;
  }
}

/*
 * What each guest prints, stated from facts independent of any emulator: the multiboot magic,
 * C printf semantics, the exception vectors and error codes of the x86 architecture, the
 * guests' own constants, and for compute a host model that computes the same results by other
 * means.
 */
const HELLO_SERIAL =
  'Hello from an hvmsim guest!\n' +
  'multiboot magic: 0x2badb002\n' +
  'mem_lower/mem_upper present\n' +
  'format: [   42] [42   ] [-0042] [+7] [beef] [0000BEEF] [Z] [str] [ ab] [%] [4294967295]\n' +
  'bye\n';

const EXCEPTIONS_SERIAL =
  'exceptions: 6 cases\n' +
  "#DE divide by zero             vector  0, eip insn+0, resumed with handler's EAX: ok\n" +
  "#DE quotient overflow          vector  0, eip insn+0, resumed with handler's EAX: ok\n" +
  "#UD ud2                        vector  6, eip insn+0, resumed with handler's EAX: ok\n" +
  "#BP int3                       vector  3, eip insn+1, resumed with handler's EAX: ok\n" +
  "#GP mov to DS, selector 0x4b   vector 13, error 0048, eip insn+0, resumed with handler's EAX: ok\n" +
  "#GP far jump, selector 0x50    vector 13, error 0050, eip insn+0, resumed with handler's EAX: ok\n" +
  'exceptions: 6 of 6 as expected\n';

/*
 * The interrupt guests print only what does not depend on timing or on the UART's FIFO, so one
 * text holds for QEMU (SeaBIOS set the PIC and PIT up first) and hvmsim (power-on state).
 */
const TIMER_TICKS = 200;
const TIMER_SERIAL =
  'timer: PIC at vectors 0x20/0x28 with only IRQ 0 unmasked, PIT channel 0 in mode 2, divisor 1193 (1000 Hz)\n' +
  'PIT channel 0 counts down (latched reads): yes\n' +
  `took ${TIMER_TICKS} timer interrupts\n` +
  'every HLT was woken by a timer interrupt: yes\n' +
  `IF clear inside the handler: ${TIMER_TICKS} of ${TIMER_TICKS}\n` +
  `IF set in the interrupted code: ${TIMER_TICKS} of ${TIMER_TICKS}\n` +
  `PIC ISR shows IRQ 0 in service inside the handler: ${TIMER_TICKS} of ${TIMER_TICKS}\n` +
  `PIC ISR clear after EOI: ${TIMER_TICKS} of ${TIMER_TICKS}\n` +
  'timer: all checks passed\n';

/** uart-irq's text goes out through its TX ring; the summary counts it. */
function uartIrqSerial(): string {
  const lines = 12;
  let text = '';
  for (let i = 1; i <= lines; i++) {
    text += `ring line ${String(i).padStart(2, '0')}: the quick brown fox jumps over the lazy dog 0123456789\n`;
  }
  return (
    'uart-irq: COM1 THRE interrupt on IRQ 4 (vector 0x24), 128-byte TX ring\n' +
    text +
    `uart-irq: queued ${lines} lines, ${text.length} bytes\n` +
    'bytes sent by the IRQ 4 handler equal bytes queued: yes\n' +
    'THRE interrupts taken: yes\n' +
    'other interrupt causes seen: no\n' +
    'uart-irq: all checks passed\n'
  );
}

/* These two print one line and end the machine; anything more is their failure message. */
const TRIPLE_FAULT_SERIAL = 'triple-fault: loading an IDT with limit 0, then ud2\n';
const POWEROFF_SERIAL = 'poweroff: writing SLP_EN | SLP_TYP=S5 (0x2000) to PM1a_CNT at 0x604\n';

/* The benchmark guests, at their default command-line values. */
const IOREQ_LOOP_SERIAL = 'ioreq-loop: 20000 round trips of out+in on port 0x3ff, 0 mismatches\n';
const IDLE_SERIAL = 'idle: 100 ticks at 100 Hz\n';

/* smp-block at its defaults under --vcpus 2: what vCPU 1 drew is printed only with report=1. */
const SMP_BLOCK_SERIAL =
  'smp-block: std VGA 1234:1111 at 00:02.0, LFB from BAR0, DISPI id 0xb0c5\n' +
  'smp-block: mode 640x480x32, linear frame buffer: registers read back as set\n' +
  'smp-block: VCPUOP_up vCPU 1: 0, vCPU 1 again: -22, vCPU 0: -22, vCPU 32: -22\n' +
  'smp-block: vCPU 1 running (EAX at entry), GDT and IDT loaded\n' +
  'smp-block: 5 reads of the slow port (20 ms each) answered in order: yes\n' +
  'smp-block: vCPU 1 stopped\n';

/*
 * The paging guests print error codes and A/D bits as the SDM (Vol. 3A §4.7, §4.8) defines them
 * for each access, their own constants (addresses, values written), and nothing that depends on
 * TLB caching. Reserved-bit error codes are printed without P (QEMU 7.2 leaves it clear; the SDM
 * sets it, which test/cpu-paging.test.ts holds hvmsim to), and a read-modify-write's fault on a
 * not-present page without W (the silicon sets it, test/cpu-paging-native.test.ts; QEMU does not).
 */
const PAGING_SERIAL =
  'paging: CPUID PSE 1, PGE 1\n' +
  'paging: on, CR0 PG 1, CR3 is the page directory: yes\n' +
  'paging: higher half: a read and a write through the 0xc0000000 alias: ok\n' +
  'paging: higher half: code called through the alias ran there: ok\n' +
  'paging: 4 MiB page PDE A/D: 0 before, 20 after a read, 60 after a write\n' +
  'paging: 4 MiB page: read, write, A then D in the PDE: ok\n' +
  'paging: 4 MiB PDE with reserved bit 21: fault 1, error without P 8, cr2 80400123\n' +
  'paging: 4 MiB page: reserved bit is #PF with RSVD: ok\n' +
  'paging: demand paging: 16 write faults (error codes seen 4), sum 1078, 17 faults in all, last cr2 40020044 error 0, fresh page reads 0\n' +
  'paging: demand paging: one fault per page, write then read error codes, CR2 exact: ok\n' +
  'paging: PTE A/D: 0 before, 20 after a read, 60 after a write; PDE 20\n' +
  'paging: A on a read, D on a write, A in the PDE: ok\n' +
  'paging: remap: 1111, after INVLPG 2222, after MOV CR3 1111\n' +
  'paging: INVLPG and MOV CR3 make a PTE change visible: ok\n' +
  'paging: global page: 1111, after INVLPG 2222, after a CR4.PGE toggle 1111\n' +
  'paging: a global page: INVLPG and a PGE toggle flush it: ok\n' +
  'paging: write across into a not-present page: fault 1, error 2, cr2 40051000, first page unchanged; read: fault 1, error 0, cr2 40051000\n' +
  'paging: a page-crossing access faults on the second page before any byte is written: ok\n' +
  'paging: supervisor write to a read-only page: WP=0 fault 0 (value 600d); WP=1 fault 1, error 3, cr2 40060008, value 0\n' +
  'paging: CR0.WP: ok\n' +
  'paging: not-present PDE: read fault 1, write fault 1, error 2, cr2 50000abc, 2 faults\n' +
  'paging: a not-present PDE: ok\n' +
  'paging: read-modify-write: not present fault 1, error without W 0, cr2 40070000; read-only (WP=1) fault 1, error 3, value 1234\n' +
  'paging: a read-modify-write faults before it writes: ok\n' +
  'paging: off again, marker 4b1d0002\n' +
  'paging: 12 of 12 checks ok\n';

const PAGING_PAE_SERIAL =
  'paging-pae: CPUID PAE 1, NX 1\n' +
  'paging-pae: on, EFER.NXE 1\n' +
  'paging-pae: 2 MiB PDE A/D: 60 for the page in use, 0 for an unused one\n' +
  'paging-pae: 2 MiB pages: A and D set by use only: ok\n' +
  'paging-pae: NX in the PTE: call faults 1, error 11, cr2 40001000, read faults 0 (byte c3); cleared: call faults 0\n' +
  'paging-pae: NX in the PDE: call faults 1, error 11; cleared: call faults 0\n' +
  'paging-pae: execute-disable at either level is #PF with I/D|P on the fetch, data reads pass: ok\n' +
  'paging-pae: reserved bit 62: read fault 1 error without P 8, write fault 1 error without P a; bit 63 with NXE clear: fault 1 error without P 8; with NXE set: fault 0\n' +
  'paging-pae: reserved bits are #PF with RSVD: ok\n' +
  'paging-pae: demand paging: 4 faults, last error 2, cr2 40103080, values read back\n' +
  'paging-pae: demand paging under PAE: ok\n' +
  'paging-pae: PTE A/D: 0 before, 20 after a read, 60 after a write\n' +
  'paging-pae: A and D in a PAE PTE: ok\n' +
  'paging-pae: 5 of 5 checks ok\n';

let computeSerial: string | undefined;

/** The exact COM1 output of a guest that ran correctly (compute's takes ~1 s to work out, then is cached). */
export async function expectedSerial(name: GuestName): Promise<string> {
  switch (name) {
    case 'hello':
      return HELLO_SERIAL;
    case 'exceptions':
      return EXCEPTIONS_SERIAL;
    case 'timer':
      return TIMER_SERIAL;
    case 'uart-irq':
      return uartIrqSerial();
    case 'triple-fault':
      return TRIPLE_FAULT_SERIAL;
    case 'poweroff':
      return POWEROFF_SERIAL;
    case 'ioreq-loop':
      return IOREQ_LOOP_SERIAL;
    case 'idle':
      return IDLE_SERIAL;
    case 'vga-fill':
    case 'vga-sparse':
    case 'vga-rmw':
    case 'vga-blit':
    case 'vga-text':
      // A CRC-32 of the frame each leaves: its host model (guests/vga-models/) draws the same
      // frame at the default command line and checksums it.
      return VGA_GUEST_MODELS[name].serial();
    case 'vga-idle':
    case 'vga-busy':
      // The benchmark VGA guests: a frame CRC-32 too, and vga-busy's work checksum, from their
      // host models (guests/vga-models/idle-model.ts, busy-model.ts) at the default command line.
      return VGA_BENCH_GUEST_MODELS[name].serial();
    case 'mouse-draw':
      // From its default input script, by guests/mouse-draw/input-guest-models.ts.
      return mouseDrawDefaultSerial();
    case 'irq-window':
      return irqWindowDefaultSerial();
    case 'smp-block':
      return SMP_BLOCK_SERIAL;
    case 'paging':
      return PAGING_SERIAL;
    case 'paging-pae':
      return PAGING_PAE_SERIAL;
    case 'compute':
    case 'compute-paging': {
      // compute-paging is compute with paging on: the same work, the same output.
      if (computeSerial === undefined) {
        const { computeExpectedSerial } = await import('../../guests/compute/compute-model.js');
        computeSerial = computeExpectedSerial();
      }
      return computeSerial;
    }
  }
}
