/**
 * The one table through which every VM exit is dispatched, keyed by exit reason (as Xen's
 * vmx_vmexit_handler switch, Firecracker's run_emulation match), with a counter per reason.
 */
import type { Cpu } from './cpu/cpu.js';
import { ExitReason, IoDir } from './cpu/exit.js';
import { P2mType } from '../shared/p2m.js';
import { VCPU_COUNTER_INDEX, type VcpuCounter } from '../shared/run-stats.js';

export interface ExitHandlers {
  io(cpu: Cpu): void;
  mmio(cpu: Cpu): void;
  hlt(cpu: Cpu): void;
  vmcall(cpu: Cpu): void;
  cpuid(cpu: Cpu): void;
  /** RDMSR/WRMSR in the hypervisor's MSR window: complete it, or raise #GP. */
  msr(cpu: Cpu): void;
  interruptWindow(cpu: Cpu): void;
  externalInterrupt(cpu: Cpu): void;
  tripleFault(cpu: Cpu): void;
}

type Entry = { handle: (h: ExitHandlers, cpu: Cpu) => void; counter: (cpu: Cpu) => number };

const counter = (name: VcpuCounter) => () => VCPU_COUNTER_INDEX[name];

/**
 * Reason → handler and counter. EPT violations count as `logdirty` when they hit a log-dirty
 * frame; a continuation (a further access of an instruction already being emulated) is
 * handled without counting another exit.
 */
export const EXIT_TABLE: ReadonlyMap<ExitReason, Entry> = new Map<ExitReason, Entry>([
  [ExitReason.IO_INSTRUCTION, { handle: (h, c) => h.io(c), counter: counter('exit_io') }],
  [
    ExitReason.EPT_VIOLATION,
    {
      handle: (h, c) => h.mmio(c),
      counter: (c) =>
        c.exit.p2mType === P2mType.RAM_LOGDIRTY && c.exit.dir === IoDir.OUT
          ? VCPU_COUNTER_INDEX.exit_logdirty
          : VCPU_COUNTER_INDEX.exit_mmio,
    },
  ],
  [ExitReason.HLT, { handle: (h, c) => h.hlt(c), counter: counter('exit_hlt') }],
  [ExitReason.VMCALL, { handle: (h, c) => h.vmcall(c), counter: counter('exit_vmcall') }],
  [ExitReason.CPUID, { handle: (h, c) => h.cpuid(c), counter: counter('exit_cpuid') }],
  [ExitReason.MSR_READ, { handle: (h, c) => h.msr(c), counter: counter('exit_msr') }],
  [ExitReason.MSR_WRITE, { handle: (h, c) => h.msr(c), counter: counter('exit_msr') }],
  [ExitReason.INTERRUPT_WINDOW, { handle: (h, c) => h.interruptWindow(c), counter: counter('exit_interrupt_window') }],
  [ExitReason.EXTERNAL_INTERRUPT, { handle: (h, c) => h.externalInterrupt(c), counter: counter('exit_external_interrupt') }],
  [ExitReason.TRIPLE_FAULT, { handle: (h, c) => h.tripleFault(c), counter: counter('exit_triple_fault') }],
]);

/** Build the CPU's exit callback: count, then dispatch through the table. */
export function exitDispatcher(handlers: ExitHandlers, counters: Float64Array): (cpu: Cpu) => void {
  // A dense array indexed by reason keeps the dispatch a load and a call.
  const byReason: (Entry | undefined)[] = [];
  for (const [reason, entry] of EXIT_TABLE) byReason[reason] = entry;
  return (cpu: Cpu) => {
    const entry = byReason[cpu.exit.reason];
    if (entry === undefined) {
      cpu.crashWith(`unhandled exit reason ${cpu.exit.reason}`);
      return;
    }
    if (!cpu.exit.continuation || cpu.exit.reason !== ExitReason.EPT_VIOLATION) counters[entry.counter(cpu)]!++;
    entry.handle(handlers, cpu);
  };
}
