import { describe, expect, it } from 'vitest';
import {
  checkIoreq,
  createIoreqPageBuffer,
  IOREQ_READ,
  IOREQ_TYPE_COPY,
  IOREQ_TYPE_PCI_CONFIG,
  IOREQ_TYPE_PIO,
  IOREQ_WRITE,
  IoreqPage,
  IoreqProtocolError,
  IoreqRecord,
  STATE_IOREQ_INPROCESS,
  STATE_IOREQ_NONE,
  STATE_IOREQ_READY,
  STATE_IORESP_READY,
} from '../shared/ioreq.js';

function setup(vcpus = 2) {
  const sab = createIoreqPageBuffer();
  const vcpuEnd = new IoreqPage(sab, vcpus);
  const dmEnd = new IoreqPage(sab, vcpus);
  for (let v = 0; v < vcpus; v++) vcpuEnd.setEventPort(v, 10 + v);
  return { sab, vcpuEnd, dmEnd, view: new DataView(sab) };
}

function mmioWrite(addr: number, value: number): IoreqRecord {
  const r = new IoreqRecord();
  r.type = IOREQ_TYPE_COPY;
  r.dir = IOREQ_WRITE;
  r.size = 4;
  r.addr = addr;
  r.data = value;
  return r;
}

describe('ioreq slot layout', () => {
  it("places every field at Xen's offsets, with the bitfield byte at 30 and type at 31", () => {
    const { vcpuEnd, view } = setup();
    const r = new IoreqRecord();
    r.type = IOREQ_TYPE_PCI_CONFIG;
    r.dir = IOREQ_READ;
    r.size = 2;
    r.count = 3;
    r.setPciConfig(0x0000_0018, 0x40); // 00:03.0, register 0x40
    r.data = 0x1_2345_6789;
    r.dataIsPtr = true;
    r.df = true;
    vcpuEnd.publish(1, r);
    const s = 32; // slot 1
    expect(view.getBigUint64(s + 0, true)).toBe((0x18n << 32n) | 0x40n);
    expect(view.getBigUint64(s + 8, true)).toBe(0x1_2345_6789n);
    expect(view.getUint32(s + 16, true)).toBe(3);
    expect(view.getUint32(s + 20, true)).toBe(2);
    expect(view.getUint32(s + 24, true)).toBe(11);
    expect(view.getUint16(s + 28, true)).toBe(0);
    // state READY (1) in bits 0-3, data_is_ptr bit 4, dir bit 5, df bit 6.
    expect(view.getUint8(s + 30)).toBe(1 | 0x10 | 0x20 | 0x40);
    expect(view.getUint8(s + 31)).toBe(IOREQ_TYPE_PCI_CONFIG);
    // Slot 0 untouched.
    expect(view.getUint32(28, true)).toBe(0);
  });

  it('reads back what the vCPU wrote, 64-bit halves exact', () => {
    const { vcpuEnd, dmEnd } = setup();
    const r = mmioWrite(0xfebf_f000, 0);
    r.dataLow = 0xdead_beef;
    r.dataHigh = 0xcafe_f00d;
    r.size = 8;
    vcpuEnd.publish(0, r);
    expect(dmEnd.claim(0)).toBe(true);
    const got = new IoreqRecord();
    dmEnd.read(0, got);
    expect(got).toMatchObject({ type: IOREQ_TYPE_COPY, dir: IOREQ_WRITE, size: 8, count: 1, addrLow: 0xfebf_f000, addrHigh: 0, dataLow: 0xdead_beef, dataHigh: 0xcafe_f00d, vpEport: 10, dataIsPtr: false, df: false });
    expect(got.addr).toBe(0xfebf_f000);
  });

  it('splits addresses above 4 GiB (PCI_CONFIG sbdf) into halves and rejects values past 2^53', () => {
    const r = new IoreqRecord();
    r.addr = 0x1f_0000_0cfc;
    expect([r.addrHigh, r.addrLow]).toEqual([0x1f, 0xcfc]);
    expect(r.addr).toBe(0x1f_0000_0cfc);
    r.setPciConfig(0xffff_ffff, 0xfc);
    expect(r.sbdf).toBe(0xffff_ffff);
    expect(() => (r.addr = 2 ** 53)).toThrow(RangeError);
    expect(() => (r.data = -1)).toThrow(RangeError);
  });
});

describe('ioreq state machine', () => {
  it('goes NONE → READY → INPROCESS → IORESP_READY → NONE and hands the data back', () => {
    const { vcpuEnd, dmEnd } = setup();
    const r = new IoreqRecord();
    r.type = IOREQ_TYPE_PIO;
    r.dir = IOREQ_READ;
    r.size = 1;
    r.addr = 0x3fd;
    expect(vcpuEnd.state(0)).toBe(STATE_IOREQ_NONE);
    vcpuEnd.publish(0, r);
    expect(vcpuEnd.state(0)).toBe(STATE_IOREQ_READY);
    expect(vcpuEnd.pollResponse(0)).toBe(false);
    expect(dmEnd.claim(0)).toBe(true);
    expect(dmEnd.state(0)).toBe(STATE_IOREQ_INPROCESS);
    expect(vcpuEnd.pollResponse(0)).toBe(false);
    dmEnd.respond(0, 0x60, 0);
    expect(dmEnd.state(0)).toBe(STATE_IORESP_READY);
    expect(vcpuEnd.pollResponse(0)).toBe(true);
    const out = new IoreqRecord();
    vcpuEnd.takeResponse(0, out);
    expect(out.dataLow).toBe(0x60);
    expect(vcpuEnd.state(0)).toBe(STATE_IOREQ_NONE);
    // The slot is reusable.
    vcpuEnd.publish(0, r);
    expect(dmEnd.claim(0)).toBe(true);
  });

  it('claims a READY slot once, and ignores a stale notification for a slot that is not READY', () => {
    const { vcpuEnd, dmEnd } = setup();
    expect(dmEnd.claim(0)).toBe(false); // nothing posted
    vcpuEnd.publish(0, mmioWrite(0xa0000, 1));
    expect(dmEnd.claim(0)).toBe(true);
    expect(dmEnd.claim(0)).toBe(false); // already INPROCESS: served once
    expect(dmEnd.claim(1)).toBe(false); // other slot untouched
  });

  it('answers a spinning vCPU in one burst: claimAndRespond goes READY → IORESP_READY with the data, only from READY', () => {
    const { vcpuEnd, dmEnd } = setup();
    expect(() => dmEnd.claimAndRespond(0, 1, 0)).toThrow(/not READY \(state 0\)/);
    const r = new IoreqRecord();
    r.dir = IOREQ_READ;
    r.addr = 0x3ff;
    vcpuEnd.publish(0, r);
    dmEnd.claimAndRespond(0, 0x5a, 0x77);
    expect(dmEnd.state(0)).toBe(STATE_IORESP_READY);
    expect(vcpuEnd.pollResponse(0)).toBe(true);
    const out = new IoreqRecord();
    vcpuEnd.takeResponse(0, out);
    expect([out.dataLow, out.dataHigh]).toEqual([0x5a, 0x77]);
    expect(() => dmEnd.claimAndRespond(0, 1, 0)).toThrow(/not READY/); // answered once
  });

  it('frees lazily: the slot reads IORESP_READY until the next publish or freeSlot, and a device model that frees it meanwhile is caught', () => {
    const { sab, vcpuEnd, dmEnd } = setup();
    const out = new IoreqRecord();
    const roundTrip = () => {
      vcpuEnd.publish(0, mmioWrite(0xa0000, 1));
      expect(dmEnd.claim(0)).toBe(true);
      dmEnd.respond(0, 7, 0);
      expect(vcpuEnd.pollResponse(0)).toBe(true);
      vcpuEnd.takeResponse(0, out, true);
    };
    roundTrip();
    expect(vcpuEnd.state(0)).toBe(STATE_IORESP_READY);
    expect(dmEnd.claim(0)).toBe(false); // not the device model's to serve
    expect(() => vcpuEnd.pollResponse(0)).toThrow(/no request outstanding/);
    roundTrip(); // publish frees it in the same burst of stores
    expect(out.dataLow).toBe(7);
    vcpuEnd.freeSlot(0);
    expect(vcpuEnd.state(0)).toBe(STATE_IOREQ_NONE);
    vcpuEnd.freeSlot(0); // nothing deferred: no change
    expect(vcpuEnd.state(0)).toBe(STATE_IOREQ_NONE);
    roundTrip();
    new Int32Array(sab)[7] &= ~(0xf << 16); // the device model moved IORESP_READY on itself
    expect(() => vcpuEnd.publish(0, mmioWrite(0xa0000, 2))).toThrow(/bad IO state 0 \(expected IORESP_READY/);
  });

  it('throws when the state goes backwards (INPROCESS → READY, READY → NONE)', () => {
    const { sab, vcpuEnd, dmEnd } = setup();
    const control = new Int32Array(sab);
    vcpuEnd.publish(0, mmioWrite(0xa0000, 1));
    dmEnd.claim(0);
    expect(vcpuEnd.pollResponse(0)).toBe(false); // saw INPROCESS
    Atomics.store(control, 7, (control[7]! & ~(0xf << 16)) | (STATE_IOREQ_READY << 16));
    expect(() => vcpuEnd.pollResponse(0)).toThrow(/went backwards from 2 to 1/);

    const b = setup();
    b.vcpuEnd.publish(1, mmioWrite(0xa0000, 1));
    new Int32Array(b.sab)[8 + 7] = 0; // a device model wiped slot 1 back to NONE
    expect(() => b.vcpuEnd.pollResponse(1)).toThrow(IoreqProtocolError);
  });

  it('throws on an unknown state value, on both ends', () => {
    const { sab, vcpuEnd, dmEnd } = setup();
    vcpuEnd.publish(0, mmioWrite(0xa0000, 1));
    const control = new Int32Array(sab);
    control[7] = (control[7]! & ~(0xf << 16)) | (9 << 16);
    expect(() => vcpuEnd.pollResponse(0)).toThrow(/unknown state 9/);
    expect(() => dmEnd.claim(0)).toThrow(/unknown state 9/);
  });

  it('refuses to publish over a busy slot or with a port the device model changed', () => {
    const { sab, vcpuEnd } = setup();
    vcpuEnd.publish(0, mmioWrite(0xa0000, 1));
    expect(() => vcpuEnd.publish(0, mmioWrite(0xa0000, 2))).toThrow(/bad IO state 1/);
    new Int32Array(sab)[8 + 6] = 99; // slot 1 vp_eport
    expect(() => vcpuEnd.publish(1, mmioWrite(0xa0000, 1))).toThrow(/bad event channel 99/);
  });

  it('refuses a response to a request not in service, and takeResponse before the response', () => {
    const { vcpuEnd, dmEnd } = setup();
    expect(() => dmEnd.respond(0, 1, 0)).toThrow(/not in service/);
    vcpuEnd.publish(0, mmioWrite(0xa0000, 1));
    expect(() => dmEnd.respond(0, 1, 0)).toThrow(/not in service \(state 1\)/);
    expect(() => vcpuEnd.takeResponse(0, new IoreqRecord())).toThrow(/before IORESP_READY/);
    expect(() => vcpuEnd.pollResponse(1)).toThrow(/no request outstanding/);
  });

  it('rejects vCPU ids outside the page', () => {
    const { vcpuEnd } = setup(2);
    expect(() => vcpuEnd.publish(2, mmioWrite(0, 0))).toThrow(RangeError);
    expect(() => new IoreqPage(createIoreqPageBuffer(), 129)).toThrow(RangeError);
  });
});

describe('checkIoreq', () => {
  it('accepts well-formed requests and names what is wrong with bad ones', () => {
    const r = mmioWrite(0xa0000, 1);
    expect(checkIoreq(r)).toBeNull();
    r.size = 3;
    expect(checkIoreq(r)).toBe('bad size 3');
    r.size = 4;
    r.count = 0;
    expect(checkIoreq(r)).toBe('bad count 0');
    r.count = 4097;
    expect(checkIoreq(r)).toBe('bad count 4097');
    r.count = 1;
    r.type = IOREQ_TYPE_PIO;
    r.size = 8;
    expect(checkIoreq(r)).toBe('port I/O of size 8');
    r.size = 1;
    r.addr = 0x10000;
    expect(checkIoreq(r)).toMatch(/port 0x10000 out of range/);
    r.type = IOREQ_TYPE_PCI_CONFIG;
    r.setPciConfig(0x18, 0x40);
    r.count = 2;
    expect(checkIoreq(r)).toMatch(/PCI config/);
    r.type = 5;
    expect(checkIoreq(r)).toBe('unknown type 5');
  });
});
