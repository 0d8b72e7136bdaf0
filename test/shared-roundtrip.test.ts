/**
 * The ABI across real threads: a vCPU worker and a device-model worker doing ioreq round trips
 * over the shared page, event channels and buffered ring, and sleepers woken across threads.
 * Workers run the compiled code in dist/ (`npm run build`; `npm test` builds first).
 */
import { existsSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { attachDomainSharedMemory, bindIoreqServer, createDomainSharedMemory, createIoreqServerPorts } from '../shared/domain-layout.js';
import { createEventChannelBuffer, EventChannelDirectory } from '../shared/event-channel.js';
import { createIrqLinesBuffer, IrqLines } from '../shared/irq-lines.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

beforeAll(() => {
  for (const m of ['ioreq', 'buffered-ioreq', 'event-channel', 'irq-lines', 'wait', 'domain-layout']) {
    const js = new URL(`../dist/shared/${m}.js`, import.meta.url);
    const ts = new URL(`../shared/${m}.ts`, import.meta.url);
    if (!existsSync(js) || statSync(js).mtimeMs < statSync(ts).mtimeMs) {
      throw new Error(`dist/shared/${m}.js is missing or older than its source: run \`npm run build\` first`);
    }
  }
});

function run<T>(name: string, workerData: unknown): { worker: Worker; result: Promise<T> } {
  const worker = new Worker(fixture(name), { workerData });
  const result = new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`${name} exited with ${code} before reporting`)));
  });
  return { worker, result };
}

interface VcpuResult {
  completed: number;
  lostWakeups: number;
  wrongAnswers: number;
  buffered: number;
  fallbacks: number;
}
interface DmResult {
  served: number[];
  drained: number[];
  outOfOrder: number;
  bufferedOutOfOrder: number;
  unorderedSync: number;
  stale: number;
  timeouts: number;
  rejected: number;
}

async function roundTrips(vcpus: number, count: number, spins: number, bufferedEvery: number) {
  // The toolstack's part: shared memory, the ioreq server's ports, the device model's binding.
  const memory = createDomainSharedMemory(1, vcpus);
  const domain = attachDomainSharedMemory(memory);
  createIoreqServerPorts(domain);
  const binding = bindIoreqServer(domain);
  const dm = run<DmResult>('shared-ioreq-roundtrip-worker.mjs', { memory, role: 'dm', spins, binding });
  const cpus = Array.from({ length: vcpus }, (_, vcpu) =>
    run<VcpuResult>('shared-ioreq-roundtrip-worker.mjs', { memory, role: 'vcpu', vcpu, spins, count, bufferedEvery }),
  );
  const [dmResult, ...vcpuResults] = await Promise.all([dm.result, ...cpus.map((c) => c.result)]);
  return { dm: dmResult, vcpus: vcpuResults };
}

function expectClean(r: Awaited<ReturnType<typeof roundTrips>>, count: number) {
  for (const [v, c] of r.vcpus.entries()) {
    expect(c.completed).toBe(count + 1);
    expect(c.lostWakeups).toBe(0);
    expect(c.wrongAnswers).toBe(0);
    // Every request served exactly once, in order; every buffered write drained, in order,
    // before the synchronous request that followed it.
    expect(r.dm.served[v]).toBe(count + 1);
    expect(r.dm.drained[v]).toBe(c.buffered);
  }
  expect(r.dm.outOfOrder).toBe(0);
  expect(r.dm.bufferedOutOfOrder).toBe(0);
  expect(r.dm.unorderedSync).toBe(0);
  expect(r.dm.timeouts).toBe(0);
  expect(r.dm.rejected).toBe(0);
}

describe('ioreq round trips between a vCPU worker and a device-model worker', () => {
  it('does 100k round trips (spin 2000, then wait) with buffered writes between, none lost or served twice', async () => {
    const r = await roundTrips(1, 100_000, 2000, 8);
    expectClean(r, 100_000);
    expect(r.vcpus[0]!.buffered).toBe(100_000 / 8 + 1);
  });

  it('does 20k round trips when both ends always sleep (spin 0): every wake-up arrives', async () => {
    const r = await roundTrips(1, 20_000, 0, 0);
    expectClean(r, 20_000);
  });

  it('serves two vCPUs through one device model (spin 0)', async () => {
    const r = await roundTrips(2, 10_000, 0, 16);
    expectClean(r, 10_000);
  });
});

/** Poll (without timing anything) until `ready()` holds; gives up after many event-loop turns. */
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !ready(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(ready()).toBe(true);
}

describe('sleepers woken across threads', () => {
  it('an event-channel consumer asleep gets exactly one notify for two coalesced sends', async () => {
    const guestBuf = createEventChannelBuffer(1, 1);
    const dmBuf = createEventChannelBuffer(2, 1);
    const dir = new EventChannelDirectory();
    const guest = dir.attach(guestBuf);
    const dm = dir.attach(dmBuf);
    const g = guest.allocUnbound(2);
    dm.bindInterdomain(1, g);
    dm.fetchAndClear(0, new Int32Array(4), false); // the bind's own pending bit
    const sleeper = run<{ woke: boolean }>('shared-sleeper-worker.mjs', { mode: 'evtchn', buffers: [guestBuf, dmBuf], timeoutMs: 20_000 });
    await until(() => dm.upcallSleepers(0) === 1);
    expect(guest.send(g)).toBe(true);
    expect(guest.send(g)).toBe(false);
    expect((await sleeper.result).woke).toBe(true);
    expect(dm.notifies).toBe(1);
  });

  it('a vCPU halted in waitForKick wakes when the device model raises an IRQ', async () => {
    const buf = createIrqLinesBuffer();
    const lines = new IrqLines(buf);
    const sleeper = run<{ woke: boolean }>('shared-sleeper-worker.mjs', { mode: 'kick', buffers: [buf], timeoutMs: 20_000 });
    await until(() => lines.kickSleepers(0) === 1);
    lines.setIsaIrqLevel(4, true);
    expect((await sleeper.result).woke).toBe(true);
    expect(lines.acknowledgeKick(0)).toBe(true);
  });
});
