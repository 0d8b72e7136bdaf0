/**
 * What track_dirty_vram's flush handshake (shared/p2m-flush.ts) costs the device model per
 * refresh, with real vCPU threads: each runs the hypervisor's worker (hypervisor/vcpu-worker.ts)
 * on a guest that stores to VRAM in a loop (the shared-dirty LFB, directly mapped), and the
 * device model's side is the flush as track_dirty_vram calls it after re-protecting: SEQ store,
 * a look at each vCPU, a kick to each running one, the wait for its pass. Only the flush is
 * timed; a refresh period's sleep separates trials, so each vCPU is back in guest code. With 0
 * running vCPUs (the domain's vCPUs not started) the figure is the cost of looking alone.
 */
import { hrtime } from 'node:process';
import { Worker } from 'node:worker_threads';
import { dirtyVramFlushArea } from '../shared/dirty-vram.js';
import { DomainControl, REQ_DESTROY, RunState } from '../shared/domain-control.js';
import { attachDomainSharedMemory } from '../shared/domain-layout.js';
import { domainFlushTargets, FLUSH_WAIT_MS, P2mFlush } from '../shared/p2m-flush.js';
import { STD_VGA_BDF, VRAM_BYTES } from '../shared/vga-config.js';
import { assignPciBars, buildDomain } from '../toolstack/domain-builder.js';
import type { GuestImage } from '../toolstack/elf-loader.js';
import { VCPU_WORKER } from '../toolstack/worker-urls.js';
import { median, quantile } from './statistics.js';

export interface FlushPoint {
  /** vCPU threads running guest code during the flushes. */
  running: number;
  trials: number;
  minNs: number;
  medianNs: number;
  p90Ns: number;
  /** vCPUs kicked per flush (mean). */
  kicksPerFlush: number;
  /** Flushes that gave up waiting (FLUSH_WAIT_MS): their pages wait for the next refresh. */
  timeouts: number;
}

export interface FlushCost {
  points: FlushPoint[];
}

const ENTRY = 0x100000;
/** Between two flushes, as between two refreshes at 60 Hz... shortened: the vCPUs only need to be back in guest code. */
const GAP_MS = 2;

/** l: mov [lfb + 0x1000], eax; inc eax; jmp l — a guest storing to VRAM forever. */
function vramLoop(lfb: number): GuestImage {
  const at = lfb + 0x1000;
  const code = Uint8Array.from([0xa3, at & 0xff, (at >>> 8) & 0xff, (at >>> 16) & 0xff, at >>> 24, 0x40, 0xeb, 0xf8]);
  return { entry: ENTRY, segments: [{ paddr: ENTRY, fileBytes: code, memSize: code.length }], multiboot: { offset: 0, flags: 0, warnings: [] }, low: ENTRY, high: ENTRY + code.length };
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`flush handshake: timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** `trials` flushes with `running` vCPU threads in guest code. */
export async function measureFlush(running: number, trials: number): Promise<FlushPoint> {
  const lfb = assignPciBars([{ bdf: STD_VGA_BDF, bar: 0, size: VRAM_BYTES }])[0]!.address;
  const vcpus = Math.max(1, running);
  const config = buildDomain(vramLoop(lfb), { domid: 1, name: 'flush-bench', memoryMiB: 4, vcpus, vga: 'shared-dirty' });
  if (config.vga.lfbAddress !== lfb) throw new Error('flush handshake: the LFB is not where the guest writes');
  const control = new DomainControl(config.control, vcpus);
  const attached = attachDomainSharedMemory(config.io);
  const flush = new P2mFlush(dirtyVramFlushArea(config.vga.dirtyVram));
  const targets = domainFlushTargets(control, attached.ioreq, attached.irqLines);
  const workers: Promise<void>[] = [];
  for (let v = 0; v < running; v++) {
    const w = new Worker(VCPU_WORKER, { workerData: { config, vcpu: v, start: v === 0 ? undefined : { eip: ENTRY, esp: 0x80000 } } });
    workers.push(new Promise((resolve, reject) => (w.once('exit', () => resolve()), w.once('error', reject))));
  }
  try {
    await until('the vCPUs run', () => [...Array(running).keys()].every((v) => control.state(v) === RunState.RUNNING));
    const ns: number[] = [];
    for (let i = 0; i < trials; i++) {
      await new Promise((r) => setTimeout(r, GAP_MS));
      const t0 = hrtime.bigint();
      flush.flush(targets);
      ns.push(Number(hrtime.bigint() - t0));
    }
    const { kicks, timeouts, flushes } = flush.stats;
    return { running, trials, minNs: Math.min(...ns), medianNs: median(ns), p90Ns: quantile(ns, 0.9), kicksPerFlush: kicks / flushes, timeouts };
  } finally {
    control.setRequest(REQ_DESTROY, true);
    for (let v = 0; v < vcpus; v++) attached.irqLines.kick(v);
    await Promise.all(workers);
  }
}

export async function measureFlushCost(trials: number, runningCounts: readonly number[] = [0, 1, 2]): Promise<FlushCost> {
  const points: FlushPoint[] = [];
  for (const running of runningCounts) points.push(await measureFlush(running, trials));
  return { points };
}

export function formatFlushReport(f: FlushCost): string {
  const out = [
    'track_dirty_vram flush handshake per refresh (device-model side: SEQ store, a look at each vCPU, kicks, the wait for their passes), real vCPU threads storing to VRAM (a flush that gives up holds its pages to the next refresh):',
    '',
    `| running vCPUs | flushes | median ns per refresh | min ns | p90 ns | kicks per flush | gave up (after ${FLUSH_WAIT_MS * 1000} µs) |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const p of f.points) {
    out.push(`| ${p.running} | ${p.trials} | ${Math.round(p.medianNs)} | ${Math.round(p.minNs)} | ${Math.round(p.p90Ns)} | ${p.kicksPerFlush.toFixed(2)} | ${p.timeouts} |`);
  }
  return out.join('\n');
}
