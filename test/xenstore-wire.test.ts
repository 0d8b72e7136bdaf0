import { describe, expect, it } from 'vitest';
import {
  BAD_RING_INDEX,
  createXenstoreRingPage,
  decodeHeader,
  encodeMessage,
  nulStrings,
  splitNul,
  writePayload,
  XenstoreRingPage,
  XS_ERROR_NAMES,
  XS_RING_CONNECTION_OFFSET,
  XS_RING_ERROR_OFFSET,
  XS_RING_REQ_CONS_OFFSET,
  XS_RING_REQ_PROD_OFFSET,
  XS_RING_RSP_CONS_OFFSET,
  XS_RING_RSP_PROD_OFFSET,
  XS_RING_SERVER_FEATURES_OFFSET,
  XS_WRITE,
} from '../shared/xenstore-wire.js';

describe('xs_wire ABI', () => {
  it('encodes xsd_sockmsg as four little-endian u32s before the payload', () => {
    const m = encodeMessage(XS_WRITE, 0x11223344, 7, writePayload('a/b', 'v'));
    expect([...m.subarray(0, 16)]).toEqual([11, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, 7, 0, 0, 0, 5, 0, 0, 0]);
    expect(decodeHeader(m)).toEqual({ type: 11, reqId: 0x11223344, txId: 7, len: 5 });
    expect(splitNul(m.subarray(16))).toEqual({ parts: ['a/b'], rest: new TextEncoder().encode('v') });
  });

  it('names the errors in xsd_errors order', () => {
    expect(XS_ERROR_NAMES.slice(0, 5)).toEqual(['EINVAL', 'EACCES', 'EEXIST', 'EISDIR', 'ENOENT']);
    expect(XS_ERROR_NAMES.indexOf('EAGAIN')).toBe(12);
    expect(XS_ERROR_NAMES.at(-1)).toBe('EPERM');
    expect(XS_ERROR_NAMES).toHaveLength(16);
  });

  it('places the indices and control words of xenstore_domain_interface after the two 1024-byte queues', () => {
    const buf = createXenstoreRingPage();
    const page = new XenstoreRingPage(buf);
    const v = new DataView(buf);
    const fields = [
      ['reqCons', XS_RING_REQ_CONS_OFFSET],
      ['reqProd', XS_RING_REQ_PROD_OFFSET],
      ['rspCons', XS_RING_RSP_CONS_OFFSET],
      ['rspProd', XS_RING_RSP_PROD_OFFSET],
      ['serverFeatures', XS_RING_SERVER_FEATURES_OFFSET],
      ['connection', XS_RING_CONNECTION_OFFSET],
      ['error', XS_RING_ERROR_OFFSET],
    ] as const;
    expect(fields.map((f) => f[1])).toEqual([2048, 2052, 2056, 2060, 2064, 2068, 2072]);
    fields.forEach(([name, off], i) => {
      page.store(name, 0xa0000000 + i);
      expect(v.getUint32(off, true)).toBe(0xa0000000 + i);
    });
  });

  it('carries bytes across the wrap of free-running indices, masked by 1023', () => {
    const buf = createXenstoreRingPage();
    const page = new XenstoreRingPage(buf);
    page.store('reqProd', 0xfffffff0);
    page.store('reqCons', 0xfffffff0);
    const data = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
    expect(page.giveRequestBytes(data)).toBe(40);
    expect(page.load('reqProd')).toBe(0x18); // wrapped past 2^32
    expect(new Uint8Array(buf)[1023]).toBe(16); // byte 15 sits at (0xfffffff0 + 15) & 1023
    expect(new Uint8Array(buf)[0]).toBe(17);
    expect(page.requestBytesAvailable()).toBe(40);
    const out = new Uint8Array(64);
    expect(page.takeRequestBytes(out)).toBe(40);
    expect([...out.subarray(0, 40)]).toEqual([...data]);
    expect(page.requestBytesAvailable()).toBe(0);
  });

  it('gives no more than a ring and reports a producer more than a ring ahead as a bad index', () => {
    const page = new XenstoreRingPage(createXenstoreRingPage());
    expect(page.giveResponseBytes(new Uint8Array(1500))).toBe(1024);
    expect(page.responseSpace()).toBe(0);
    page.store('reqProd', 1025);
    expect(page.requestBytesAvailable()).toBe(BAD_RING_INDEX);
    expect(page.takeRequestBytes(new Uint8Array(8))).toBe(0);
    page.store('rspCons', 2000); // a consumer ahead of its producer
    expect(page.responseSpace()).toBe(BAD_RING_INDEX);
    expect(page.giveResponseBytes(new Uint8Array(4))).toBe(0);
  });

  it('rejects a page that does not fit its buffer', () => {
    expect(() => new XenstoreRingPage(new SharedArrayBuffer(4096), 4)).toThrow(RangeError);
    expect(() => new XenstoreRingPage(new SharedArrayBuffer(8192), 4096)).not.toThrow();
  });

  it('builds NUL-terminated payloads', () => {
    expect([...nulStrings('ab', '')]).toEqual([97, 98, 0, 0]);
  });
});
