/** Path resolution and permission arithmetic on their own (toolstack/xenstore/paths.ts, permissions.ts). */
import { describe, expect, it } from 'vitest';
import { isAtOrBelow, parentOf, relativeTo, resolveNodePath, resolveWatchPath, segmentsOf } from '../toolstack/xenstore/paths.js';
import { canRead, canWrite, formatPerm, inheritPerms, parsePerm } from '../toolstack/xenstore/permissions.js';

describe('xenstore paths', () => {
  it('resolves relative paths under the caller\'s home and keeps absolute ones', () => {
    expect(resolveNodePath('device/vbd', 7)).toBe('/local/domain/7/device/vbd');
    expect(resolveNodePath('/vm/x', 7)).toBe('/vm/x');
    expect(resolveNodePath('/', 7)).toBe('/');
  });

  it('rejects what names no node', () => {
    for (const p of ['', '/a/', '//', '/a//b', 'a/', '/a b', '/a\0b', '@introduceDomain', '/a.b']) expect(resolveNodePath(p, 1), JSON.stringify(p)).toBeUndefined();
    expect(resolveNodePath('/' + 'a'.repeat(3071), 1)).toBeDefined();
    expect(resolveNodePath('/' + 'a'.repeat(3072), 1)).toBeUndefined();
    expect(resolveNodePath('a'.repeat(2048), 1)).toBeDefined();
    expect(resolveNodePath('a'.repeat(2049), 1)).toBeUndefined();
  });

  it('accepts the two special watch names only as watches', () => {
    expect(resolveWatchPath('@releaseDomain', 3)).toBe('@releaseDomain');
    expect(resolveWatchPath('@introduceDomain', 3)).toBe('@introduceDomain');
    expect(resolveWatchPath('@other', 3)).toBeUndefined();
  });

  it('splits, climbs and compares paths', () => {
    expect(segmentsOf('/')).toEqual([]);
    expect(segmentsOf('/a/b')).toEqual(['a', 'b']);
    expect(parentOf('/a/b')).toBe('/a');
    expect(parentOf('/a')).toBe('/');
    expect(isAtOrBelow('/a/b', '/a')).toBe(true);
    expect(isAtOrBelow('/a', '/a')).toBe(true);
    expect(isAtOrBelow('/ab', '/a')).toBe(false);
    expect(isAtOrBelow('/x', '/')).toBe(true);
    expect(relativeTo('/local/domain/4/data/x', 4)).toBe('data/x');
    expect(relativeTo('/local/domain/40/data', 4)).toBe('/local/domain/40/data');
  });
});

describe('xenstore permissions', () => {
  it('parses and formats the four letters', () => {
    for (const t of ['r1', 'w2', 'b3', 'n0', 'r32751']) expect(formatPerm(parsePerm(t)!)).toBe(t);
    for (const t of ['x1', 'r', 'r-1', 'r1a', 'r32752', 'R1', ' r1']) expect(parsePerm(t), t).toBeUndefined();
  });

  it('gives the owner and dom0 everything, a named domain its entry, the rest the owner\'s letter', () => {
    const perms = ['n5', 'r6', 'w7'].map((t) => parsePerm(t)!);
    expect([canRead(perms, 5), canWrite(perms, 5)]).toEqual([true, true]);
    expect([canRead(perms, 0), canWrite(perms, 0)]).toEqual([true, true]);
    expect([canRead(perms, 6), canWrite(perms, 6)]).toEqual([true, false]);
    expect([canRead(perms, 7), canWrite(perms, 7)]).toEqual([false, true]);
    expect([canRead(perms, 8), canWrite(perms, 8)]).toEqual([false, false]);
  });

  it('a node an unprivileged domain creates is its own; one dom0 creates keeps the parent\'s owner', () => {
    const parent = ['n0', 'b3', 'r4'].map((t) => parsePerm(t)!);
    expect(inheritPerms(parent, 3).map(formatPerm)).toEqual(['n3', 'r4']);
    expect(inheritPerms(parent, 0).map(formatPerm)).toEqual(['n0', 'b3', 'r4']);
  });
});
