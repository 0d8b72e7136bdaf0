/** Watches: the first event, events for the node and its descendants, removals, relative paths, and only for readers. */
import { describe, expect, it } from 'vitest';
import { requestShutdown, writeDomainNodes } from '../toolstack/xenstore/domain-nodes.js';
import { codeOf, xsFixture } from './support/xenstore-fixture.js';

function setup() {
  const f = xsFixture();
  for (const domid of [1, 2]) writeDomainNodes(f.dom0, { domid, name: `d${domid}`, uuid: `uuid-${domid}`, vcpus: 1, memoryKiB: 1024 });
  return { ...f, d1: f.guest(1).client, d2: f.guest(2).client };
}

describe('xenstored watches', () => {
  it('fires once when set up, then for the node and everything below it, not for siblings', () => {
    const { dom0 } = setup();
    dom0.watch('/w/a', 'tok');
    expect(dom0.events.splice(0)).toEqual([{ path: '/w/a', token: 'tok' }]);
    dom0.write('/w/a', '1');
    dom0.write('/w/a/b/c', '2');
    dom0.write('/w/ab', 'sibling');
    dom0.write('/w', 'parent');
    dom0.poll();
    expect(dom0.events.splice(0)).toEqual([
      { path: '/w/a', token: 'tok' },
      { path: '/w/a/b/c', token: 'tok' },
    ]);
  });

  it('removing an ancestor fires the watch with the watched path; removing below fires with the removed path', () => {
    const { dom0 } = setup();
    dom0.write('/x/y/z', '1');
    dom0.watch('/x/y/z', 'deep');
    dom0.watch('/x', 'top');
    dom0.events.length = 0;
    dom0.rm('/x/y');
    dom0.poll();
    expect(dom0.events.splice(0)).toEqual([
      { path: '/x/y/z', token: 'deep' },
      { path: '/x/y', token: 'top' },
    ]);
  });

  it('SET_PERMS fires the watch too', () => {
    const { dom0 } = setup();
    dom0.write('/p', '');
    dom0.watch('/p', 't');
    dom0.events.length = 0;
    dom0.setPerms('/p', ['r0']);
    dom0.poll();
    expect(dom0.events).toEqual([{ path: '/p', token: 't' }]);
  });

  it("never fires for a domain that may not read the node", () => {
    const { d1, d2 } = setup();
    d2.watch('/local/domain/1/data', 'spy');
    d2.watch('/', 'everything');
    d2.events.length = 0;
    d1.write('data/secret', 'x');
    d1.rm('data/secret');
    d2.poll();
    expect(d2.events).toEqual([]);
    // Once domain 1 grants read, the same change is seen.
    d1.write('data/open', 'y');
    d1.setPerms('data/open', ['n1', 'r2']);
    d1.write('data/open', 'z');
    d2.poll();
    expect(d2.events.map((e) => e.token)).toEqual(['spy', 'everything', 'spy', 'everything']);
    expect(new Set(d2.events.map((e) => e.path))).toEqual(new Set(['/local/domain/1/data/open']));
  });

  it('a relative watch reports relative paths', () => {
    const { dom0, d1 } = setup();
    d1.watch('control/shutdown', 'sd');
    expect(d1.events.splice(0)).toEqual([{ path: 'control/shutdown', token: 'sd' }]);
    requestShutdown(dom0, 1, 'poweroff');
    d1.poll();
    expect(d1.events).toEqual([{ path: 'control/shutdown', token: 'sd' }]);
    expect(d1.read('control/shutdown')).toBe('poweroff');
  });

  it('UNWATCH stops events; an unknown watch is ENOENT; the same (path, token) twice is EEXIST', () => {
    const { dom0 } = setup();
    dom0.watch('/u', 'a');
    expect(codeOf(() => dom0.watch('/u', 'a'))).toBe('EEXIST');
    dom0.watch('/u', 'b');
    dom0.unwatch('/u', 'a');
    dom0.events.length = 0;
    dom0.write('/u', '1');
    dom0.poll();
    expect(dom0.events).toEqual([{ path: '/u', token: 'b' }]);
    expect(codeOf(() => dom0.unwatch('/u', 'a'))).toBe('ENOENT');
    expect(codeOf(() => dom0.watch('/bad//path', 'c'))).toBe('EINVAL');
  });

  it('@introduceDomain and @releaseDomain reach only the privileged domain', () => {
    const f = setup();
    f.dom0.watch('@introduceDomain', 'i');
    f.dom0.watch('@releaseDomain', 'r');
    f.d1.watch('@introduceDomain', 'i1');
    f.dom0.events.length = 0;
    f.d1.events.length = 0;
    f.guest(3);
    f.xs.release(3);
    f.dom0.poll();
    expect(f.dom0.events).toEqual([
      { path: '@introduceDomain', token: 'i' },
      { path: '@releaseDomain', token: 'r' },
    ]);
    f.d1.poll();
    expect(f.d1.events).toEqual([]);
  });

  it('a watch firing for a guest reaches its ring and notifies it', () => {
    const { dom0, d1, notified } = setup();
    d1.watch('control', 'c');
    d1.events.length = 0;
    notified.length = 0;
    requestShutdown(dom0, 1, 'reboot');
    expect(notified).toContain(1);
    d1.poll();
    expect(d1.events).toEqual([{ path: 'control/shutdown', token: 'c' }]);
  });

  it('RESET_WATCHES drops the caller\'s watches only', () => {
    const { d1, d2, dom0 } = setup();
    d1.watch('data', 'x');
    d2.watch('data', 'y');
    d1.call(21, new Uint8Array([0]));
    d1.events.length = 0;
    d2.events.length = 0;
    dom0.write('/local/domain/1/data/k', '1');
    dom0.write('/local/domain/2/data/k', '1');
    d1.poll();
    d2.poll();
    expect(d1.events).toEqual([]);
    expect(d2.events).toEqual([{ path: 'data/k', token: 'y' }]);
  });
});
