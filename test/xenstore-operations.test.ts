/** Every request of the protocol over a guest's ring and the toolstack's connection, with the replies xenstored gives. */
import { describe, expect, it } from 'vitest';
import { XS_CONTROL, XS_DIRECTORY_PART, XS_ERROR, XS_INVALID, XS_READ, XS_WATCH_EVENT, nulStrings, bytesToString, writePayload, XS_WRITE, XS_MKDIR } from '../shared/xenstore-wire.js';
import { codeOf, xsFixture } from './support/xenstore-fixture.js';

describe('xenstored operations', () => {
  it('WRITE creates missing parents with empty values; READ returns the bytes without a NUL', () => {
    const { dom0 } = xsFixture();
    dom0.write('/a/b/c', 'hello');
    expect(dom0.read('/a/b/c')).toBe('hello');
    expect(dom0.read('/a/b')).toBe('');
    expect(dom0.directory('/a')).toEqual(['b']);
    const r = dom0.request(XS_READ, nulStrings('/a/b/c'));
    expect([...r.payload]).toEqual([...new TextEncoder().encode('hello')]);
  });

  it('WRITE keeps binary values, including NULs and an empty value', () => {
    const { dom0 } = xsFixture();
    dom0.write('/v', Uint8Array.of(0, 255, 0));
    expect([...dom0.call(XS_READ, nulStrings('/v'))]).toEqual([0, 255, 0]);
    dom0.write('/v', '');
    expect(dom0.read('/v')).toBe('');
  });

  it('MKDIR makes an empty node and leaves an existing one as it is', () => {
    const { dom0 } = xsFixture();
    dom0.mkdir('/m/n');
    expect(dom0.read('/m/n')).toBe('');
    dom0.write('/m/n', 'x');
    dom0.mkdir('/m/n');
    expect(dom0.read('/m/n')).toBe('x');
  });

  it('DIRECTORY lists children in creation order, each NUL-terminated; none is an empty payload', () => {
    const { dom0 } = xsFixture();
    for (const k of ['z', 'a', 'm']) dom0.write(`/d/${k}`, k);
    expect(dom0.directory('/d')).toEqual(['z', 'a', 'm']);
    expect(dom0.request(1, nulStrings('/d/a')).payload.length).toBe(0);
  });

  it('RM removes a subtree; a missing node is fine, a missing parent is ENOENT, the root is EINVAL', () => {
    const { dom0 } = xsFixture();
    dom0.write('/r/s/t', '1');
    dom0.rm('/r/s');
    expect(codeOf(() => dom0.read('/r/s/t'))).toBe('ENOENT');
    expect(dom0.directory('/r')).toEqual([]);
    expect(codeOf(() => dom0.rm('/r/gone'))).toBe('ok');
    expect(codeOf(() => dom0.rm('/r/gone/deeper'))).toBe('ENOENT');
    expect(codeOf(() => dom0.rm('/'))).toBe('EINVAL');
  });

  it('GET_PERMS and SET_PERMS round-trip permission strings', () => {
    const { dom0 } = xsFixture();
    dom0.write('/p', '');
    expect(dom0.getPerms('/p')).toEqual(['n0']);
    dom0.setPerms('/p', ['b3', 'r5', 'w7', 'n9']);
    expect(dom0.getPerms('/p')).toEqual(['b3', 'r5', 'w7', 'n9']);
    expect(codeOf(() => dom0.setPerms('/p', ['x3']))).toBe('EINVAL');
    expect(codeOf(() => dom0.setPerms('/p', []))).toBe('EINVAL');
    expect(codeOf(() => dom0.setPerms('/nope', ['n0']))).toBe('ENOENT');
  });

  it('GET_DOMAIN_PATH answers /local/domain/<id> to anyone; a bad id is EINVAL', () => {
    const f = xsFixture();
    const { client } = f.guest(4);
    expect(client.getDomainPath(9)).toBe('/local/domain/9');
    expect(f.dom0.getDomainPath(0)).toBe('/local/domain/0');
    expect(codeOf(() => client.call(10, nulStrings('x')))).toBe('EINVAL');
  });

  it('resolves a relative path under /local/domain/<caller>', () => {
    const f = xsFixture();
    const { client } = f.guest(3);
    f.dom0.mkdir('/local/domain/3');
    f.dom0.setPerms('/local/domain/3', ['n3']);
    client.write('data/x', 'rel');
    expect(f.dom0.read('/local/domain/3/data/x')).toBe('rel');
    expect(client.read('/local/domain/3/data/x')).toBe('rel');
    expect(client.directory('data')).toEqual(['x']);
  });

  it('answers a bad path EINVAL: bad characters, "//", a trailing "/", empty, too long, special names', () => {
    const { dom0 } = xsFixture();
    for (const p of ['/a b', '/a//b', '/a/', '', '/a\u00e9', '/a/.', '@releaseDomain', '/' + 'x'.repeat(3072)]) {
      expect(codeOf(() => dom0.write(p, 'v')), p.slice(0, 20)).toBe('EINVAL');
    }
    expect(codeOf(() => dom0.read('x'.repeat(2049)))).toBe('EINVAL');
    expect(codeOf(() => dom0.write('/ok-_@Path09', 'v'))).toBe('ok');
  });

  it('needs each request to be exactly its NUL-terminated arguments', () => {
    const { dom0 } = xsFixture();
    dom0.write('/k', 'v');
    const unterminated = new TextEncoder().encode('/k');
    expect(codeOf(() => dom0.call(XS_READ, unterminated))).toBe('EINVAL');
    expect(codeOf(() => dom0.call(XS_READ, nulStrings('/k', 'extra')))).toBe('EINVAL');
    expect(codeOf(() => dom0.call(XS_WRITE, unterminated))).toBe('EINVAL'); // no NUL after the path
    expect(codeOf(() => dom0.call(XS_MKDIR, new Uint8Array(0)))).toBe('EINVAL');
  });

  it('answers ENOSYS to types it does not serve and to types only xenstored sends', () => {
    const { dom0 } = xsFixture();
    for (const t of [XS_CONTROL, 18, 19, 20, XS_DIRECTORY_PART, 23, 26, XS_WATCH_EVENT, XS_ERROR, 27, XS_INVALID, 0xffffffff]) {
      expect(codeOf(() => dom0.call(t, nulStrings('/'))), `type ${t}`).toBe('ENOSYS');
    }
  });

  it('an ERROR reply echoes req_id and tx_id and carries the errno name and a NUL', () => {
    const { dom0 } = xsFixture();
    const r = dom0.request(XS_READ, nulStrings('/missing'));
    expect(r.type).toBe(XS_ERROR);
    expect(bytesToString(r.payload)).toBe('ENOENT\0');
    const tx = dom0.transactionStart();
    const r2 = dom0.request(XS_READ, nulStrings('/missing'), tx);
    expect(r2.txId).toBe(tx);
  });

  it('a reply that would exceed 4096 bytes is E2BIG', () => {
    const { dom0 } = xsFixture();
    for (let i = 0; i < 300; i++) dom0.write(`/big/child-number-${i}`, '');
    expect(codeOf(() => dom0.directory('/big'))).toBe('E2BIG');
    expect(dom0.read('/big/child-number-299')).toBe('');
  });

  it('guest and toolstack see the same tree; a reply larger than the 1024-byte ring crosses in pieces', () => {
    const f = xsFixture();
    const { client } = f.guest(2);
    f.dom0.mkdir('/local/domain/2');
    f.dom0.setPerms('/local/domain/2', ['n2']);
    const big = 'q'.repeat(2000);
    client.write('big', big);
    expect(client.read('big')).toBe(big);
    expect(f.dom0.read('/local/domain/2/big')).toBe(big);
    expect(f.notified.filter((d) => d === 2).length).toBeGreaterThan(0);
  });

  it('writePayload keeps the value after the path NUL', () => {
    expect([...writePayload('/a', 'b')]).toEqual([47, 97, 0, 98]);
  });
});
