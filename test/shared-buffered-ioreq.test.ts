import { describe, expect, it } from 'vitest';
import {
  BufferedIoreqConsumer,
  BufferedIoreqError,
  BufferedIoreqProducer,
  createBufferedPageBuffer,
  IOREQ_BUFFER_SLOT_NUM,
} from '../shared/buffered-ioreq.js';
import { IOREQ_TYPE_COPY, IOREQ_TYPE_PCI_CONFIG, IOREQ_TYPE_PIO, IOREQ_TYPE_TIMEOFFSET } from '../shared/ioreq.js';

interface Entry {
  type: number;
  addr: number;
  size: number;
  value: number;
  valueHigh: number;
}

function setup() {
  const page = createBufferedPageBuffer();
  const lock = new Int32Array(new SharedArrayBuffer(4));
  return {
    page,
    words: new Uint32Array(page),
    producer: new BufferedIoreqProducer(page, lock, 0),
    consumer: new BufferedIoreqConsumer(page),
  };
}

function collect(consumer: BufferedIoreqConsumer, limit?: number): Entry[] {
  const out: Entry[] = [];
  consumer.drain((type, addr, size, value, valueHigh) => out.push({ type, addr, size, value, valueHigh }), limit);
  return out;
}

describe('buffered ioreq page layout', () => {
  it("packs type, dir, size and the 20-bit address as Xen's buf_ioreq, 8 bytes a slot after two pointers", () => {
    const { page, producer } = setup();
    expect(producer.tryPost(IOREQ_TYPE_COPY, 0xabcde, 2, 0x1234)).toBe(true);
    expect(producer.tryPost(IOREQ_TYPE_COPY, 0xa0000, 8, 0x1111_2222, 0x3333_4444)).toBe(true);
    const view = new DataView(page);
    expect(view.getUint32(0, true)).toBe(0); // read_pointer
    expect(view.getUint32(4, true)).toBe(3); // write_pointer: the 8-byte write took two slots
    expect(view.getUint8(8)).toBe(IOREQ_TYPE_COPY);
    expect(view.getUint8(9) & 0x0f).toBe(1 << 2); // dir 0 (write), size log2 1 in bits 2-3
    expect(view.getUint32(8, true) >>> 12).toBe(0xabcde);
    expect(view.getUint32(12, true)).toBe(0x1234);
    expect((view.getUint8(17) >> 2) & 3).toBe(3);
    expect(view.getUint32(20, true)).toBe(0x1111_2222);
    expect(view.getUint32(28, true)).toBe(0x3333_4444);
  });
});

describe('buffered ioreq ring', () => {
  it('keeps order and values over many thousands of entries across wrap-around and rebasing', () => {
    const { producer, consumer, words } = setup();
    let next = 0;
    let expected = 0;
    let maxRead = 0;
    for (let round = 0; round < 200; round++) {
      // Post a varying batch (some 8-byte writes), then drain part or all of it.
      const batch = 1 + ((round * 37) % 300);
      for (let i = 0; i < batch; i++, next++) {
        const size = next % 7 === 0 ? 8 : [1, 2, 4][next % 3]!;
        expect(producer.tryPost(IOREQ_TYPE_COPY, 0xa0000 + (next & 0xffff), size, next, size === 8 ? ~next >>> 0 : 0)).toBe(true);
      }
      const got = collect(consumer);
      for (const e of got) {
        const size = expected % 7 === 0 ? 8 : [1, 2, 4][expected % 3]!;
        expect(e).toEqual({ type: IOREQ_TYPE_COPY, addr: 0xa0000 + (expected & 0xffff), size, value: expected, valueHigh: size === 8 ? ~expected >>> 0 : 0 });
        expected++;
      }
      maxRead = Math.max(maxRead, words[0]!);
    }
    expect(expected).toBe(next);
    expect(next).toBeGreaterThan(20_000);
    // Pointers were rebased (read_pointer never grew past two laps), yet nothing was lost.
    expect(maxRead).toBeLessThan(2 * IOREQ_BUFFER_SLOT_NUM);
  });

  it('splits an 8-byte entry across the end of the ring', () => {
    const { producer, consumer, words } = setup();
    // Move both pointers to the last slot.
    for (let i = 0; i < IOREQ_BUFFER_SLOT_NUM - 1; i++) producer.tryPost(IOREQ_TYPE_PIO, 0x80, 1, i);
    expect(collect(consumer).length).toBe(IOREQ_BUFFER_SLOT_NUM - 1);
    expect(producer.tryPost(IOREQ_TYPE_COPY, 0xb8000, 8, 0xaaaa_bbbb, 0xcccc_dddd)).toBe(true);
    // First half in slot 510, second in slot 0.
    expect(words[2 + 2 * 510 + 1]).toBe(0xaaaa_bbbb);
    expect(words[2 + 1]).toBe(0xcccc_dddd);
    expect(collect(consumer)).toEqual([{ type: IOREQ_TYPE_COPY, addr: 0xb8000, size: 8, value: 0xaaaa_bbbb, valueHigh: 0xcccc_dddd }]);
  });

  it("refuses posts when full by Xen's rule (write − read ≥ 511 − qw), then accepts once drained", () => {
    const { producer, consumer } = setup();
    for (let i = 0; i < IOREQ_BUFFER_SLOT_NUM - 1; i++) expect(producer.tryPost(IOREQ_TYPE_PIO, 0x80, 1, i)).toBe(true);
    // 510 used: one more single fits, an 8-byte one does not.
    expect(producer.tryPost(IOREQ_TYPE_COPY, 0xa0000, 8, 1, 2)).toBe(false);
    expect(producer.tryPost(IOREQ_TYPE_PIO, 0x80, 1, 510)).toBe(true);
    expect(producer.pending()).toBe(IOREQ_BUFFER_SLOT_NUM);
    expect(producer.tryPost(IOREQ_TYPE_PIO, 0x80, 1, 511)).toBe(false);
    expect(collect(consumer, 2).map((e) => e.value)).toEqual([0, 1]);
    expect(producer.tryPost(IOREQ_TYPE_COPY, 0xa0000, 8, 1, 2)).toBe(true);
  });

  it('refuses what cannot be buffered: addresses above 1 MiB, odd sizes, other types', () => {
    const { producer } = setup();
    expect(producer.tryPost(IOREQ_TYPE_COPY, 0x100000, 1, 0)).toBe(false);
    expect(producer.tryPost(IOREQ_TYPE_COPY, -1, 1, 0)).toBe(false);
    expect(producer.tryPost(IOREQ_TYPE_COPY, 0xa0000, 3, 0)).toBe(false);
    expect(producer.tryPost(IOREQ_TYPE_PCI_CONFIG, 0xcfc, 4, 0)).toBe(false);
    expect(producer.pending()).toBe(0);
  });

  it('carries full 32-bit addresses in wide entries (hvmsim extension), also split across the ring end', () => {
    const { producer, consumer, words } = setup();
    expect(producer.tryPostWide(IOREQ_TYPE_COPY, 0xf000_1234, 4, 0xdead_beef)).toBe(true);
    expect(words[1]).toBe(2); // two slots
    expect(collect(consumer)).toEqual([{ type: IOREQ_TYPE_COPY, addr: 0xf000_1234, size: 4, value: 0xdead_beef, valueHigh: 0 }]);
    for (let i = 0; i < IOREQ_BUFFER_SLOT_NUM - 3; i++) producer.tryPost(IOREQ_TYPE_PIO, 0x80, 1, i);
    collect(consumer);
    expect(words[0]! % IOREQ_BUFFER_SLOT_NUM).toBe(IOREQ_BUFFER_SLOT_NUM - 1);
    expect(producer.tryPostWide(IOREQ_TYPE_COPY, 0xe000_0000, 2, 0xabcd)).toBe(true);
    expect(producer.tryPost(IOREQ_TYPE_PIO, 0x80, 1, 7)).toBe(true);
    expect(collect(consumer)).toEqual([
      { type: IOREQ_TYPE_COPY, addr: 0xe000_0000, size: 2, value: 0xabcd, valueHigh: 0 },
      { type: IOREQ_TYPE_PIO, addr: 0x80, size: 1, value: 7, valueHigh: 0 },
    ]);
    // Only 1/2/4-byte PIO/COPY writes, and never into the last free slot.
    expect(producer.tryPostWide(IOREQ_TYPE_COPY, 0xe000_0000, 8, 0)).toBe(false);
    expect(producer.tryPostWide(IOREQ_TYPE_TIMEOFFSET, 0, 4, 0)).toBe(false);
    expect(producer.tryPostWide(IOREQ_TYPE_COPY, 2 ** 32, 4, 0)).toBe(false);
    for (let i = 0; i < IOREQ_BUFFER_SLOT_NUM - 1; i++) producer.tryPost(IOREQ_TYPE_PIO, 0x80, 1, i);
    expect(producer.tryPostWide(IOREQ_TYPE_COPY, 0xe000_0000, 4, 0)).toBe(false);
  });

  it('drains at most `limit` slots per call', () => {
    const { producer, consumer } = setup();
    for (let i = 0; i < 100; i++) producer.tryPost(IOREQ_TYPE_PIO, 0x80, 1, i);
    expect(collect(consumer, 30).length).toBe(30);
    expect(consumer.pending()).toBe(70);
  });
});

describe('buffered ioreq consumer on a hostile page', () => {
  it('reports pointers further apart than the ring holds instead of looping', () => {
    const { consumer, words } = setup();
    words[0] = 5;
    words[1] = 5 + 600;
    expect(() => collect(consumer)).toThrow(BufferedIoreqError);
    words[0] = 10;
    words[1] = 3; // write behind read: a huge unsigned distance
    expect(() => collect(consumer)).toThrow(/apart/);
  });

  it('reports an 8-byte entry whose second half was never published', () => {
    const { consumer, words } = setup();
    words[2] = IOREQ_TYPE_COPY | (3 << 10) | (0xa0000 << 12);
    words[1] = 1;
    expect(() => collect(consumer)).toThrow(/incomplete 8-byte entry/);
  });

  it('skips entries with a read direction or an unknown type, and bounds the 20-bit address', () => {
    const { consumer, words } = setup();
    words[2] = IOREQ_TYPE_COPY | (1 << 9) | (0xa0000 << 12); // a "read"
    words[4] = 0xee | (0xfffff << 12); // unknown type
    words[6] = IOREQ_TYPE_COPY | 0xfffff000 | (2 << 10); // max address
    words[7] = 7;
    words[1] = 3;
    expect(collect(consumer)).toEqual([{ type: IOREQ_TYPE_COPY, addr: 0xfffff, size: 4, value: 7, valueHigh: 0 }]);
    expect(consumer.rejected).toBe(2);
    expect(consumer.pending()).toBe(0);
  });

  it('reports a wide entry claiming 8 bytes or missing its address slot', () => {
    const { consumer, words } = setup();
    words[2] = IOREQ_TYPE_COPY | 0x100 | (3 << 10); // wide flag, size 8
    words[1] = 2;
    expect(() => collect(consumer)).toThrow(/wide entry of 8 bytes/);
    const b = setup();
    b.words[2] = IOREQ_TYPE_COPY | 0x100 | (2 << 10);
    b.words[1] = 1;
    expect(() => collect(b.consumer)).toThrow(/incomplete wide entry/);
  });

  it('makes the producer fall back (ring "full") when the guest scribbled the pointers', () => {
    const { producer, words } = setup();
    words[0] = 1000;
    words[1] = 0;
    expect(producer.tryPost(IOREQ_TYPE_COPY, 0xa0000, 1, 0)).toBe(false);
  });

  it('keeps slot order across the u32 wrap of hostile free-running pointers', () => {
    const { producer, consumer, words } = setup();
    // A legacy-mode style pair near 2^32 (the guest can write any pair); the producer rebases
    // only once read >= 511, which it is, so the first post brings both pointers down.
    words[0] = 0xffff_fff0;
    words[1] = 0xffff_fff0;
    for (let i = 0; i < 40; i++) expect(producer.tryPost(IOREQ_TYPE_PIO, 0x80, 1, i)).toBe(true);
    expect(words[1]! - words[0]!).toBe(40);
    expect(words[0]).toBeLessThan(IOREQ_BUFFER_SLOT_NUM);
    expect(collect(consumer).map((e) => e.value)).toEqual([...Array(40).keys()]);
  });
});
