/**
 * xenstored in its own worker (dist/toolstack/xenstore/xenstored-worker.js) driven through
 * toolstack/xenstore/xenstored-thread.ts: the toolstack's dom0 ring, a domain's RAM registered
 * and its ring INTRODUCEd at a guest frame, two guests, a watch, RELEASE and stop.
 */
import { describe, expect, it } from 'vitest';
import { XENSTORE_RING_PAGE_BYTES, XenstoreRingPage } from '../shared/xenstore-wire.js';
import { writeDomainNodes } from '../toolstack/xenstore/domain-nodes.js';
import { XenstoredThread } from '../toolstack/xenstore/xenstored-thread.js';
import { codeOf } from './support/xenstore-fixture.js';

const STORE_GFN = 3;

describe('xenstored worker', () => {
  it('serves the toolstack and two domains introduced from their RAM, and stops when asked', async () => {
    const xs = await XenstoredThread.start({ spins: 1000 });
    const guests = [1, 2].map((domid) => {
      writeDomainNodes(xs.dom0, { domid, name: `w${domid}`, uuid: `uuid-${domid}`, vcpus: 1, memoryKiB: 64 });
      const ram = new SharedArrayBuffer(8 * XENSTORE_RING_PAGE_BYTES);
      xs.addDomainMemory(domid, ram);
      xs.dom0.introduce(domid, STORE_GFN, 10 + domid);
      return xs.clientFor(new XenstoreRingPage(ram, STORE_GFN * XENSTORE_RING_PAGE_BYTES));
    });
    const [c1, c2] = guests as [NonNullable<(typeof guests)[0]>, NonNullable<(typeof guests)[1]>];
    expect(c1.read('name')).toBe('w1');
    c1.write('data/x', 'one');
    c2.write('data/x', 'two');
    expect(c1.read('data/x')).toBe('one');
    expect(xs.dom0.read('/local/domain/2/data/x')).toBe('two');
    expect(codeOf(() => c2.read('/local/domain/1/data/x'))).toBe('EACCES');
    c1.watch('control/shutdown', 'sd');
    expect(c1.events).toEqual([{ path: 'control/shutdown', token: 'sd' }]);
    xs.dom0.write('/local/domain/1/control/shutdown', 'poweroff');
    expect(c1.read('control/shutdown')).toBe('poweroff'); // the event arrived before this reply
    expect(c1.events.at(-1)).toEqual({ path: 'control/shutdown', token: 'sd' });
    expect(codeOf(() => xs.dom0.introduce(3, STORE_GFN, 1))).toBe('EINVAL'); // no RAM registered for it
    xs.dom0.release(2);
    const stats = await xs.stop();
    expect(stats.internalErrors).toBe(0);
    expect(stats.requests).toBeGreaterThan(40);
  });
});
