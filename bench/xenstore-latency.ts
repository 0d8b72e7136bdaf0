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
 * a warm-up, in microseconds of host time.
 */
import { Command, InvalidArgumentError } from 'commander';
import { Worker } from 'node:worker_threads';
import { RingTransport, XenstoreClient } from '../shared/xenstore-client.js';
import { createXenstoreDoorbell, stopXenstoreWorker, XS_DOORBELL_KICKS, XS_DOORBELL_SLEEPERS } from '../shared/xenstore-doorbell.js';
import { createXenstoreRingPage, XenstoreRingPage } from '../shared/xenstore-wire.js';
import { localXenstoreClient } from '../toolstack/xenstore/local-client.js';
import { Xenstored } from '../toolstack/xenstore/xenstored.js';
import { compiledModule, XENSTORED_WORKER } from '../toolstack/worker-urls.js';
import { parseBenchArgs, runBenchMain } from './bench-cli.js';
import { measureLatency, type LatencyRow } from './xenstore-latency-measure.js';

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
  const doorbell = createXenstoreDoorbell();
  const buffer = createXenstoreRingPage();
  const daemon = new Worker(XENSTORED_WORKER, { workerData: { doorbell, rings: [{ domid: 1, buffer, offset: 0 }], spins } });
  await new Promise<void>((resolve, reject) => {
    daemon.once('message', () => resolve());
    daemon.once('error', reject);
  });
  const row = await clientInWorker(mode, doorbell, buffer, spins, n);
  const done = new Promise((resolve) => daemon.once('message', resolve));
  stopXenstoreWorker(new Int32Array(doorbell));
  await done;
  await daemon.terminate();
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
    .option('--spins <s>', 'loads a spinning waiter makes before it sleeps', integer('spins', 0, 100_000_000), 20_000);
  if (!parseBenchArgs(program)) return;
  const { requests: n, spins } = program.opts<{ requests: number; spins: number }>();
  const rows: LatencyRow[] = [];

  const xs = new Xenstored();
  homeFor(xs, 1);
  const page = new XenstoreRingPage(createXenstoreRingPage());
  xs.introduceRing(1, page, 1);
  rows.push(measureLatency('same-thread', new XenstoreClient(new RingTransport(page, () => xs.kick(1), 4)), '/local/domain/1', n));
  rows.push(measureLatency('local (dom0, in-process)', localXenstoreClient(xs), '/tool', n));
  rows.push(await daemonInWorker(`worker-spin (${spins})`, spins, n));
  rows.push(await daemonInWorker('worker-sleep', 0, n));
  rows.push(await daemonOnMainThread(spins, n));

  const f = (x: number) => x.toFixed(1).padStart(8);
  process.stdout.write(`xenstore request latency, ${n} requests each (µs; client spins ${spins} before sleeping on rsp_prod)\n`);
  process.stdout.write(`${'mode'.padEnd(26)}  read med   read p99  write med  write p99\n`);
  for (const r of rows) process.stdout.write(`${r.mode.padEnd(26)}${f(r.readMedianUs)}  ${f(r.readP99Us)}  ${f(r.writeMedianUs)}  ${f(r.writeP99Us)}\n`);
}

runBenchMain('bench:xenstore-latency', main);
