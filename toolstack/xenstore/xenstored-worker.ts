/**
 * xenstored in a worker of its own (docs/xenstore.md "Placement"): it sleeps on the doorbell
 * (shared/xenstore-doorbell.ts) and, each time it rings, takes the toolstack's control messages
 * and serves every ring. A domain's ring is attached as xenstored attaches it: the toolstack
 * registers the domain's RAM, then sends INTRODUCE domid|gfn|port| and the page at that frame
 * becomes the domain's ring. The toolstack's own connection is a ring page introduced directly
 * as domain 0. Clients are woken through their page's rsp_prod word until event channels carry
 * the notification.
 *
 * workerData: { doorbell, control (a MessagePort), spins, quotas? }.
 * Control messages: { kind: 'memory', domid, buffer } — a domain's RAM, for INTRODUCE;
 *                   { kind: 'ring', domid, buffer, offset } — a ring attached directly;
 *                   { kind: 'release', domid }.
 * On stop it posts { requests, internalErrors } on the control port.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { XS_DOORBELL_KICKS, XS_DOORBELL_SLEEPERS, XS_DOORBELL_STOP } from '../../shared/xenstore-doorbell.js';
import { waitWhileEqual } from '../../shared/wait.js';
import { XENSTORE_RING_PAGE_BYTES, XenstoreRingPage } from '../../shared/xenstore-wire.js';
import type { XsQuotas } from './quotas.js';
import { Xenstored } from './xenstored.js';

export type XenstoredControl =
  | { readonly kind: 'memory'; readonly domid: number; readonly buffer: SharedArrayBuffer }
  | { readonly kind: 'ring'; readonly domid: number; readonly buffer: SharedArrayBuffer; readonly offset: number }
  | { readonly kind: 'release'; readonly domid: number };

export interface XenstoredWorkerData {
  readonly doorbell: SharedArrayBuffer;
  readonly control: MessagePort;
  /** Doorbell loads before xenstored sleeps. */
  readonly spins: number;
  readonly quotas?: Partial<XsQuotas>;
}

const data = workerData as XenstoredWorkerData;
const door = new Int32Array(data.doorbell);
const memory = new Map<number, SharedArrayBuffer>();
const pages = new Map<number, XenstoreRingPage>();
const xs = new Xenstored({
  quotas: data.quotas,
  notify: (domid) => pages.get(domid)?.notifyResponse(),
  mapRing: (domid, gfn) => {
    const ram = memory.get(domid);
    if (!ram || (gfn + 1) * XENSTORE_RING_PAGE_BYTES > ram.byteLength) return undefined;
    const page = new XenstoreRingPage(ram, gfn * XENSTORE_RING_PAGE_BYTES);
    pages.set(domid, page);
    return page;
  },
});

function takeControl(): void {
  for (let m = receiveMessageOnPort(data.control); m; m = receiveMessageOnPort(data.control)) {
    const c = m.message as XenstoredControl;
    if (c.kind === 'memory') memory.set(c.domid, c.buffer);
    else if (c.kind === 'ring') {
      const page = new XenstoreRingPage(c.buffer, c.offset);
      pages.set(c.domid, page);
      xs.introduceRing(c.domid, page, 1);
    } else {
      xs.release(c.domid);
      pages.delete(c.domid);
      memory.delete(c.domid);
    }
  }
}

for (;;) {
  const seen = Atomics.load(door, XS_DOORBELL_KICKS);
  if (Atomics.load(door, XS_DOORBELL_STOP) !== 0) break;
  takeControl();
  xs.serviceAll();
  waitWhileEqual(door, XS_DOORBELL_KICKS, seen, XS_DOORBELL_SLEEPERS, data.spins, Infinity);
}
data.control.postMessage({ requests: xs.stats.requests, internalErrors: xs.stats.internalErrors });
