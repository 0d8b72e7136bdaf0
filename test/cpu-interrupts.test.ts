/**
 * The CPU's side of interrupt delivery, in-process: a kick is noticed within one block (at most
 * 64 guest instructions), intr_assist arms interrupt-window exiting while IF=0, the window opens
 * only after the instruction in STI's shadow, and the injected interrupt returns there.
 */
import { describe, expect, test } from 'vitest';
import { Cpu } from '../hypervisor/cpu/cpu.js';
import { ExitReason } from '../hypervisor/cpu/exit.js';
import { GuestMemory } from '../hypervisor/cpu/guest-memory.js';
import { Reg } from '../hypervisor/cpu/registers.js';
import { intrAssist } from '../hypervisor/intr-assist.js';
import { createP2mBuffer, P2mType } from '../shared/p2m.js';

const CODE = 0x10000;
const IDT = 0x2000;
const GDT = 0x1000;
const HANDLER = 0x3000;

function machine(code: number[], onExit: (c: Cpu) => void): Cpu {
  const mem = new GuestMemory(new SharedArrayBuffer(1 << 20), createP2mBuffer());
  mem.setType(0, 256, P2mType.RAM_RW);
  mem.load(CODE, Uint8Array.from(code));
  // GDT: null, flat 32-bit code at 0x08, flat data at 0x10.
  mem.load(GDT, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0]));
  const cpu = new Cpu(mem, onExit);
  cpu.resetMultiboot(CODE, 0);
  cpu.gdtrBase = GDT;
  cpu.gdtrLimit = 23;
  cpu.idtrBase = IDT;
  cpu.idtrLimit = 256 * 8 - 1;
  cpu.regs[Reg.ESP] = 0x8000;
  return cpu;
}

/** A 32-bit interrupt gate for `vector` pointing at `target`. */
function gate(cpu: Cpu, vector: number, target: number): void {
  const lo = (0x08 << 16) | (target & 0xffff);
  const hi = (target & 0xffff0000) | 0x8e00;
  cpu.mem.writePhys32(IDT + vector * 8, lo);
  cpu.mem.writePhys32(IDT + vector * 8 + 4, hi);
}

describe('kicks', () => {
  test('a kick is noticed within one block (at most 64 guest instructions)', () => {
    // out 0x80, al; 200 x nop; jmp back to the out
    const body = [0xe6, 0x80, ...new Array(200).fill(0x90)];
    const code = [...body, 0xe9, ...le32(-(body.length + 5))];
    let kickedAt = -1;
    let noticedAt = -1;
    const cpu = machine(code, (c) => {
      if (c.exit.reason === ExitReason.IO_INSTRUCTION && kickedAt < 0) {
        c.kick[0] = 1; // as another thread would
        kickedAt = c.instructions;
      } else if (c.exit.reason === ExitReason.EXTERNAL_INTERRUPT) {
        noticedAt = c.instructions;
        c.kick[0] = 0;
        c.requestStop();
      }
    });
    cpu.run(1_000_000);
    expect(noticedAt).toBeGreaterThan(kickedAt);
    expect(noticedAt - kickedAt).toBeLessThanOrEqual(64);
  });
});

describe('intr_assist and the interrupt window', () => {
  test('IF=0 arms the window; it opens after the instruction in the STI shadow; the interrupt returns there', () => {
    // cli; nop; sti; inc ebx (shadowed); inc ecx; hlt
    const code = [0xfa, 0x90, 0xfb, 0x43, 0x41, 0xf4];
    const exits: number[] = [];
    let windowEip = -1;
    const cpu = machine(code, (c) => {
      exits.push(c.exit.reason);
      if (c.exit.reason === ExitReason.INTERRUPT_WINDOW) windowEip = c.eip;
      c.requestStop();
    });
    gate(cpu, 0x20, HANDLER);
    cpu.mem.load(HANDLER, Uint8Array.from([0xf4])); // the handler halts
    let pending = true;
    const pic = { hasPendingInterrupt: () => pending, acknowledge: () => ((pending = false), 0x20) };

    cpu.run(2); // cli; nop
    expect(intrAssist(cpu, pic)).toBe(false);
    expect(cpu.intWindowArmed).toBe(true);
    cpu.run(100);
    expect(exits).toEqual([ExitReason.INTERRUPT_WINDOW]);
    expect(windowEip).toBe(CODE + 4); // after sti and the shadowed inc ebx
    expect(cpu.regs[Reg.EBX]).toBe(1);
    expect(cpu.regs[Reg.ECX]).toBe(0);
    expect(intrAssist(cpu, pic)).toBe(true);
    expect(cpu.eip).toBe(HANDLER);
    expect(cpu.rd32(cpu.regs[Reg.ESP]!)).toBe(CODE + 4); // return address: the inc ecx
    expect(cpu.interruptsEnabled).toBe(false); // an interrupt gate clears IF
  });

  test('no pending interrupt: nothing injected, window disarmed', () => {
    const cpu = machine([0xf4], (c) => c.requestStop());
    cpu.intWindowArmed = true;
    expect(intrAssist(cpu, { hasPendingInterrupt: () => false, acknowledge: () => 0 })).toBe(false);
    expect(cpu.intWindowArmed).toBe(false);
  });
});

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
