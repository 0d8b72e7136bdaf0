/**
 * The toolstack's handle on xenstored running in its own worker (xenstored-worker.ts): start it,
 * give it a domain's RAM so INTRODUCE can find the ring, and talk to it as domain 0 through a
 * ring page of the toolstack's own. The dom0 client is synchronous: it rings the doorbell and
 * waits on its page's rsp_prod word (Atomics.wait; a few microseconds, docs/xenstore.md).
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { RingTransport, XenstoreClient } from '../../shared/xenstore-client.js';
import { createXenstoreDoorbell, ringXenstoreDoorbell, stopXenstoreWorker } from '../../shared/xenstore-doorbell.js';
import { createXenstoreRingPage, XenstoreRingPage } from '../../shared/xenstore-wire.js';
import { XENSTORED_WORKER } from '../worker-urls.js';
import { PRIVILEGED_DOMID } from './permissions.js';
import type { XsQuotas } from './quotas.js';
import type { XenstoredControl, XenstoredWorkerData } from './xenstored-worker.js';

/** How long one wait on rsp_prod lasts before the client looks again and rings once more. */
const WAIT_MS = 5;
/** Waits without any byte moving before a client gives up on a reply. */
const PATIENCE = 2000;

export class XenstoredThread {
  readonly dom0: XenstoreClient;
  private readonly door: Int32Array;

  private constructor(
    private readonly worker: Worker,
    private readonly control: MessagePort,
    /** The doorbell page, for clients in other threads (shared/xenstore-doorbell.ts). */
    readonly doorbell: SharedArrayBuffer,
    private readonly spins: number,
  ) {
    this.door = new Int32Array(doorbell);
    const buffer = createXenstoreRingPage();
    this.send({ kind: 'ring', domid: PRIVILEGED_DOMID, buffer, offset: 0 });
    this.dom0 = this.clientFor(new XenstoreRingPage(buffer));
  }

  static async start(options: { spins?: number; quotas?: Partial<XsQuotas> } = {}): Promise<XenstoredThread> {
    const doorbell = createXenstoreDoorbell();
    const { port1, port2 } = new MessageChannel();
    const spins = options.spins ?? 0;
    const data: XenstoredWorkerData = { doorbell, control: port2, spins, quotas: options.quotas };
    const worker = new Worker(XENSTORED_WORKER, { workerData: data, transferList: [port2] });
    await new Promise<void>((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
    });
    return new XenstoredThread(worker, port1, doorbell, spins);
  }

  /** Let xenstored map pages of this domain's RAM, for INTRODUCE. */
  addDomainMemory(domid: number, ram: SharedArrayBuffer): void {
    this.send({ kind: 'memory', domid, buffer: ram });
  }

  /** A domain's notification: look at the rings. */
  kick(): void {
    ringXenstoreDoorbell(this.door);
  }

  /** A client for a ring page another thread (or a test) holds, woken the same way as dom0's. */
  clientFor(page: XenstoreRingPage): XenstoreClient {
    const wake = (): void => {
      const seen = page.load('rspProd');
      ringXenstoreDoorbell(this.door);
      if (page.responseBytesAvailable() === 0) page.waitResponse(seen, this.spins, WAIT_MS);
    };
    return new XenstoreClient(new RingTransport(page, wake, PATIENCE));
  }

  async stop(): Promise<{ requests: number; internalErrors: number }> {
    const done = new Promise<{ requests: number; internalErrors: number }>((resolve) => this.control.once('message', resolve));
    stopXenstoreWorker(this.door);
    const stats = await done;
    this.control.close();
    await this.worker.terminate();
    return stats;
  }

  private send(c: XenstoredControl): void {
    this.control.postMessage(c);
    ringXenstoreDoorbell(this.door);
  }
}
