/**
 * The `--stats FILE.json` document: the names later issues and CI rely on (instructions, exits
 * by reason, ioreqs, interrupts_injected, paging, wall_ms, mips), totals over vCPUs plus per-vCPU and
 * device-model detail. Counters are deterministic for a guest with no wall-clock input; wall_ms
 * and mips are timings.
 */
import type { Domain, DomainOutcome } from './domain.js';

export interface RunStats {
  guest: string;
  outcome: string;
  instructions: number;
  exits: Record<string, number>;
  ioreqs: { sync: number; buffered: number };
  interrupts_injected: number;
  /** The software TLB (hypervisor/cpu/tlb.ts): lookups with no entry, page walks, #PF raised. */
  paging: { tlb_miss: number; page_walks: number; page_faults: number };
  null_device: { reads: number; writes: number };
  device_model: Record<string, number>;
  vcpus: Record<string, number>[];
  wall_ms: number;
  mips: number;
  ioreq_wait_ms: number;
}

export function describeOutcome(o: DomainOutcome): string {
  switch (o.kind) {
    case 'debug-exit':
      return `debug-exit status ${o.status}`;
    case 'shutdown':
      return `shutdown ${o.reason}`;
    case 'crash':
      return `crash: ${o.report.reason}`;
    default:
      return 'destroyed';
  }
}

export function collectRunStats(guest: string, domain: Domain, outcome: DomainOutcome): RunStats {
  const { vcpus, dm } = domain.counters();
  const sum = (name: string): number => vcpus.reduce((a, v) => a + (v[name] ?? 0), 0);
  const exits: Record<string, number> = {};
  for (const name of Object.keys(vcpus[0] ?? {})) {
    if (name.startsWith('exit_')) exits[name.slice(5)] = sum(name);
  }
  const wallMs = domain.wallMs();
  const instructions = sum('instructions');
  return {
    guest,
    outcome: describeOutcome(outcome),
    instructions,
    exits,
    ioreqs: { sync: sum('ioreq_sync'), buffered: sum('ioreq_buffered') },
    interrupts_injected: sum('interrupts_injected'),
    paging: { tlb_miss: sum('tlb_miss'), page_walks: sum('page_walks'), page_faults: sum('page_faults') },
    null_device: { reads: sum('null_reads'), writes: sum('null_writes') },
    device_model: dm,
    vcpus,
    wall_ms: Math.round(wallMs * 1000) / 1000,
    mips: wallMs > 0 ? Math.round((instructions / wallMs / 1000) * 100) / 100 : 0,
    ioreq_wait_ms: Math.round((sum('ioreq_wait_ns') / 1e6) * 1000) / 1000,
  };
}
