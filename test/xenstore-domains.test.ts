/** INTRODUCE/RELEASE through the protocol, a ring page in guest RAM, and the tree the toolstack fills for a domain. */
import { describe, expect, it } from 'vitest';
import { RingTransport, XenstoreClient } from '../shared/xenstore-client.js';
import { nulStrings, XenstoreRingPage, XS_IS_DOMAIN_INTRODUCED, XENSTORE_RING_PAGE_BYTES } from '../shared/xenstore-wire.js';
import { removeDomainNodes, requestShutdown, writeDomainNodes } from '../toolstack/xenstore/domain-nodes.js';
import { codeOf, xsFixture } from './support/xenstore-fixture.js';

const RAM_PAGES = 64;
const STORE_GFN = 0x2f;

describe('xenstored domains', () => {
  it('INTRODUCE maps the ring at the given frame of guest RAM; the guest then talks through it; RELEASE forgets it', () => {
    const ram = new SharedArrayBuffer(RAM_PAGES * XENSTORE_RING_PAGE_BYTES);
    const mapped: [number, number][] = [];
    const notifications: [number, number][] = [];
    const f = xsFixture({
      notify: (domid, port) => notifications.push([domid, port]),
      mapRing: (domid, gfn) => {
        mapped.push([domid, gfn]);
        return gfn < RAM_PAGES ? new XenstoreRingPage(ram, gfn * XENSTORE_RING_PAGE_BYTES) : undefined;
      },
    });
    f.dom0.introduce(7, STORE_GFN, 5);
    expect(mapped).toEqual([[7, STORE_GFN]]);
    expect(f.xs.isIntroduced(7)).toBe(true);
    expect(f.dom0.call(XS_IS_DOMAIN_INTRODUCED, nulStrings('7'))).toEqual(nulStrings('T'));
    const page = new XenstoreRingPage(ram, STORE_GFN * XENSTORE_RING_PAGE_BYTES);
    const guest = new XenstoreClient(new RingTransport(page, () => f.xs.kick(7), 4));
    expect(guest.getDomainPath(7)).toBe('/local/domain/7');
    // xenstored notifies the store event channel INTRODUCE named.
    expect(notifications.length).toBeGreaterThan(0);
    expect(new Set(notifications.map((n) => n.join(':')))).toEqual(new Set(['7:5']));
    // The bytes really are in that frame of RAM.
    expect(page.load('reqProd')).toBeGreaterThan(0);
    expect(new DataView(ram).getUint32(STORE_GFN * 4096 + 2052, true)).toBe(page.load('reqProd'));
    // A frame that maps to nothing is EINVAL; a port of 0 too; a repeat of a known domain is fine.
    expect(codeOf(() => f.dom0.introduce(8, 999, 1))).toBe('EINVAL');
    expect(codeOf(() => f.dom0.introduce(8, STORE_GFN + 1, 0))).toBe('EINVAL');
    expect(codeOf(() => f.dom0.introduce(7, STORE_GFN, 5))).toBe('ok');
    f.dom0.release(7);
    expect(f.xs.isIntroduced(7)).toBe(false);
    expect(codeOf(() => f.dom0.release(7))).toBe('ENOENT');
    expect(f.dom0.call(XS_IS_DOMAIN_INTRODUCED, nulStrings('7'))).toEqual(nulStrings('F'));
  });

  it('INTRODUCE, RELEASE and IS_DOMAIN_INTRODUCED are for dom0 only', () => {
    const f = xsFixture({ mapRing: () => new XenstoreRingPage(new SharedArrayBuffer(4096)) });
    const g = f.guest(3).client;
    expect(codeOf(() => g.introduce(4, 1, 1))).toBe('EACCES');
    expect(codeOf(() => g.release(3))).toBe('EACCES');
    expect(codeOf(() => g.call(XS_IS_DOMAIN_INTRODUCED, nulStrings('3')))).toBe('EACCES');
    expect(f.xs.isIntroduced(4)).toBe(false);
  });

  it('a released domain loses its watches and transactions, and its ring is no longer served', () => {
    const f = xsFixture();
    const { client, page } = f.guest(2);
    client.watch('/', 't');
    const before = f.xs.stats.requests;
    f.xs.release(2);
    page.giveRequestBytes(new Uint8Array(16));
    f.xs.kick(2);
    expect(f.xs.stats.requests).toBe(before);
  });

  it('fills /local/domain/N and /vm/UUID as xl does, with libxl\'s permissions', () => {
    const { dom0 } = xsFixture();
    writeDomainNodes(dom0, { domid: 5, name: 'guest5', uuid: '12345678-aaaa-bbbb-cccc-1234567890ab', vcpus: 2, memoryKiB: 131072, videoRamKiB: 16384, store: { port: 1, gfn: 0xfeffc } });
    const home = '/local/domain/5';
    expect(dom0.read(`${home}/name`)).toBe('guest5');
    expect(dom0.read(`${home}/domid`)).toBe('5');
    expect(dom0.read(`${home}/vm`)).toBe('/vm/12345678-aaaa-bbbb-cccc-1234567890ab');
    expect(dom0.read(`${home}/memory/target`)).toBe('131072');
    expect(dom0.read(`${home}/memory/videoram`)).toBe('16384');
    expect(dom0.directory(`${home}/cpu`)).toEqual(['0', '1']);
    expect(dom0.read(`${home}/control/platform-feature-xs_reset_watches`)).toBe('1');
    expect(dom0.read('/vm/12345678-aaaa-bbbb-cccc-1234567890ab/name')).toBe('guest5');
    expect(dom0.getPerms(home)).toEqual(['n0', 'r5']);
    expect(dom0.getPerms(`${home}/name`)).toEqual(['n0', 'r5']);
    expect(dom0.read(`${home}/store/port`)).toBe('1');
    expect(dom0.read(`${home}/store/ring-ref`)).toBe(String(0xfeffc));
    for (const k of ['control', 'device', 'device/suspend', 'memory', 'cpu', 'store']) expect(dom0.getPerms(`${home}/${k}`), k).toEqual(['n0', 'r5']);
    for (const k of ['control/shutdown', 'control/feature-poweroff', 'control/feature-reboot', 'control/feature-suspend', 'control/sysrq', 'device/suspend/event-channel', 'data', 'drivers', 'feature', 'attr', 'error']) {
      expect(dom0.getPerms(`${home}/${k}`), k).toEqual(['n5']);
    }
    expect(dom0.getPerms(`${home}/control/platform-feature-xs_reset_watches`)).toEqual(['n0', 'r5']);
    expect(dom0.getPerms('/vm/12345678-aaaa-bbbb-cccc-1234567890ab')).toEqual(['n0', 'r5']);
    expect(new Set(dom0.directory(home))).toEqual(new Set(['name', 'domid', 'vm', 'memory', 'cpu', 'store', 'control', 'data', 'drivers', 'feature', 'attr', 'error', 'device']));
    expect(new Set(dom0.directory(`${home}/control`))).toEqual(
      new Set(['shutdown', 'feature-poweroff', 'feature-reboot', 'feature-suspend', 'sysrq', 'platform-feature-xs_reset_watches', 'platform-feature-multiprocessor-suspend']),
    );
    removeDomainNodes(dom0, 5, '12345678-aaaa-bbbb-cccc-1234567890ab');
    expect(dom0.directory('/local/domain')).toEqual([]);
  });

  it('the guest may announce its features under control/ but may not add keys there', () => {
    const f = xsFixture();
    writeDomainNodes(f.dom0, { domid: 1, name: 'pv', uuid: 'u', vcpus: 1, memoryKiB: 1024 });
    const g = f.guest(1).client;
    g.write('control/feature-poweroff', '1');
    expect(f.dom0.read('/local/domain/1/control/feature-poweroff')).toBe('1');
    expect(codeOf(() => g.write('control/other', '1'))).toBe('EACCES');
    expect(codeOf(() => g.write('control/platform-feature-xs_reset_watches', '0'))).toBe('EACCES');
    expect(codeOf(() => g.write('device/vbd/768/state', '1'))).toBe('EACCES');
  });

  it("a write to control/shutdown reaches the guest's watch, and the guest can acknowledge by clearing it", () => {
    const f = xsFixture();
    writeDomainNodes(f.dom0, { domid: 1, name: 'pv', uuid: 'u', vcpus: 1, memoryKiB: 1024 });
    const g = f.guest(1).client;
    g.watch('control/shutdown', 'shutdown');
    g.events.length = 0;
    requestShutdown(f.dom0, 1, 'poweroff');
    g.poll();
    expect(g.events).toEqual([{ path: 'control/shutdown', token: 'shutdown' }]);
    expect(g.read('control/shutdown')).toBe('poweroff');
    g.write('control/shutdown', ''); // Linux's xenbus clears the request before acting on it
    expect(f.dom0.read('/local/domain/1/control/shutdown')).toBe('');
  });
});
