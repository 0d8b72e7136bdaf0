/**
 * The first of the Xen guest ABI (issue 15): discovery through CPUID 0x40000000+, the hypercall
 * page filled through MSR 0x40000000, and xen_version, as Xen answers an HVM domain (Xen's
 * public/arch-x86/cpuid.h, xen/arch/x86/msr.c and domain.c's init_hypercall_page, public/version.h).
 * A tiny guest does what Linux's Xen detection does — find the leaves, write the MSR, call through
 * the page — under `hvmsim run`; the rest is checked on a CPU in-process.
 * Workers run from dist/: npm run build first.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyGuestElf } from '../guests/tiny-guest-elf.js';
import { Cpu } from '../hypervisor/cpu/cpu.js';
import { GuestMemory } from '../hypervisor/cpu/guest-memory.js';
import { cpuidLeaf } from '../hypervisor/cpuid.js';
import { fillHypercallPage } from '../hypervisor/hypercalls/hypercall-page.js';
import { EEXIST, EFAULT, EINVAL, ENOSYS, EPERM, ESRCH, handleHypercall, HYPERVISOR_hvm_op, HYPERVISOR_xen_version } from '../hypervisor/hypercalls/table.js';
import { CAPABILITIES, XENVER_capabilities, XENVER_capabilities2, XENVER_get_features, XENVER_pagesize } from '../hypervisor/hypercalls/xen-version.js';
import { Reg } from '../hypervisor/cpu/registers.js';
import { createP2mBuffer, P2mType } from '../shared/p2m.js';
import { createHvmParamsBuffer, HVM_PARAM_CALLBACK_IRQ, HVM_PARAM_STORE_PFN, HVM_PARAM_TIMER_MODE, HvmParams } from '../shared/hvm-params.js';
import { DOMID_SELF, HVMOP_get_param, HVMOP_set_param } from '../hypervisor/hypercalls/hvm-op.js';
import { runHvmsim } from './support/hvmsim-cli.js';

const str = (...words: number[]) => Buffer.from(Uint32Array.from(words).buffer).toString('latin1');

describe('CPUID: Xen\'s leaves for an HVM domain without Viridian', () => {
  it('signature and limit, version, one hypercall page at MSR 0x40000000, HVM features with vCPU id and domid', () => {
    const base = cpuidLeaf(0x40000000, 0, 0, 1);
    expect(base.eax).toBe(0x40000005);
    expect(str(base.ebx, base.ecx, base.edx)).toBe('XenVMMXenVMM');
    expect(cpuidLeaf(0x40000001, 0, 0, 1).eax).toBe(0x00040013); // 4.19
    expect(cpuidLeaf(0x40000002, 0, 0, 1)).toEqual({ eax: 1, ebx: 0x40000000, ecx: 0, edx: 0 });
    expect(cpuidLeaf(0x40000004, 0, 3, 4, 7)).toEqual({ eax: 0x1c, ebx: 3, ecx: 7, edx: 0 });
    // Where Viridian would move the leaves, and above Xen's limit: zeros.
    expect(cpuidLeaf(0x40000100, 0, 0, 1)).toEqual({ eax: 0, ebx: 0, ecx: 0, edx: 0 });
    expect(cpuidLeaf(0x40000006, 0, 0, 1)).toEqual({ eax: 0, ebx: 0, ecx: 0, edx: 0 });
  });
});

describe('the hypercall page', () => {
  it('128 entries of mov $n,%eax; vmcall; ret in 32 bytes, INT3 filler, ud2 for iret (23)', () => {
    const page = new Uint8Array(4096);
    fillHypercallPage(page);
    expect([...page.subarray(17 * 32, 17 * 32 + 10)]).toEqual([0xb8, 17, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3, 0xcc]);
    expect([...page.subarray(127 * 32, 127 * 32 + 9)]).toEqual([0xb8, 127, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3]);
    expect([...page.subarray(23 * 32, 23 * 32 + 3)]).toEqual([0x0f, 0x0b, 0xcc]);
    expect(page.subarray(128 * 32).every((b) => b === 0xcc)).toBe(true);
  });
});

/** A CPU over 1 MiB of RAM (page 0x80000 is MMIO, for -EFAULT) and a VMCALL straight to the table. */
function hypercall(eax: number, ebx: number, ecx: number): { result: number; mem: GuestMemory } {
  const mem = new GuestMemory(new SharedArrayBuffer(1 << 20), createP2mBuffer());
  mem.setType(0, 256, P2mType.RAM_RW);
  mem.setType(0x80, 1, P2mType.MMIO_DM);
  const cpu = new Cpu(mem, () => {});
  cpu.regs[Reg.EAX] = eax;
  cpu.regs[Reg.EBX] = ebx;
  cpu.regs[Reg.ECX] = ecx;
  handleHypercall({ cpu, shutdown: () => {} });
  return { result: cpu.regs[Reg.EAX]!, mem };
}

describe('xen_version', () => {
  it('writes the capabilities NUL-padded, answers pagesize and features, and -EFAULT for a buffer that is not RAM', () => {
    const caps = hypercall(HYPERVISOR_xen_version, XENVER_capabilities, 0x4000);
    expect(caps.result).toBe(0);
    expect(Buffer.from(caps.mem.ram.subarray(0x4000, 0x4000 + 1024)).toString('latin1').replace(/\0+$/, '')).toBe(CAPABILITIES);
    expect(hypercall(HYPERVISOR_xen_version, XENVER_pagesize, 0).result).toBe(4096);
    expect(hypercall(HYPERVISOR_xen_version, XENVER_pagesize, 0x4000).result).toBe(-EINVAL);
    const features = hypercall(HYPERVISOR_xen_version, XENVER_get_features, 0x5000);
    expect(features.result).toBe(0);
    expect(new DataView(features.mem.ram.buffer).getUint32(0x5004, true)).toBe(0b101); // writable page tables, auto-translated physmap
    expect(hypercall(HYPERVISOR_xen_version, XENVER_capabilities, 0x80000).result).toBe(-EFAULT); // MMIO
    expect(hypercall(HYPERVISOR_xen_version, XENVER_capabilities, 0x7ffff000).result).toBe(-EFAULT); // beyond RAM
    expect(hypercall(HYPERVISOR_xen_version, XENVER_capabilities2, 0).result).toBe(CAPABILITIES.length); // varbuf: the size needed
    expect(hypercall(99, 0, 0).result).toBe(-ENOSYS);
  });
});

describe('hvm_op get/set_param: a guest on its own parameters, with Xen\'s rules', () => {
  const params = new HvmParams(createHvmParamsBuffer());
  params.set(HVM_PARAM_STORE_PFN, 0xfeffcn); // as the toolstack sets it (xl's special frame)
  /** hvm_op(op, &struct xen_hvm_param at 0x6000) on a CPU over 1 MiB of RAM; returns EAX and the value field after. */
  function hvmParam(op: number, domid: number, index: number, value = 0n): { result: number; value: bigint } {
    const mem = new GuestMemory(new SharedArrayBuffer(1 << 20), createP2mBuffer());
    mem.setType(0, 256, P2mType.RAM_RW);
    const arg = new DataView(mem.ram.buffer, 0x6000, 16);
    arg.setUint16(0, domid, true);
    arg.setUint32(4, index, true);
    arg.setBigUint64(8, value, true);
    const cpu = new Cpu(mem, () => {});
    cpu.regs[Reg.EAX] = HYPERVISOR_hvm_op;
    cpu.regs[Reg.EBX] = op;
    cpu.regs[Reg.ECX] = 0x6000;
    handleHypercall({ cpu, shutdown: () => {}, domid: 5, params });
    return { result: cpu.regs[Reg.EAX]!, value: arg.getBigUint64(8, true) };
  }

  it('reads what the toolstack set and what the guest may set; refuses the rest as Xen does', () => {
    expect(hvmParam(HVMOP_get_param, DOMID_SELF, HVM_PARAM_STORE_PFN)).toEqual({ result: 0, value: 0xfeffcn });
    const via = (2n << 56n) | 0xf3n; // HVM_PARAM_CALLBACK_IRQ: type 2 (vector) 0xF3
    expect(hvmParam(HVMOP_set_param, 5, HVM_PARAM_CALLBACK_IRQ, via).result).toBe(0); // its own domid works like DOMID_SELF
    expect(params.get(HVM_PARAM_CALLBACK_IRQ)).toBe(via);
    expect(hvmParam(HVMOP_get_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ).value).toBe(via);
    expect(hvmParam(HVMOP_set_param, DOMID_SELF, HVM_PARAM_STORE_PFN, 1n).result).toBe(-EPERM); // readable, not settable
    expect(params.get(HVM_PARAM_STORE_PFN)).toBe(0xfeffcn);
    expect(hvmParam(HVMOP_get_param, DOMID_SELF, HVM_PARAM_TIMER_MODE).result).toBe(-EPERM);
    expect(hvmParam(HVMOP_set_param, DOMID_SELF, 35).result).toBe(-EEXIST); // ALTP2M
    expect(hvmParam(HVMOP_get_param, DOMID_SELF, 13).result).toBe(-EINVAL); // deprecated
    expect(hvmParam(HVMOP_get_param, DOMID_SELF, 39).result).toBe(-EINVAL); // past the last
    expect(hvmParam(HVMOP_get_param, 6, HVM_PARAM_STORE_PFN).result).toBe(-ESRCH); // another domain
    expect(hvmParam(7, DOMID_SELF, 0).result).toBe(-ENOSYS);
  });
});

describe('a guest that finds Xen the way Linux does', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hvmsim-xen-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // cpuid(0x40000002) → EBX = the MSR; wrmsr(MSR, 0x200000); xen_version(capabilities, 0x300000)
  // through the page; print the string on COM1; xen_version(version) through the page; out 0xf4, al.
  const CODE = [
    0xb8, 0x02, 0x00, 0x00, 0x40, 0x0f, 0xa2, 0x89, 0xd9, 0xb8, 0x00, 0x00, 0x20, 0x00, 0x31, 0xd2, 0x0f, 0x30,
    0xbb, 0x03, 0x00, 0x00, 0x00, 0xb9, 0x00, 0x00, 0x30, 0x00, 0xb8, 0x20, 0x02, 0x20, 0x00, 0xff, 0xd0,
    0xbe, 0x00, 0x00, 0x30, 0x00, 0x66, 0xba, 0xf8, 0x03, 0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8,
    0x31, 0xdb, 0xb8, 0x20, 0x02, 0x20, 0x00, 0xff, 0xd0, 0xe6, 0xf4, 0xf4,
  ];

  it('prints the capabilities fetched through the hypercall page and ends with Xen 4.19 minor 19 as its status', async () => {
    const elf = path.join(dir, 'xen-detect.elf');
    writeFileSync(elf, tinyGuestElf(CODE));
    const stats = path.join(dir, 'stats.json');
    const r = await runHvmsim(['run', elf, '--stats', stats]);
    expect(r.stdout).toBe(CAPABILITIES);
    expect(r.status).toBe(((19 << 1) | 1) & 0xff);
    const c = JSON.parse(readFileSync(stats, 'utf8')).vcpus[0];
    expect([c.exit_cpuid, c.exit_msr, c.exit_vmcall]).toEqual([1, 1, 2]);
  });

  it('a write to another MSR of the window is #GP, which here (no IDT) ends in a triple fault', async () => {
    const elf = path.join(dir, 'xen-bad-msr.elf');
    // mov ecx, 0x40000001; xor eax, eax; xor edx, edx; wrmsr
    writeFileSync(elf, tinyGuestElf([0xb9, 0x01, 0x00, 0x00, 0x40, 0x31, 0xc0, 0x31, 0xd2, 0x0f, 0x30, 0xf4]));
    const r = await runHvmsim(['run', elf]);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/triple fault/);
  });
});
