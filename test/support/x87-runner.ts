/**
 * Runs X87Cases on hvmsim's x87: the FRSTOR image is loaded with hvmsim's FRSTOR, the one
 * instruction is decoded and executed as the interpreter would (EBX at the memory area), and
 * the state is read back with hvmsim's FNSAVE, giving the oracle's outcome record.
 */
import { Cpu } from '../../hypervisor/cpu/cpu.js';
import { decodeOne } from '../../hypervisor/cpu/decoder.js';
import { GuestFault } from '../../hypervisor/cpu/fault.js';
import { GuestMemory } from '../../hypervisor/cpu/guest-memory.js';
import { frstor, fsave } from '../../hypervisor/cpu/x87/x87-env.js';
import { createP2mBuffer, P2mType } from '../../shared/p2m.js';
import type { X87Case, X87Outcome } from './x87-cases.js';

const RAM_BYTES = 1 << 20;
const CODE = 0x10000;
const DATA = 0x20000;
const MEM_SIZE = 512;
const IMAGE_IN = 0x30000;
const IMAGE_OUT = 0x30100;
const SIGILL = 4;
const SIGSEGV = 11;
const SIGFPE = 8;

export class X87Runner {
  readonly mem = new GuestMemory(new SharedArrayBuffer(RAM_BYTES), createP2mBuffer());
  readonly cpu: Cpu;

  constructor() {
    this.mem.setType(0, RAM_BYTES >>> 12, P2mType.RAM_RW);
    this.cpu = new Cpu(this.mem, () => {
      throw new Error('x87 case left the CPU through an exit');
    });
  }

  run(k: X87Case): X87Outcome {
    const ram = this.mem.ram;
    const c = this.cpu;
    ram.fill(0, DATA, DATA + MEM_SIZE);
    ram.set(k.mem, DATA);
    ram.set(Uint8Array.from(k.form.bytes), CODE);
    ram.set(k.state, IMAGE_IN);
    c.regs.fill(0);
    c.regs[3] = DATA; // EBX
    c.setEflags(k.eflags);
    c.cr0 = 0x11 | 0x20; // PE, ET, NE
    frstor(c, c.fpu, IMAGE_IN, 4);
    const { insn } = decodeOne((lin) => ram[lin >>> 0]!, CODE);
    c.curEip = CODE;
    c.eip = CODE + insn.len;
    let signal = 0;
    try {
      insn.exec(c, insn);
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      signal = e.vector === 6 ? SIGILL : e.vector === 16 ? SIGFPE : SIGSEGV;
    }
    let state: Uint8Array;
    if (signal) state = new Uint8Array(108);
    else {
      fsave(c, c.fpu, IMAGE_OUT, 4);
      state = ram.slice(IMAGE_OUT, IMAGE_OUT + 108);
    }
    c.fpu.init();
    let shown = MEM_SIZE;
    while (shown > k.mem.length && ram[DATA + shown - 1] === 0) shown--;
    return {
      state,
      mem: ram.slice(DATA, DATA + shown),
      eax: signal ? 0 : c.regs[0]! >>> 0,
      eflags: signal ? 0 : c.getEflags() >>> 0,
      signal,
    };
  }
}
