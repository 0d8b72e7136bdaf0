/** Transactions: a private snapshot, EAGAIN on a conflicting commit and a retry that succeeds, abort, and the errors. */
import { describe, expect, it } from 'vitest';
import { XsClientError } from '../shared/xenstore-client.js';
import { nulStrings, XS_TRANSACTION_START } from '../shared/xenstore-wire.js';
import { writeDomainNodes } from '../toolstack/xenstore/domain-nodes.js';
import { codeOf, xsFixture } from './support/xenstore-fixture.js';

describe('xenstored transactions', () => {
  it('sees a snapshot: its own changes inside, none of them outside until the commit', () => {
    const { dom0 } = xsFixture();
    dom0.write('/t/a', 'before');
    const tx = dom0.transactionStart();
    dom0.write('/t/a', 'inside', tx);
    dom0.write('/t/b', 'new', tx);
    expect(dom0.read('/t/a', tx)).toBe('inside');
    expect(dom0.read('/t/a')).toBe('before');
    expect(codeOf(() => dom0.read('/t/b'))).toBe('ENOENT');
    const peek = dom0.transactionStart();
    dom0.write('/t/other', 'outside'); // not read by `tx`: no conflict for it
    expect(codeOf(() => dom0.read('/t/other', peek))).toBe('ENOENT'); // `peek` does not see it
    dom0.transactionEnd(peek, false);
    dom0.transactionEnd(tx, true);
    expect(dom0.read('/t/a')).toBe('inside');
    expect(dom0.read('/t/b')).toBe('new');
    expect(dom0.read('/t/other')).toBe('outside');
  });

  it('a commit after another domain changed a node it read is EAGAIN; redoing the transaction succeeds', () => {
    const f = xsFixture();
    writeDomainNodes(f.dom0, { domid: 1, name: 'one', uuid: 'u1', vcpus: 1, memoryKiB: 1024 });
    const d1 = f.guest(1).client;
    d1.write('data/counter', '0');
    const increment = (tx: number) => d1.write('data/counter', String(Number(d1.read('data/counter', tx)) + 1), tx);

    const tx1 = d1.transactionStart();
    increment(tx1);
    f.dom0.write('/local/domain/1/data/counter', '10'); // meanwhile
    expect(codeOf(() => d1.transactionEnd(tx1, true))).toBe('EAGAIN');
    expect(d1.read('data/counter')).toBe('10');
    expect(codeOf(() => d1.read('data/counter', tx1))).toBe('ENOENT'); // the id died with the failed commit

    let attempts = 0;
    for (;;) {
      attempts++;
      const tx = d1.transactionStart();
      increment(tx);
      try {
        d1.transactionEnd(tx, true);
        break;
      } catch (e) {
        if (!(e instanceof XsClientError && e.code === 'EAGAIN')) throw e;
      }
    }
    expect(attempts).toBe(1);
    expect(d1.read('data/counter')).toBe('11');
  });

  it('a directory read in the transaction conflicts with a child created meanwhile', () => {
    const { dom0 } = xsFixture();
    dom0.mkdir('/dir');
    const tx = dom0.transactionStart();
    expect(dom0.directory('/dir', tx)).toEqual([]);
    dom0.write('/dir/late', '1');
    dom0.write('/dir/mine', '2', tx);
    expect(codeOf(() => dom0.transactionEnd(tx, true))).toBe('EAGAIN');
  });

  it('a node found absent and created meanwhile conflicts', () => {
    const { dom0 } = xsFixture();
    const tx = dom0.transactionStart();
    expect(codeOf(() => dom0.read('/absent', tx))).toBe('ENOENT');
    dom0.write('/absent', 'now');
    dom0.write('/absent', 'mine', tx);
    expect(codeOf(() => dom0.transactionEnd(tx, true))).toBe('EAGAIN');
    expect(dom0.read('/absent')).toBe('now');
  });

  it('abort (F) discards every change', () => {
    const { dom0 } = xsFixture();
    const tx = dom0.transactionStart();
    dom0.write('/ab/x', '1', tx);
    dom0.transactionEnd(tx, false);
    expect(codeOf(() => dom0.read('/ab/x'))).toBe('ENOENT');
  });

  it('watches fire at commit, not before, and not for an aborted transaction', () => {
    const { dom0 } = xsFixture();
    dom0.watch('/wt', 'w');
    dom0.events.length = 0;
    const tx = dom0.transactionStart();
    dom0.write('/wt/a', '1', tx);
    dom0.poll();
    expect(dom0.events).toEqual([]);
    dom0.transactionEnd(tx, true);
    dom0.poll();
    expect(dom0.events).toEqual([{ path: '/wt/a', token: 'w' }]);
    const tx2 = dom0.transactionStart();
    dom0.rm('/wt/a', tx2);
    dom0.transactionEnd(tx2, false);
    dom0.poll();
    expect(dom0.events).toHaveLength(1);
  });

  it('an unknown id is ENOENT, START inside a transaction is EBUSY, END needs T or F', () => {
    const f = xsFixture();
    const { dom0 } = f;
    expect(codeOf(() => dom0.read('/', 999))).toBe('ENOENT');
    expect(codeOf(() => dom0.transactionEnd(999, true))).toBe('ENOENT');
    const tx = dom0.transactionStart();
    expect(codeOf(() => dom0.call(XS_TRANSACTION_START, nulStrings(''), tx))).toBe('EBUSY');
    expect(codeOf(() => dom0.call(7, nulStrings('X'), tx))).toBe('EINVAL');
    // Another domain cannot use this id.
    const d5 = f.guest(5).client;
    expect(codeOf(() => d5.read('/', tx))).toBe('ENOENT');
    dom0.transactionEnd(tx, true);
  });

  it('a commit whose change no longer applies on the live tree is EAGAIN, and nothing of it lands', () => {
    const f = xsFixture();
    writeDomainNodes(f.dom0, { domid: 1, name: 'one', uuid: 'u1', vcpus: 1, memoryKiB: 1024 });
    const d1 = f.guest(1).client;
    const tx = d1.transactionStart();
    d1.write('data/a', '1', tx);
    d1.write('data/b', '2', tx);
    f.dom0.setPerms('/local/domain/1/data', ['n0']); // domain 1 loses write access meanwhile
    expect(codeOf(() => d1.transactionEnd(tx, true))).toBe('EAGAIN');
    expect(codeOf(() => f.dom0.read('/local/domain/1/data/a'))).toBe('ENOENT');
  });
});
