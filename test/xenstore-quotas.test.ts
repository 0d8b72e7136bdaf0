/** Per-domain quotas: nodes, value size, watches, transactions, outstanding replies and queued watch events. */
import { describe, expect, it } from 'vitest';
import { encodeMessage, nulStrings, XS_READ, writePayload, XS_WRITE } from '../shared/xenstore-wire.js';
import { writeDomainNodes } from '../toolstack/xenstore/domain-nodes.js';
import { DEFAULT_XS_QUOTAS } from '../toolstack/xenstore/quotas.js';
import type { XenstoredOptions } from '../toolstack/xenstore/xenstored.js';
import { codeOf, xsFixture } from './support/xenstore-fixture.js';

function one(options: XenstoredOptions = {}) {
  const f = xsFixture(options);
  writeDomainNodes(f.dom0, { domid: 1, name: 'one', uuid: 'u1', vcpus: 1, memoryKiB: 1024 });
  const g = f.guest(1);
  return { ...f, d1: g.client, page: g.page };
}

describe('xenstored quotas', () => {
  it('states C xenstored defaults', () => {
    expect(DEFAULT_XS_QUOTAS).toMatchObject({ nodes: 1000, valueBytes: 2048, watches: 128, transactions: 10, transactionOps: 1024, outstanding: 20 });
  });

  it('a domain may own so many nodes; removing some makes room', () => {
    const { d1, xs } = one({ quotas: { nodes: 20 } });
    const start = xs.nodesOwnedBy(1);
    let made = 0;
    while (codeOf(() => d1.write(`data/n${made}`, '')) === 'ok') made++;
    expect(start + made).toBe(20);
    expect(codeOf(() => d1.write(`data/n${made}`, ''))).toBe('ENOSPC');
    expect(codeOf(() => d1.write('data/deep/a/b', ''))).toBe('ENOSPC');
    d1.rm('data/n0');
    expect(xs.nodesOwnedBy(1)).toBe(19);
    expect(codeOf(() => d1.write('data/again', ''))).toBe('ok');
  });

  it('dom0 has no node quota', () => {
    const { dom0 } = one({ quotas: { nodes: 20 } });
    for (let i = 0; i < 50; i++) dom0.write(`/tool/n${i}`, '');
    expect(dom0.directory('/tool')).toHaveLength(50);
  });

  it('a value longer than the quota is ENOSPC', () => {
    const { d1 } = one();
    expect(codeOf(() => d1.write('data/v', 'x'.repeat(2048)))).toBe('ok');
    expect(codeOf(() => d1.write('data/v', 'x'.repeat(2049)))).toBe('ENOSPC');
  });

  it('watches per domain', () => {
    const { d1 } = one({ quotas: { watches: 3 } });
    for (let i = 0; i < 3; i++) d1.watch('data', `t${i}`);
    expect(codeOf(() => d1.watch('data', 't3'))).toBe('ENOSPC');
    d1.unwatch('data', 't0');
    expect(codeOf(() => d1.watch('data', 't3'))).toBe('ok');
  });

  it('open transactions per domain, and changes per transaction', () => {
    const { d1 } = one({ quotas: { transactions: 2, transactionOps: 3 } });
    const a = d1.transactionStart();
    d1.transactionStart();
    expect(codeOf(() => d1.transactionStart())).toBe('ENOSPC');
    d1.transactionEnd(a, false);
    const c = d1.transactionStart();
    for (let i = 0; i < 3; i++) d1.write(`data/k${i}`, '', c);
    expect(codeOf(() => d1.write('data/k3', '', c))).toBe('ENOSPC');
  });

  it('permission entries per node', () => {
    const { d1 } = one({ quotas: { permEntries: 2 } });
    d1.write('data/p', '');
    expect(codeOf(() => d1.setPerms('data/p', ['n1', 'r2', 'r3']))).toBe('ok');
    expect(codeOf(() => d1.setPerms('data/p', ['n1', 'r2', 'r3', 'r4']))).toBe('ENOSPC');
  });

  it('reads no more requests while `outstanding` replies wait for the guest, and goes on once it takes them', () => {
    const { xs, page } = one({ quotas: { outstanding: 3 } });
    // Each READ's reply carries a 900-byte value, so the 1024-byte response ring holds one.
    xs.connectLocal(() => {}).request(XS_WRITE, writePayload('/local/domain/1/data/big', 'b'.repeat(900)));
    xs.connectLocal(() => {}).request(14, nulStrings('/local/domain/1/data/big', 'r1'));
    const req = encodeMessage(XS_READ, 1, 0, nulStrings('/local/domain/1/data/big'));
    for (let i = 0; i < 10; i++) expect(page.giveRequestBytes(req)).toBe(req.length);
    const before = xs.stats.requests;
    xs.kick(1);
    // The first reply goes onto the ring, three more wait in the queue, then xenstored waits too.
    expect(xs.stats.requests - before).toBe(4);
    const drain = () => {
      const buf = new Uint8Array(1024);
      let n = 0;
      while (page.takeResponseBytes(buf) > 0) n++;
      return n;
    };
    for (let round = 0; round < 20 && xs.stats.requests - before < 10; round++) {
      drain();
      xs.kick(1);
    }
    expect(xs.stats.requests - before).toBe(10);
  });

  it('a watch flood is bounded: events past the queue limit are dropped, and the domain still gets replies', () => {
    const { dom0, d1, xs } = one({ quotas: { queuedWatchEvents: 5 } });
    d1.watch('data', 'flood');
    d1.events.length = 0;
    // The guest does not read its ring while dom0 makes 200 changes it may see.
    for (let i = 0; i < 200; i++) dom0.write('/local/domain/1/data/x', String(i));
    expect(xs.ringOf(1)!.droppedEvents).toBeGreaterThan(150);
    expect(d1.read('data/x')).toBe('199');
    expect(d1.events.length).toBeGreaterThan(0);
    // What the ring held (29-byte events: header, "data/x", "flood") and the 5 queued.
    expect(d1.events.length).toBeLessThanOrEqual(5 + Math.ceil(1024 / 29));
  });
});
