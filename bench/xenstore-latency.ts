/**
 * `npm run bench:xenstore-latency [-- --requests N --spins S]`: where should xenstored run? The
 * round trip of one small READ and one WRITE from a guest's ring client, with xenstored
 *   same-thread        in the client's own thread (its notification runs the daemon): no
 *                      wake-up at all, the floor of the daemon's own work;
 *   main-thread        on the main thread's event loop (Atomics.waitAsync on the doorbell), the
 *                      client in a worker as a vCPU would be;
 *   worker-sleep       in a worker of its own that sleeps in Atomics.wait between requests;
 *   worker-spin        in a worker of its own that spins on the doorbell (up to S loads) first;
 * and the toolstack's in-process connection for reference. Medians and p99 over N requests after
 * a warm-up, in microseconds of host time, over --trials rounds that interleave the modes.
 */
import { Command, InvalidArgumentError } from 'commander';
import { Worker } from 'node:worker_threads';
import { RingTransport, XenstoreClient } from '../shared/xenstore-client.js';
import { createXenstoreDoorbell, XS_DOORBELL_KICKS, XS_DOORBELL_SLEEPERS } from '../shared/xenstore-doorbell.js';
import { createXenstoreRingPage, XENSTORE_RING_PAGE_BYTES, XenstoreRingPage } from '../shared/xenstore-wire.js';
import { localXenstoreClient } from '../toolstack/xenstore/local-client.js';
import { Xenstored } from '../toolstack/xenstore/xenstored.js';
import { compiledModule } from '../toolstack/worker-urls.js';
import { XenstoredThread } from '../toolstack/xenstore/xenstored-thread.js';
import { parseBenchArgs, runBenchMain } from './bench-cli.js';
import { measureLatency, type LatencyRow } from './xenstore-latency-measure.js';
import { median } from './statistics.js';

const CLIENT_WORKER = compiledModule('bench/xenstore-latency-client.js');

// Node 20 has Atomics.waitAsync; the ES2022 library typings do not.
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

function homeFor(xs: Xenstored, domid: number): void {
  const dom0 = localXenstoreClient(xs);
  dom0.mkdir(`/local/domain/${domid}`);
  dom0.setPerms(`/local/domain/${domid}`, [`n${domid}`]);
  dom0.close();
}

async function daemonInWorker(mode: string, spins: number, n: number): Promise<LatencyRow> {
  const daemon = await XenstoredThread.start({ spins });
  daemon.dom0.mkdir('/local/domain/1');
  daemon.dom0.setPerms('/local/domain/1', ['n1']);
  // The guest's RAM holds its ring at frame 0, introduced as the toolstack does.
  const ram = new SharedArrayBuffer(XENSTORE_RING_PAGE_BYTES);
  daemon.addDomainMemory(1, ram);
  daemon.dom0.introduce(1, 0, 1);
  const row = await clientInWorker(mode, daemon.doorbell, ram, spins, n);
  await daemon.stop();
  return row;
}

function clientInWorker(mode: string, doorbell: SharedArrayBuffer, buffer: SharedArrayBuffer, spins: number, n: number): Promise<LatencyRow> {
  const client = new Worker(CLIENT_WORKER, { workerData: { doorbell, buffer, requests: n, spins, mode } });
  return new Promise<LatencyRow>((resolve, reject) => {
    client.once('message', (row: LatencyRow) => {
      void client.terminate();
      resolve(row);
    });
    client.once('error', reject);
  });
}

/** xenstored on this thread's event loop, served whenever the doorbell changes. */
async function daemonOnMainThread(spins: number, n: number): Promise<LatencyRow> {
  const doorbell = createXenstoreDoorbell();
  const door = new Int32Array(doorbell);
  const buffer = createXenstoreRingPage();
  const page = new XenstoreRingPage(buffer);
  const xs = new Xenstored({ notify: () => page.notifyResponse() });
  xs.introduceRing(1, page, 1);
  homeFor(xs, 1);
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const seen = Atomics.load(door, XS_DOORBELL_KICKS);
      xs.serviceAll();
      Atomics.add(door, XS_DOORBELL_SLEEPERS, 1);
      const w = waitAsync(door, XS_DOORBELL_KICKS, seen, 50);
      if (w.async) await w.value;
      Atomics.sub(door, XS_DOORBELL_SLEEPERS, 1);
    }
  };
  // Node 20 lets the process end while only a waitAsync is pending: keep the loop alive.
  const keepAlive = setInterval(() => {}, 1000);
  const served = loop();
  const row = await clientInWorker('main-thread (event loop)', doorbell, buffer, spins, n);
  running = false;
  await served;
  clearInterval(keepAlive);
  return row;
}

async function main(): Promise<void> {
  const integer = (name: string, min: number, max: number) => (v: string) => {
    const x = Number(v);
    if (!/^\d+$/.test(v) || x < min || x > max) throw new InvalidArgumentError(`--${name} must be an integer in ${min}..${max}`);
    return x;
  };
  const program = new Command('bench:xenstore-latency')
    .description('time a guest\'s XenStore round trip with xenstored in its thread, on the main thread\'s event loop, or in a worker of its own')
    .option('--requests <n>', 'timed requests per mode and kind', integer('requests', 1, 10_000_000), 20_000)
    .option('--spins <s>', 'loads a spinning waiter makes before it sleeps', integer('spins', 0, 100_000_000), 20_000)
    .option('--trials <t>', 'rounds over all modes', integer('trials', 1, 100), 3);
  if (!parseBenchArgs(program)) return;
  const { requests: n, spins, trials } = program.opts<{ requests: number; spins: number; trials: number }>();

  // Trials interleave the modes, so a burst of load from elsewhere on the machine touches all of them.
  const byMode = new Map<string, LatencyRow[]>();
  for (let t = 0; t < trials; t++) {
    const xs = new Xenstored();
    homeFor(xs, 1);
    const page = new XenstoreRingPage(createXenstoreRingPage());
    xs.introduceRing(1, page, 1);
    const rows = [
      measureLatency('same-thread', new XenstoreClient(new RingTransport(page, () => xs.kick(1), 4)), '/local/domain/1', n),
      measureLatency('local (dom0, in-process)', localXenstoreClient(xs), '/tool', n),
      await daemonInWorker(`worker-spin (${spins})`, spins, n),
      await daemonInWorker('worker-sleep', 0, n),
      await daemonOnMainThread(spins, n),
    ];
    for (const r of rows) byMode.set(r.mode, [...(byMode.get(r.mode) ?? []), r]);
  }

  const cell = (rs: LatencyRow[], k: keyof Omit<LatencyRow, 'mode'>) => {
    const xs = rs.map((r) => r[k]);
    const m = median(xs).toFixed(1);
    return (trials > 1 ? `${m} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]` : m).padStart(22);
  };
  process.stdout.write(`xenstore request latency, µs: median over ${trials} trials of each trial's median and p99 over ${n} requests [range over trials]; client spins ${spins} before sleeping on rsp_prod\n`);
  process.stdout.write(`${'mode'.padEnd(26)}${'read median'.padStart(22)}${'read p99'.padStart(22)}${'write median'.padStart(22)}${'write p99'.padStart(22)}\n`);
  for (const [mode, rs] of byMode) process.stdout.write(`${mode.padEnd(26)}${cell(rs, 'readMedianUs')}${cell(rs, 'readP99Us')}${cell(rs, 'writeMedianUs')}${cell(rs, 'writeP99Us')}\n`);
}

runBenchMain('bench:xenstore-latency', main);
