/** Permissions across domains: owners, per-domain letters, inheritance on create, and dom0's privilege. */
import { describe, expect, it } from 'vitest';
import { writeDomainNodes } from '../toolstack/xenstore/domain-nodes.js';
import { codeOf, xsFixture } from './support/xenstore-fixture.js';

function twoDomains() {
  const f = xsFixture();
  for (const [domid, name] of [[1, 'alpha'], [2, 'beta']] as const) {
    writeDomainNodes(f.dom0, { domid, name, uuid: `00000000-0000-0000-0000-00000000000${domid}`, vcpus: 1, memoryKiB: 65536 });
  }
  return { ...f, d1: f.guest(1).client, d2: f.guest(2).client };
}

describe('xenstored permissions', () => {
  it("a domain never reads, lists, writes or removes another domain's private nodes", () => {
    const { d1, d2 } = twoDomains();
    d1.write('data/secret', 's3cret');
    expect(d1.read('data/secret')).toBe('s3cret');
    expect(codeOf(() => d2.read('/local/domain/1/data/secret'))).toBe('EACCES');
    expect(codeOf(() => d2.directory('/local/domain/1/data'))).toBe('EACCES');
    expect(codeOf(() => d2.getPerms('/local/domain/1/data/secret'))).toBe('EACCES');
    expect(codeOf(() => d2.write('/local/domain/1/data/secret', 'x'))).toBe('EACCES');
    expect(codeOf(() => d2.write('/local/domain/1/data/new', 'x'))).toBe('EACCES');
    expect(codeOf(() => d2.rm('/local/domain/1/data/secret'))).toBe('EACCES');
    expect(codeOf(() => d2.setPerms('/local/domain/1/data/secret', ['b2']))).toBe('EACCES');
    expect(d1.read('data/secret')).toBe('s3cret');
  });

  it("a domain reads its home's toolstack keys but cannot change them or add keys at its home", () => {
    const { d1 } = twoDomains();
    expect(d1.read('name')).toBe('alpha');
    expect(d1.read('domid')).toBe('1');
    expect(codeOf(() => d1.write('name', 'evil'))).toBe('EACCES');
    expect(codeOf(() => d1.write('newkey', 'x'))).toBe('EACCES');
    expect(codeOf(() => d1.rm('name'))).toBe('EACCES');
    expect(codeOf(() => d1.read('/local/domain/2/name'))).toBe('EACCES');
    expect(codeOf(() => d1.directory('/local/domain'))).toBe('EACCES');
  });

  it('a created node inherits its parent list with the creator as owner', () => {
    const { dom0, d1, d2 } = twoDomains();
    dom0.setPerms('/local/domain/1/data', ['n1', 'r2']);
    d1.write('data/shared/x', '1');
    expect(dom0.getPerms('/local/domain/1/data/shared')).toEqual(['n1', 'r2']);
    expect(dom0.getPerms('/local/domain/1/data/shared/x')).toEqual(['n1', 'r2']);
    expect(d2.read('/local/domain/1/data/shared/x')).toBe('1'); // r2 inherited
    expect(codeOf(() => d2.write('/local/domain/1/data/shared/x', '2'))).toBe('EACCES');
    // dom0 creating keeps the parent's owner.
    dom0.write('/local/domain/1/data/by-dom0', 'z');
    expect(dom0.getPerms('/local/domain/1/data/by-dom0')).toEqual(['n1', 'r2']);
  });

  it('the first entry is the owner and its letter the default; later entries grant named domains', () => {
    const { dom0, d1, d2 } = twoDomains();
    dom0.write('/pub', 'p');
    dom0.setPerms('/pub', ['r0', 'n2']);
    expect(d1.read('/pub')).toBe('p'); // default r
    expect(codeOf(() => d2.read('/pub'))).toBe('EACCES'); // n2
    expect(codeOf(() => d1.write('/pub', 'x'))).toBe('EACCES');
    dom0.setPerms('/pub', ['n0', 'w1']);
    expect(codeOf(() => d1.read('/pub'))).toBe('EACCES');
    d1.write('/pub', 'written-blind');
    expect(dom0.read('/pub')).toBe('written-blind');
  });

  it('only the owner may change a list, and an unprivileged owner may not give its node away', () => {
    const { dom0, d1, d2 } = twoDomains();
    d1.write('data/mine', 'm');
    d1.setPerms('data/mine', ['n1', 'r2']);
    expect(d2.read('/local/domain/1/data/mine')).toBe('m');
    expect(codeOf(() => d1.setPerms('data/mine', ['n2']))).toBe('EPERM');
    dom0.setPerms('/local/domain/1/data/mine', ['n2', 'b1']);
    // Domain 1 may still write (b1) but no longer owns it, so it may not change the list.
    expect(codeOf(() => d1.setPerms('data/mine', ['n1']))).toBe('EACCES');
    expect(dom0.getPerms('/local/domain/1/data/mine')).toEqual(['n2', 'b1']);
  });

  it('dom0 reads and writes everything regardless of the lists', () => {
    const { dom0, d1 } = twoDomains();
    d1.write('data/x', 'v');
    d1.setPerms('data/x', ['n1']);
    expect(dom0.read('/local/domain/1/data/x')).toBe('v');
    dom0.write('/local/domain/1/data/x', 'w');
    expect(d1.read('data/x')).toBe('w');
  });
});

describe('xenstored does not reveal which private nodes exist', () => {
  it("a missing node under another domain's private directory is EACCES, as an existing one is", () => {
    const f = xsFixture();
    for (const d of [1, 2]) writeDomainNodes(f.dom0, { domid: d, name: `d${d}`, uuid: `u${d}`, vcpus: 1, memoryKiB: 1024 });
    const d1 = f.guest(1).client;
    const d2 = f.guest(2).client;
    d1.write('data/exists', '1');
    expect(codeOf(() => d2.read('/local/domain/1/data/exists'))).toBe('EACCES');
    expect(codeOf(() => d2.read('/local/domain/1/data/missing'))).toBe('EACCES');
    expect(codeOf(() => d2.directory('/local/domain/1/data/missing/deeper'))).toBe('EACCES');
    expect(codeOf(() => d2.rm('/local/domain/1/data/missing'))).toBe('EACCES');
    // Under a directory it may read, a missing node is ENOENT.
    expect(codeOf(() => d2.read('data/missing'))).toBe('ENOENT');
  });
});
