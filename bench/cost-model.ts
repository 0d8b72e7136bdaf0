/**
 * The cost model: modeled time = Σ counter × cost, on a named real machine. A profile
 * (bench/cost-models/NAME.json) gives each cost in cycles with its source; this module says which
 * counters each cost multiplies, so every profile prices exactly the same events.
 *
 * The model is serial: it adds the guest's own work, every exit's world switch, the round trips to
 * the device model and the device model's display work onto one timeline. That is what a guest
 * sharing a CPU with its device model (Xen 3.0: qemu-dm in dom0) pays; with the device model on
 * another core its display work is spent beside the guest, not in its way (see `dmMs`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** A run's counters, flattened: vCPU counters summed over vCPUs, device-model ones as `dm.NAME`. */
export type Counters = Record<string, number>;

const get = (c: Counters, n: string): number => c[n] ?? 0;

export function totalExits(c: Counters): number {
  let n = 0;
  for (const [k, v] of Object.entries(c)) if (k.startsWith('exit_')) n += v;
  return n;
}

/**
 * Synchronous MMIO round trips: the device model's `mmio` counts the synchronous COPY requests
 * it serves (buffered entries are counted apart, in `buffered_served`, and priced as
 * buffered_write, never as round trips).
 */
export function syncMmioIoreqs(c: Counters): number {
  return Math.max(0, Math.min(get(c, 'ioreq_sync'), get(c, 'dm.mmio')));
}

/** The other synchronous round trips: port I/O and PCI configuration (the device model's `pio` + `pci_config`). */
export function syncPioIoreqs(c: Counters): number {
  return Math.max(0, get(c, 'ioreq_sync') - syncMmioIoreqs(c));
}

/**
 * Exits that went to the device model: one exit may send several ioreqs (a read-modify-write on
 * MMIO sends a read and a write), so this is `ioreq_exits`, not `ioreq_sync`; counters recorded
 * before that counter existed had one ioreq per exit.
 */
export function exitsToDeviceModel(c: Counters): number {
  return c.ioreq_exits ?? get(c, 'ioreq_sync');
}

export interface CostTerm {
  parameter: string;
  /** What one unit of the count is. */
  per: string;
  /** Whose time it is: the vCPU's (the guest waits for it) or the device model's own. */
  side: 'vcpu' | 'dm';
  /** The counters the count is made of (`exit_*` = every exit reason). */
  inputs: readonly string[];
  count(c: Counters): number;
}

/** Whether a counter name is one of a term's inputs. */
export function termReads(t: CostTerm, counter: string): boolean {
  return t.inputs.some((i) => (i.endsWith('*') ? counter.startsWith(i.slice(0, -1)) : counter === i));
}

const SYNC_INPUTS = ['ioreq_sync', 'dm.mmio'];

export const COST_TERMS: readonly CostTerm[] = [
  { parameter: 'guest_instruction', per: 'guest instruction executed', side: 'vcpu', inputs: ['instructions'], count: (c) => get(c, 'instructions') },
  { parameter: 'vm_exit', per: 'VM exit of any reason (hardware world switch out and back in)', side: 'vcpu', inputs: ['exit_*'], count: totalExits },
  {
    parameter: 'exit_in_hypervisor',
    per: 'exit handled inside the hypervisor (PIC/PIT/RTC, CPUID, HLT, log-dirty fault, buffered post), on top of vm_exit',
    side: 'vcpu',
    inputs: ['exit_*', 'ioreq_exits', 'ioreq_sync'],
    count: (c) => Math.max(0, totalExits(c) - exitsToDeviceModel(c)),
  },
  { parameter: 'ioreq_pio', per: 'synchronous port-I/O or PCI-config ioreq round trip to the device model, on top of the exit', side: 'vcpu', inputs: SYNC_INPUTS, count: syncPioIoreqs },
  {
    parameter: 'ioreq_mmio',
    per: 'synchronous MMIO ioreq round trip (instruction decode and emulation included: Xen re-runs the emulation when each answer arrives), on top of the exit',
    side: 'vcpu',
    inputs: SYNC_INPUTS,
    count: syncMmioIoreqs,
  },
  { parameter: 'buffered_write', per: 'buffered-ring entry handled by the device model', side: 'dm', inputs: ['ioreq_buffered'], count: (c) => get(c, 'ioreq_buffered') },
  { parameter: 'interrupt', per: 'interrupt injected at VM entry', side: 'vcpu', inputs: ['interrupts_injected'], count: (c) => get(c, 'interrupts_injected') },
  { parameter: 'scan_byte', per: 'frame-buffer byte compared or hashed by the device model', side: 'dm', inputs: ['dm.bytes_compared'], count: (c) => get(c, 'dm.bytes_compared') },
  { parameter: 'dirty_page', per: 'dirty 4 KiB frame-buffer page copied and converted by the device model', side: 'dm', inputs: ['dm.dirty_pages'], count: (c) => get(c, 'dm.dirty_pages') },
  { parameter: 'display_refresh', per: 'display refresh (timer wake-up, dirty-bitmap fetch, bookkeeping)', side: 'dm', inputs: ['dm.refreshes'], count: (c) => get(c, 'dm.refreshes') },
];

const parameterSchema = z.strictObject({
  value: z.number().min(0),
  unit: z.literal('cycles'),
  source: z.string().min(1),
});

export const costProfileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  description: z.string().min(1),
  cpuGHz: z.number().positive().max(10),
  parameters: z.strictObject(Object.fromEntries(COST_TERMS.map((t) => [t.parameter, parameterSchema])) as Record<string, typeof parameterSchema>),
});

export type CostProfile = z.output<typeof costProfileSchema>;

export class CostModelError extends Error {}

export function parseCostProfile(data: unknown, label: string): CostProfile {
  const r = costProfileSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const where = i.path.join('.');
    throw new CostModelError(`${label}: ${where ? where + ': ' : ''}${i.message}`);
  }
  return r.data;
}

/** Every profile in a folder, by name (file name = profile name). */
export function loadCostProfiles(dir: string): CostProfile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const label = path.join(path.basename(dir), f);
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
      } catch (e) {
        throw new CostModelError(`${label}: not valid JSON (${(e as Error).message})`);
      }
      const p = parseCostProfile(data, label);
      if (`${p.name}.json` !== f) throw new CostModelError(`${label}: name "${p.name}" does not match the file name`);
      return p;
    });
}

export interface ModeledTime {
  profile: string;
  /** Everything on one timeline, ms. */
  totalMs: number;
  /** The part the guest's vCPU waits for, ms. */
  vcpuMs: number;
  /** The device model's own work (display, buffered entries), ms. */
  dmMs: number;
  /** Per parameter: how many events and the ms they cost. */
  terms: Record<string, { count: number; ms: number }>;
}

export function modelTime(c: Counters, p: CostProfile): ModeledTime {
  const cyclesPerMs = p.cpuGHz * 1e6;
  const terms: ModeledTime['terms'] = {};
  let vcpuMs = 0;
  let dmMs = 0;
  for (const t of COST_TERMS) {
    const count = t.count(c);
    const ms = (count * p.parameters[t.parameter]!.value) / cyclesPerMs;
    terms[t.parameter] = { count, ms };
    if (t.side === 'vcpu') vcpuMs += ms;
    else dmMs += ms;
  }
  return { profile: p.name, totalMs: vcpuMs + dmMs, vcpuMs, dmMs, terms };
}
