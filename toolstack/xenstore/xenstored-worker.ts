/**
 * xenstored in a worker of its own (one of the two placements bench/xenstore-latency.ts
 * measures): it serves the rings it is given whenever the doorbell rings
 * (shared/xenstore-doorbell.ts) and wakes each client through its ring page's rsp_prod word.
 * workerData: { doorbell, rings: [{ domid, buffer, offset }], spins }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { XS_DOORBELL_KICKS, XS_DOORBELL_SLEEPERS, XS_DOORBELL_STOP } from '../../shared/xenstore-doorbell.js';
import { waitWhileEqual } from '../../shared/wait.js';
import { XenstoreRingPage } from '../../shared/xenstore-wire.js';
import { Xenstored } from './xenstored.js';

export interface XenstoredWorkerData {
  readonly doorbell: SharedArrayBuffer;
  readonly rings: readonly { readonly domid: number; readonly buffer: SharedArrayBuffer; readonly offset: number }[];
  /** Doorbell loads before xenstored sleeps. */
  readonly spins: number;
}

const data = workerData as XenstoredWorkerData;
const door = new Int32Array(data.doorbell);
const pages = new Map<number, XenstoreRingPage>();
const xs = new Xenstored({ notify: (domid) => pages.get(domid)?.notifyResponse() });
for (const r of data.rings) {
  const page = new XenstoreRingPage(r.buffer, r.offset);
  pages.set(r.domid, page);
  xs.introduceRing(r.domid, page, 1);
}
// Give every domain a home it may write, so clients have something to read and write.
const dom0 = xs.connectLocal(() => {});
const enc = new TextEncoder();
for (const r of data.rings) {
  dom0.request(12 /* MKDIR */, enc.encode(`/local/domain/${r.domid}\0`));
  dom0.request(14 /* SET_PERMS */, enc.encode(`/local/domain/${r.domid}\0n${r.domid}\0`));
}
parentPort!.postMessage('ready');
for (;;) {
  const seen = Atomics.load(door, XS_DOORBELL_KICKS);
  if (Atomics.load(door, XS_DOORBELL_STOP) !== 0) break;
  xs.serviceAll();
  waitWhileEqual(door, XS_DOORBELL_KICKS, seen, XS_DOORBELL_SLEEPERS, data.spins, Infinity);
}
parentPort!.postMessage({ requests: xs.stats.requests });
