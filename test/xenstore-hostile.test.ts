/** A domain's ring filled with garbage: error replies or a reset connection, never a daemon failure; other domains carry on. */
import { describe, expect, it } from 'vitest';
import {
  bytesToString,
  decodeHeader,
  encodeMessage,
  nulStrings,
  splitNul,
  XENSTORE_CONNECTED,
  XENSTORE_ERROR_NONE,
  XENSTORE_ERROR_PROTO,
  XENSTORE_ERROR_RINGIDX,
  XENSTORE_RECONNECT,
  XENSTORE_SERVER_FEATURE_ERROR,
  XENSTORE_SERVER_FEATURE_RECONNECTION,
  XS_ERROR,
  XS_GET_DOMAIN_PATH,
  XS_READ,
  XS_WRITE,
  type XenstoreRingPage,
} from '../shared/xenstore-wire.js';
import { writeDomainNodes } from '../toolstack/xenstore/domain-nodes.js';
import { xsFixture } from './support/xenstore-fixture.js';

function setup() {
  const f = xsFixture();
  for (const d of [1, 2]) writeDomainNodes(f.dom0, { domid: d, name: `d${d}`, uuid: `u${d}`, vcpus: 1, memoryKiB: 1024 });
  const bad = f.guest(1);
  const good = f.guest(2);
  return { ...f, bad, good };
}

/** Everything on the response ring, as (type, req_id, payload-as-strings). */
function replies(page: XenstoreRingPage): { type: number; reqId: number; parts: string[]; text: string }[] {
  const buf = new Uint8Array(8192);
  let n = 0;
  for (let k = page.takeResponseBytes(buf.subarray(n)); k > 0; k = page.takeResponseBytes(buf.subarray(n))) n += k;
  const out = [];
  for (let at = 0; at + 16 <= n; ) {
    const h = decodeHeader(buf, at);
    const payload = buf.subarray(at + 16, at + 16 + h.len);
    out.push({ type: h.type, reqId: h.reqId, parts: splitNul(payload).parts, text: bytesToString(payload) });
    at += 16 + h.len;
  }
  return out;
}

function stillServes(f: ReturnType<typeof setup>): void {
  f.good.client.write('data/alive', 'yes');
  expect(f.good.client.read('data/alive')).toBe('yes');
  expect(f.dom0.read('/local/domain/2/data/alive')).toBe('yes');
}

describe('xenstored against a hostile ring', () => {
  it('offers reconnection and the error field', () => {
    const { bad } = setup();
    expect(bad.page.load('serverFeatures')).toBe(XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
  });

  it('a header announcing more than 4096 bytes stops that ring with XENSTORE_ERROR_PROTO; the others carry on', () => {
    const f = setup();
    f.bad.client.watch('/', 'w');
    const h = encodeMessage(XS_READ, 1, 0, new Uint8Array(0));
    new DataView(h.buffer).setUint32(12, 4097, true);
    f.bad.page.giveRequestBytes(h);
    f.xs.kick(1);
    expect(f.bad.page.load('error')).toBe(XENSTORE_ERROR_PROTO);
    expect(f.xs.stats.ringErrors.protocol).toBe(1);
    expect(f.notified).toContain(1);
    // Further requests on that ring are not served until it reconnects.
    const before = f.xs.stats.requests;
    f.bad.page.giveRequestBytes(encodeMessage(XS_GET_DOMAIN_PATH, 2, 0, nulStrings('1')));
    f.xs.kick(1);
    expect(f.xs.stats.requests).toBe(before);
    stillServes(f);
  });

  it('exactly 4096 bytes of payload is accepted, in pieces across the 1024-byte ring', () => {
    const f = setup();
    const value = 'v'.repeat(4096 - 'data/max'.length - 1 - 2048);
    f.bad.client.write('data/max', value);
    expect(f.bad.client.read('data/max')).toBe(value);
    const payload = new Uint8Array(4096);
    payload.set(new TextEncoder().encode('data/x\0'));
    expect(f.bad.client.request(XS_WRITE, payload).type).toBe(XS_ERROR); // 4089-byte value: over the node quota, an error reply
    expect(f.bad.page.load('error')).toBe(XENSTORE_ERROR_NONE);
  });

  it('a producer more than a ring ahead of its consumer is XENSTORE_ERROR_RINGIDX', () => {
    const f = setup();
    f.bad.page.store('reqProd', f.bad.page.load('reqCons') + 1025);
    f.xs.kick(1);
    expect(f.bad.page.load('error')).toBe(XENSTORE_ERROR_RINGIDX);
    stillServes(f);
  });

  it('a response consumer moved past the producer is XENSTORE_ERROR_RINGIDX when xenstored next writes', () => {
    const f = setup();
    f.bad.page.store('rspCons', f.bad.page.load('rspProd') + 5);
    f.bad.page.giveRequestBytes(encodeMessage(XS_GET_DOMAIN_PATH, 1, 0, nulStrings('1')));
    f.xs.kick(1);
    expect(f.bad.page.load('error')).toBe(XENSTORE_ERROR_RINGIDX);
    stillServes(f);
  });

  it('the reconnection handshake empties both queues, zeroes the indices and the error, and serves again', () => {
    const f = setup();
    f.bad.client.watch('data', 'w');
    const tx = f.bad.client.transactionStart();
    f.bad.page.store('reqProd', 5000);
    f.xs.kick(1);
    expect(f.bad.page.load('error')).toBe(XENSTORE_ERROR_RINGIDX);
    f.bad.page.store('connection', XENSTORE_RECONNECT);
    f.xs.kick(1);
    expect(f.bad.page.load('connection')).toBe(XENSTORE_CONNECTED);
    expect(f.bad.page.load('error')).toBe(XENSTORE_ERROR_NONE);
    expect(['reqCons', 'reqProd', 'rspCons', 'rspProd'].map((k) => f.bad.page.load(k as 'reqCons'))).toEqual([0, 0, 0, 0]);
    expect(f.xs.stats.reconnects).toBe(1);
    // Its transaction and watch are gone; it is served again.
    expect(f.bad.client.request(XS_READ, nulStrings('name'), tx).type).toBe(XS_ERROR);
    f.dom0.write('/local/domain/1/data/k', '1');
    f.bad.client.poll();
    expect(f.bad.client.events.filter((e) => e.path === 'data/k')).toEqual([]);
    expect(f.bad.client.read('name')).toBe('d1');
  });

  it('a reconnect drops a half-received request', () => {
    const f = setup();
    const m = encodeMessage(XS_READ, 9, 0, nulStrings('name'));
    f.bad.page.giveRequestBytes(m.subarray(0, 10));
    f.xs.kick(1);
    f.bad.page.store('connection', XENSTORE_RECONNECT);
    f.xs.kick(1);
    expect(f.bad.client.read('domid')).toBe('1');
  });

  it('a request with an empty payload is answered at once, not when the next bytes arrive', () => {
    const f = setup();
    f.bad.page.giveRequestBytes(encodeMessage(XS_READ, 8, 0, new Uint8Array(0)));
    f.xs.kick(1);
    expect(replies(f.bad.page).map((r) => [r.reqId, r.type === XS_ERROR ? r.parts[0] : 'ok'])).toEqual([[8, 'EINVAL']]);
  });

  it('a request trickling in a byte per notification is assembled and answered once', () => {
    const f = setup();
    const m = encodeMessage(XS_READ, 42, 0, nulStrings('name'));
    for (const b of m) {
      f.bad.page.giveRequestBytes(Uint8Array.of(b));
      f.xs.kick(1);
    }
    expect(replies(f.bad.page).map((r) => [r.type, r.reqId, r.text])).toEqual([[XS_READ, 42, 'd1']]);
  });

  it('answers unterminated paths, bad characters, unknown types and random tx ids with errors, in order', () => {
    const f = setup();
    const msgs = [
      encodeMessage(XS_READ, 1, 0, new TextEncoder().encode('name')), // no NUL
      encodeMessage(XS_READ, 2, 0, nulStrings('na\u0001me')),
      encodeMessage(0x1234, 3, 0, nulStrings('x')),
      encodeMessage(XS_READ, 4, 77, nulStrings('name')),
      encodeMessage(XS_WRITE, 5, 0, nulStrings('/local/domain/2/data/alive', 'hijack')),
      encodeMessage(XS_READ, 6, 0, nulStrings('name')),
    ];
    for (const m of msgs) f.bad.page.giveRequestBytes(m);
    f.xs.kick(1);
    expect(replies(f.bad.page).map((r) => [r.reqId, r.type === XS_ERROR ? r.parts[0] : 'ok'])).toEqual([
      [1, 'EINVAL'],
      [2, 'EINVAL'],
      [3, 'ENOSYS'],
      [4, 'ENOENT'],
      [5, 'EACCES'],
      [6, 'ok'],
    ]);
    expect(f.xs.stats.internalErrors).toBe(0);
    stillServes(f);
  });
});
