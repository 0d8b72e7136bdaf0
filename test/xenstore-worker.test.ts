/** xenstored in its own worker (dist/toolstack/xenstore/xenstored-worker.js): a ring client in this thread talks to it through the doorbell. */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { RingTransport, XenstoreClient } from '../shared/xenstore-client.js';
import { createXenstoreDoorbell, ringXenstoreDoorbell, stopXenstoreWorker } from '../shared/xenstore-doorbell.js';
import { createXenstoreRingPage, XenstoreRingPage } from '../shared/xenstore-wire.js';
import { XENSTORED_WORKER } from '../toolstack/worker-urls.js';
import { codeOf } from './support/xenstore-fixture.js';

describe('xenstored worker', () => {
  it('serves two domains over their rings and stops when asked', async () => {
    const doorbell = createXenstoreDoorbell();
    const door = new Int32Array(doorbell);
    const buffers = [createXenstoreRingPage(), createXenstoreRingPage()];
    const worker = new Worker(XENSTORED_WORKER, { workerData: { doorbell, rings: buffers.map((buffer, i) => ({ domid: i + 1, buffer, offset: 0 })), spins: 1000 } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    const clients = buffers.map((b) => {
      const page = new XenstoreRingPage(b);
      const wake = () => {
        const seen = page.load('rspProd');
        ringXenstoreDoorbell(door);
        if (page.responseBytesAvailable() === 0) page.waitResponse(seen, 1000, 20);
      };
      return new XenstoreClient(new RingTransport(page, wake, 500));
    });
    const [c1, c2] = clients as [XenstoreClient, XenstoreClient];
    c1.write('data', 'one');
    c2.write('data', 'two');
    expect(c1.read('data')).toBe('one');
    expect(c2.read('data')).toBe('two');
    expect(codeOf(() => c2.read('/local/domain/1/data'))).toBe('EACCES');
    c1.watch('data', 'w');
    expect(c1.events).toEqual([{ path: 'data', token: 'w' }]);
    c1.write('data/x', '3');
    expect(c1.events.at(-1)).toEqual({ path: 'data/x', token: 'w' });
    const done = new Promise<{ requests: number }>((resolve) => worker.once('message', resolve));
    stopXenstoreWorker(door);
    expect((await done).requests).toBe(4 + 7); // its own setup (2 per domain) and the clients' 7 requests
    await worker.terminate();
  });
});
