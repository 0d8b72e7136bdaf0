import { describe, expect, it } from 'vitest';
import {
  createEventChannelBuffer,
  ECS_INTERDOMAIN,
  ECS_UNBOUND,
  EventChannelDirectory,
  EventChannelError,
} from '../shared/event-channel.js';

const GUEST = 1;
const DM = 2;

/** A guest (2 vCPUs) and a device-model domain attached in one directory, as one thread sees them. */
function setup() {
  const dir = new EventChannelDirectory();
  const guest = dir.attach(createEventChannelBuffer(GUEST, 2));
  const dm = dir.attach(createEventChannelBuffer(DM, 1));
  return { dir, guest, dm };
}

/** A bound pair: guest port offered to the DM, DM port bound to it. */
function pair(notifyVcpu = 0) {
  const s = setup();
  const guestPort = s.guest.allocUnbound(DM, notifyVcpu);
  const dmPort = s.dm.bindInterdomain(GUEST, guestPort);
  // Binding sets the new local port pending (Xen's conservative notification); start clean.
  s.dm.fetchAndClear(0, new Int32Array(8), false);
  return { ...s, guestPort, dmPort };
}

describe('event-channel binding', () => {
  it('allocates unbound ports from 1 and binds an interdomain pair both ways', () => {
    const { guest, dm } = setup();
    const g = guest.allocUnbound(DM);
    expect(g).toBe(1); // port 0 is reserved
    expect(guest.portStatus(g)).toMatchObject({ state: ECS_UNBOUND, remoteDom: DM });
    const d = dm.bindInterdomain(GUEST, g);
    expect(guest.portStatus(g)).toMatchObject({ state: ECS_INTERDOMAIN, remoteDom: DM, remotePort: d });
    expect(dm.portStatus(d)).toMatchObject({ state: ECS_INTERDOMAIN, remoteDom: GUEST, remotePort: g });
    // As Xen: the new local port starts pending.
    expect(dm.isPending(d)).toBe(true);
    expect(dm.upcallPending(0)).toBe(true);
  });

  it('refuses to bind a port not offered to this domain, already bound, or of an unknown domain', () => {
    const { dir, guest, dm } = setup();
    const other = dir.attach(createEventChannelBuffer(3, 1));
    const g = guest.allocUnbound(DM);
    expect(() => other.bindInterdomain(GUEST, g)).toThrow(/not unbound for domain 3/);
    dm.bindInterdomain(GUEST, g);
    expect(() => dm.bindInterdomain(GUEST, g)).toThrow(EventChannelError);
    expect(() => dm.bindInterdomain(99, 1)).toThrow(/not attached/);
    expect(() => dm.bindInterdomain(GUEST, 0)).toThrow(/bad event-channel port 0/);
  });

  it('runs out of ports cleanly', () => {
    const { guest } = setup();
    for (let i = 1; i < 1024; i++) guest.allocUnbound(DM);
    expect(() => guest.allocUnbound(DM)).toThrow(/no free event-channel port/);
  });
});

describe('event-channel delivery', () => {
  it('coalesces: two sends before the consumer looks raise one upcall', () => {
    const { guest, dm, guestPort, dmPort } = pair();
    expect(guest.send(guestPort)).toBe(true);
    expect(guest.send(guestPort)).toBe(false);
    const out = new Int32Array(8);
    expect(dm.fetchAndClear(0, out, false)).toBe(1);
    expect(out[0]).toBe(dmPort);
    expect(dm.fetchAndClear(0, out, false)).toBe(0);
    // After it was taken, a new send raises again.
    expect(guest.send(guestPort)).toBe(true);
  });

  it('does not notify a consumer that is not asleep', () => {
    const { guest, dm, guestPort } = pair();
    expect(guest.send(guestPort)).toBe(true);
    expect(dm.notifies).toBe(0);
    expect(dm.upcallPending(0)).toBe(true);
  });

  it('marks selector bits per 32-port word and raises the upcall only on the selector 0→1 edge', () => {
    const { guest, dm } = setup();
    // Bind enough ports that two land in word 0 and one in word 1.
    const dmPorts: number[] = [];
    const guestPorts: number[] = [];
    for (let i = 0; i < 40; i++) {
      const g = guest.allocUnbound(DM);
      guestPorts.push(g);
      dmPorts.push(dm.bindInterdomain(GUEST, g));
    }
    dm.fetchAndClear(0, new Int32Array(64), false);
    expect(dm.pendingSelector(0)).toBe(0);
    const [a, b] = [0, 1].map((i) => dmPorts.indexOf(i + 3));
    const c = dmPorts.indexOf(35);
    expect(guest.send(guestPorts[a!]!)).toBe(true); // word 0: selector bit 0 set, upcall raised
    expect(guest.send(guestPorts[b!]!)).toBe(false); // same word: selector already set
    expect(dm.pendingSelector(0)).toBe(0b1);
    expect(guest.send(guestPorts[c!]!)).toBe(false); // word 1: selector bit 1 set, upcall already pending
    expect(dm.pendingSelector(0)).toBe(0b11);
    const out = new Int32Array(8);
    expect([...out.subarray(0, dm.fetchAndClear(0, out, false))]).toEqual([3, 4, 35]);
    expect(dm.pendingSelector(0)).toBe(0);
    expect(dm.upcallPending(0)).toBe(false);
  });

  it('holds a masked port pending without an upcall, and unmask delivers it', () => {
    const { guest, dm, guestPort, dmPort } = pair();
    dm.mask(dmPort);
    expect(guest.send(guestPort)).toBe(false);
    expect(dm.isPending(dmPort)).toBe(true);
    expect(dm.upcallPending(0)).toBe(false);
    const out = new Int32Array(4);
    expect(dm.fetchAndClear(0, out, false)).toBe(0);
    expect(dm.unmask(dmPort)).toBe(true);
    expect(dm.upcallPending(0)).toBe(true);
    expect(dm.fetchAndClear(0, out, false)).toBe(1);
    // Unmasking a port that is not pending (or not masked) delivers nothing.
    dm.mask(dmPort);
    expect(dm.unmask(dmPort)).toBe(false);
    expect(dm.unmask(dmPort)).toBe(false);
  });

  it('masks on delivery for the device model; a send while masked waits for the unmask', () => {
    const { guest, dm, guestPort, dmPort } = pair();
    const out = new Int32Array(4);
    guest.send(guestPort);
    expect(dm.fetchAndClear(0, out, true)).toBe(1);
    expect(dm.isMasked(dmPort)).toBe(true);
    expect(dm.isPending(dmPort)).toBe(false);
    guest.send(guestPort); // arrives while the DM serves the first
    expect(dm.upcallPending(0)).toBe(false);
    expect(dm.unmask(dmPort)).toBe(true); // served: unmask re-delivers
    expect(dm.fetchAndClear(0, out, true)).toBe(1);
  });

  it('keeps ports that do not fit in the output pending, with the upcall still raised', () => {
    const { guest, dm } = setup();
    const guestPorts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const g = guest.allocUnbound(DM);
      guestPorts.push(g);
      dm.bindInterdomain(GUEST, g);
    }
    dm.fetchAndClear(0, new Int32Array(8), false);
    for (const g of guestPorts) guest.send(g);
    const out = new Int32Array(2);
    expect(dm.fetchAndClear(0, out, false)).toBe(2);
    expect(dm.upcallPending(0)).toBe(true);
    expect(dm.fetchAndClear(0, out, false)).toBe(2);
    expect(dm.fetchAndClear(0, out, false)).toBe(1);
    expect(dm.fetchAndClear(0, out, false)).toBe(0);
  });

  it('drops sends on unbound ports and rejects bad port numbers', () => {
    const { guest } = setup();
    const g = guest.allocUnbound(DM);
    expect(guest.send(g)).toBe(false);
    expect(() => guest.send(1024)).toThrow(/bad event-channel port/);
    expect(() => guest.send(0)).toThrow(/bad event-channel port/);
  });

  it('delivers to the vCPU the port names', () => {
    const { guest, dm } = setup();
    // The DM offers a port; the guest binds it for vCPU 1.
    const d = dm.allocUnbound(GUEST);
    const g = guest.bindInterdomain(DM, d, 1);
    guest.fetchAndClear(1, new Int32Array(4), false);
    dm.send(d);
    expect(guest.upcallPending(0)).toBe(false);
    expect(guest.upcallPending(1)).toBe(true);
    const out = new Int32Array(4);
    expect(guest.fetchAndClear(1, out, false)).toBe(1);
    expect(out[0]).toBe(g);
  });

  it('wakes the hypervisor thread for Xen-consumer ports without touching the guest bitmaps', () => {
    const { guest, dm } = setup();
    const g = guest.allocUnboundXen(DM, 1);
    const d = dm.bindInterdomain(GUEST, g);
    const seen = guest.xenWakeSequence(1);
    expect(dm.send(d)).toBe(true);
    expect(guest.xenWakeSequence(1)).toBe(seen + 1);
    expect(guest.isPending(g)).toBe(false);
    expect(guest.upcallPending(1)).toBe(false);
    expect(guest.waitXenWake(1, seen, 0, 0)).toBe(true); // already moved on: no sleep
    expect(guest.waitXenWake(1, seen + 1, 10, 1)).toBe(false); // nothing new: times out
  });

  it('waitForEvents returns at once when an upcall is pending and times out otherwise', () => {
    const { guest, dm, guestPort } = pair();
    expect(dm.waitForEvents(0, 100, 5)).toBe(false);
    guest.send(guestPort);
    expect(dm.waitForEvents(0, 0, 1000)).toBe(true);
  });
});
