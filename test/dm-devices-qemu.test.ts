/**
 * Differential test: one script of port accesses runs in a multiboot guest on
 * qemu-system-i386 (the compatibility target, docs/architecture.md §2) and against these devices on an
 * IoBus; every read must agree. Then single "final" writes (ACPI sleep, 0xCF9, debug exit)
 * must end the run the same way: QEMU's exit tells power-off (status 0), reset (the guest
 * boots again, finds its CMOS marker and exits with 103) or nothing (it exits with 67).
 *
 * Left out on purpose, because they differ by design (see the device sources): timing
 * (the UART's character timeout is immediate here), MSR deltas in loopback, CF8 bits 1:0,
 * unaligned data-port accesses, PM1 byte-lane quirks, and PM1a_STS bit 0 (QEMU's PM timer).
 * Skipped when qemu-system-i386 or gcc -m32 is missing.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProbeGuest } from './support/probe-guest.js';
import { IoBus } from '../shared/io-bus.js';
import type { AccessSize } from '../shared/io-bus.js';
import { attachPcDevices } from '../device-model/devices/pc-devices.js';

interface Op {
  write: boolean;
  port: number;
  size: 1 | 2 | 4;
  value: number;
  /** Bits of a read that are compared (default: all). */
  mask?: number;
  note: string;
}

const ops: Op[] = [];
let section = '';
const r = (size: 1 | 2 | 4, port: number, mask?: number) =>
  ops.push({ write: false, port, size, value: 0, mask, note: `${section}: in${'bwl'[size >> 1]} 0x${port.toString(16)}` });
const w = (size: 1 | 2 | 4, port: number, value: number) =>
  ops.push({ write: true, port, size, value: value >>> 0, note: `${section}: out 0x${port.toString(16)}` });

// ---- the script ----
const COM = 0x3f8;
section = 'uart reset state';
for (let p = 1; p < 8; p++) r(1, COM + p);
section = 'uart DLAB, SCR, IER/MCR masks';
w(1, COM + 3, 0x83); w(1, COM, 0x01); w(1, COM + 1, 0x00);
r(1, COM); r(1, COM + 1); r(1, COM + 2); r(1, COM + 3);
w(1, COM + 3, 0x03);
w(1, COM + 7, 0x5a); r(1, COM + 7);
w(1, COM + 1, 0xff); r(1, COM + 1); w(1, COM + 1, 0x00);
w(1, COM + 4, 0xff); r(1, COM + 4); w(1, COM + 4, 0x08);
r(2, COM + 3);
section = 'uart THRE interrupt (loopback)';
w(1, COM + 2, 0x07); r(1, COM + 2);
w(1, COM + 4, 0x18);
w(1, COM + 1, 0x02); r(1, COM + 2); r(1, COM + 2);
w(1, COM, 0x78); r(1, COM + 2); r(1, COM + 2);
w(1, COM + 1, 0x02); r(1, COM + 2);
w(1, COM + 1, 0x00); w(1, COM + 1, 0x02); r(1, COM + 2);
w(1, COM + 1, 0x00); r(1, COM + 5); r(1, COM); r(1, COM + 5);
section = 'uart RX FIFO trigger and overrun (loopback)';
w(1, COM + 2, 0x87); w(1, COM + 1, 0x01);
for (let i = 0; i < 8; i++) w(1, COM, 0x61 + i);
r(1, COM + 5); r(1, COM + 2);
for (let i = 8; i < 20; i++) w(1, COM, 0x61 + i);
r(1, COM + 2); r(1, COM + 5); r(1, COM + 5);
for (let i = 0; i < 16; i++) r(1, COM);
r(1, COM + 5); r(1, COM + 2); r(1, COM);
section = 'uart line status interrupt (loopback)';
w(1, COM + 1, 0x05);
for (let i = 0; i < 17; i++) w(1, COM, 0x41 + i);
r(1, COM + 2); r(1, COM + 5); r(1, COM + 2);
w(1, COM + 2, 0x87); r(1, COM + 5); r(1, COM + 2);
section = 'uart without FIFOs (loopback)';
w(1, COM + 1, 0x00); w(1, COM + 2, 0x00);
w(1, COM, 0x70); w(1, COM, 0x71);
r(1, COM + 5); r(1, COM); r(1, COM + 5); r(1, COM + 2); r(1, COM);
w(1, COM + 4, 0x08); w(1, COM + 2, 0x07);

const cf8 = (d: number, f: number, reg: number) => w(4, 0xcf8, 0x80000000 | (d << 11) | (f << 8) | reg);
section = 'pci headers';
for (const [d, f] of [[0, 0], [1, 0], [1, 3]] as const) {
  for (let reg = 0; reg < 0x40; reg += 4) {
    cf8(d, f, reg);
    r(4, 0xcfc);
  }
}
cf8(1, 3, 0x40); r(4, 0xcfc);
cf8(1, 3, 0x80); r(1, 0xcfc);
cf8(1, 0, 0x60); r(4, 0xcfc);
section = 'pci byte and word data accesses';
cf8(0, 0, 0);
r(1, 0xcfc); r(1, 0xcfd); r(2, 0xcfe); r(1, 0xcff); r(2, 0xcfc);
section = 'pci write masks';
cf8(0, 0, 0x04); w(4, 0xcfc, 0xffffffff); r(4, 0xcfc); w(4, 0xcfc, 0x00000103);
cf8(0, 0, 0x0c); w(4, 0xcfc, 0xffffffff); r(4, 0xcfc); w(4, 0xcfc, 0);
cf8(0, 0, 0x10); w(4, 0xcfc, 0xffffffff); r(4, 0xcfc);
cf8(0, 0, 0x3c); w(1, 0xcfc, 0x0b); w(1, 0xcfd, 0x04); r(2, 0xcfc); w(2, 0xcfc, 0);
cf8(1, 0, 0x60); w(4, 0xcfc, 0x0b800a05); r(4, 0xcfc); w(2, 0xcfe, 0x0c0c); r(4, 0xcfc); w(4, 0xcfc, 0x0b0b0a0a);
section = 'pci absent functions and disabled decode';
cf8(31, 0, 0); r(4, 0xcfc); r(2, 0xcfe); r(1, 0xcff);
cf8(0, 1, 0); r(4, 0xcfc);
w(4, 0xcf8, 0x80010000); r(4, 0xcfc);
w(4, 0xcf8, 0); r(4, 0xcfc);
section = 'pci 0xCF8 latch';
w(4, 0xcf8, 0x8000f800); r(4, 0xcf8); r(2, 0xcf8); r(1, 0xcf8);
w(1, 0xcf8, 0x12); r(4, 0xcf8); w(2, 0xcf8, 0x3456); r(4, 0xcf8);
section = 'pm1a';
r(2, 0x602); w(2, 0x602, 0xffff); r(2, 0x602); w(2, 0x602, 0x0121); r(2, 0x602); w(2, 0x602, 0);
r(2, 0x604); w(2, 0x604, 0x1c01); r(2, 0x604); w(2, 0x604, 0x0001); r(2, 0x604); w(2, 0x604, 0);
w(2, 0x600, 0xffff); r(2, 0x600, 0xfffe);
section = 'reset control';
r(1, 0xcf9); w(1, 0xcf9, 0x02); r(1, 0xcf9); w(1, 0xcf9, 0x0a); r(1, 0xcf9); w(1, 0xcf9, 0x00); r(1, 0xcf9);
section = 'debug exit reads';
r(1, 0xf4); r(2, 0xf4); r(4, 0xf4); r(1, 0xf7);

// ---- the guest ----
const CMOS_MARKER_INDEX = 0x4f;
const guestSource = `
typedef unsigned int u32; typedef unsigned short u16; typedef unsigned char u8;
static inline void outb(u16 p, u8 v){__asm__ volatile("outb %0,%1"::"a"(v),"Nd"(p));}
static inline void outw(u16 p, u16 v){__asm__ volatile("outw %0,%1"::"a"(v),"Nd"(p));}
static inline void outl(u16 p, u32 v){__asm__ volatile("outl %0,%1"::"a"(v),"Nd"(p));}
static inline u8 inb(u16 p){u8 v;__asm__ volatile("inb %1,%0":"=a"(v):"Nd"(p));return v;}
static inline u16 inw(u16 p){u16 v;__asm__ volatile("inw %1,%0":"=a"(v):"Nd"(p));return v;}
static inline u32 inl(u16 p){u32 v;__asm__ volatile("inl %1,%0":"=a"(v):"Nd"(p));return v;}
struct op { u32 write, size, port, value; };
static const struct op ops[] = {
${ops.map((o) => `  {${o.write ? 1 : 0}, ${o.size}, 0x${o.port.toString(16)}, 0x${o.value.toString(16)}u},`).join('\n')}
};
#define NOPS (sizeof ops / sizeof ops[0])
static u32 results[NOPS];
static void putc_(char c){ while(!(inb(0x3fd)&0x20)); outb(0x3f8,(u8)c); }
static void hex8(u32 v){ for(int i=7;i>=0;i--) putc_("0123456789abcdef"[(v>>(i*4))&15]); putc_('\\n'); }
static void puts_(const char*s){ while(*s) putc_(*s++); }
static u32 parsehex(const char*s){u32 v=0;for(;;s++){char c=*s;if(c>='0'&&c<='9')v=v*16+c-'0';else if(c>='a'&&c<='f')v=v*16+c-'a'+10;else break;}return v;}
static const char* after(const char*s,const char*k){for(;*s;s++){const char*a=s,*b=k;while(*b&&*a==*b){a++;b++;}if(!*b)return a;}return 0;}
static u8 cmos(u8 i){ outb(0x70,i); return inb(0x71); }
static void cmos_set(u8 i, u8 v){ outb(0x70,i); outb(0x71,v); }
void kmain(u32 magic, u32* mbi){
  (void)magic;
  if (cmos(${CMOS_MARKER_INDEX}) == 0xa5) { cmos_set(${CMOS_MARKER_INDEX}, 0); outb(0xf4, 0x33); }
  for (u32 i = 0; i < NOPS; i++) {
    const struct op* o = &ops[i];
    if (o->write) { if (o->size == 1) outb(o->port, o->value); else if (o->size == 2) outw(o->port, o->value); else outl(o->port, o->value); }
    else results[i] = o->size == 1 ? inb(o->port) : o->size == 2 ? inw(o->port) : inl(o->port);
  }
  outb(0x3fc, 0x08); outb(0x3f9, 0x00);
  puts_("RESULTS\\n");
  for (u32 i = 0; i < NOPS; i++) if (!ops[i].write) hex8(results[i]);
  puts_("END\\n");
  const char* cmd = (mbi[0] & 4) ? (const char*)mbi[4] : "";
  const char* fin = after(cmd, "final=");
  if (fin) {
    u32 size = parsehex(fin), port = parsehex(fin + 2), value = parsehex(fin + 7);
    cmos_set(${CMOS_MARKER_INDEX}, 0xa5);
    if (size == 1) outb(port, value); else if (size == 2) outw(port, value); else outl(port, value);
    for (volatile u32 spin = 0; spin < 20000000u; spin++) ;
    cmos_set(${CMOS_MARKER_INDEX}, 0);
  }
  outb(0xf4, 0x21);
  for (;;) __asm__ volatile("cli; hlt");
}
`;
const probe = buildProbeGuest('dm-qemu', guestSource);
afterAll(() => {
  if ('elf' in probe) probe.dispose();
});
const guest = 'elf' in probe ? probe.elf : undefined;
const skipReason = 'error' in probe ? probe.error : undefined;
if (skipReason) console.warn(`dm-devices-qemu: SKIPPED: ${skipReason}`);

function runQemu(append: string): { status: number | null; stdout: string } {
  const result = spawnSync(
    'qemu-system-i386',
    [
      '-nodefaults', '-display', 'none', '-monitor', 'none', '-serial', 'stdio',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
      '-kernel', guest as string, '-append', append,
    ],
    { timeout: 20_000, encoding: 'latin1' },
  );
  return { status: result.status, stdout: result.stdout ?? '' };
}

function runModel(final?: { size: AccessSize; port: number; value: number }) {
  const effects = { shutdowns: [] as string[], exits: [] as number[] };
  const bus = new IoBus();
  attachPcDevices(bus, {
    raiseIrq: () => {},
    output: () => {},
    shutdown: (reason) => effects.shutdowns.push(reason),
    debugExit: (status) => effects.exits.push(status),
  });
  const reads: number[] = [];
  for (const o of ops) {
    if (o.write) bus.writePort(o.port, o.size, o.value);
    else reads.push(bus.readPort(o.port, o.size) ?? (o.size === 4 ? 0xffffffff : (1 << (8 * o.size)) - 1));
  }
  if (final) bus.writePort(final.port, final.size, final.value);
  return { reads, effects };
}

function qemuReads(stdout: string): number[] {
  const start = stdout.indexOf('RESULTS\n');
  const end = stdout.indexOf('END\n');
  if (start < 0 || end < 0) throw new Error(`no results in QEMU output: ${JSON.stringify(stdout.slice(0, 300))}`);
  return stdout.slice(start + 8, end).trim().split('\n').map((line) => parseInt(line, 16) >>> 0);
}

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

describe.skipIf(skipReason !== undefined)('devices against qemu-system-i386', () => {
  it('answers the whole port script as QEMU pc does', () => {
    const qemu = runQemu('');
    expect(qemu.status).toBe(67);
    const theirs = qemuReads(qemu.stdout);
    const ours = runModel().reads;
    const readOps = ops.filter((o) => !o.write);
    expect(theirs).toHaveLength(readOps.length);
    const mismatches = readOps.flatMap((o, i) => {
      const mask = o.mask ?? 0xffffffff;
      return ((theirs[i]! & mask) >>> 0) === ((ours[i]! & mask) >>> 0)
        ? []
        : [`#${i} ${o.note}: qemu ${hex(theirs[i]!)}, hvmsim ${hex(ours[i]!)}`];
    });
    expect(mismatches).toEqual([]);
  });

  // QEMU exit status: 0 = powered off, 103 = reset (guest rebooted), 67 = nothing, else debug exit.
  it.each([
    ['outw 0x604, 0x2000 (S5)', 2, 0x604, 0x2000, 'poweroff'],
    ['outw 0x604, 0x2800 (S4)', 2, 0x604, 0x2800, 'poweroff'],
    ['outw 0x604, 0x3400', 2, 0x604, 0x3400, 'none'],
    ['outb 0x605, 0x20', 1, 0x605, 0x20, 'none'],
    ['outl 0x604, 0x2000', 4, 0x604, 0x2000, 'none'],
    ['outb 0xcf9, 0x06', 1, 0xcf9, 0x06, 'reboot'],
    ['outb 0xcf9, 0x04', 1, 0xcf9, 0x04, 'reboot'],
    ['outb 0xcf9, 0x02', 1, 0xcf9, 0x02, 'none'],
    ['outw 0xf4, 0x1234', 2, 0xf4, 0x1234, 'exit'],
    ['outl 0xf4, 0x12345678', 4, 0xf4, 0x12345678, 'exit'],
    ['outb 0xf6, 0x05', 1, 0xf6, 0x05, 'exit'],
  ] as const)('a final %s ends the run as on QEMU', (_label, size, port, value, expected) => {
    const qemu = runQemu(`final=${size}:${port.toString(16).padStart(4, '0')}:${value.toString(16)}`);
    const theirs =
      qemu.status === 0 ? 'poweroff' : qemu.status === 103 ? 'reboot' : qemu.status === 67 ? 'none' : `exit ${qemu.status}`;
    const { effects } = runModel({ size, port, value });
    const ours =
      effects.shutdowns.length > 0
        ? effects.shutdowns.join(',')
        : effects.exits.length > 0
          ? `exit ${effects.exits[0]! % 256}`
          : 'none';
    expect(ours).toBe(theirs);
    expect(expected === 'exit' ? ours.startsWith('exit') : ours === expected).toBe(true);
  });
});
