/**
 * Several vCPUs: `--vcpus N`, hvmsim's VCPUOP_up (hypercall, control message, worker start) and
 * the device model serving one request at a time. smp-block runs with vCPU 0 blocked on the
 * slow port while vCPU 1 draws: in `shared` mode vCPU 1 runs on; in `trap` mode each of its
 * frame-buffer stores is a request that queues behind the slow read, which the device model
 * counts. Counters are checked per vCPU and as totals.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cpu } from '../hypervisor/cpu/cpu.js';
import { GuestMemory } from '../hypervisor/cpu/guest-memory.js';
import { Reg } from '../hypervisor/cpu/registers.js';
import { EINVAL, ENOSYS, handleHypercall, HYPERVISOR_vcpu_op, VCPUOP_up } from '../hypervisor/hypercalls/table.js';
import { createP2mBuffer } from '../shared/p2m.js';
import { decodeControlMessage, encodeControlMessage } from '../shared/control-messages.js';
import { debugExitStatus, guestElf, GuestExitCode } from './support/guest-files.js';
import { runHvmsim } from './support/hvmsim-cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'hvmsim-smp-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Stats {
  instructions: number;
  exits: Record<string, number>;
  ioreqs: { sync: number };
  device_model: Record<string, number>;
  vcpus: Record<string, number>[];
}

async function smpBlock(vga: string, vcpus = 2): Promise<{ stdout: string; stats: Stats; status: number | null; stderr: string }> {
  const file = path.join(work, `smp-${vga}-${vcpus}.json`);
  const r = await runHvmsim(['run', guestElf('smp-block'), '--vcpus', String(vcpus), '--vga', vga, '--cmdline', 'report=1', '--stats', file], {
    timeoutMs: 60_000,
  });
  return { stdout: r.stdout, status: r.status, stderr: r.stderr, stats: JSON.parse(readFileSync(file, 'utf8')) as Stats };
}

/** The numbers smp-block prints with report=1. */
function drawn(stdout: string): { during: number; most: number; all: number } {
  const m = /vCPU 1 drew (\d+) pixels during the waits \(at most (\d+) in one\), (\d+) in all/.exec(stdout);
  if (!m) throw new Error(`no report line in ${JSON.stringify(stdout)}`);
  return { during: Number(m[1]), most: Number(m[2]), all: Number(m[3]) };
}

describe('VCPUOP_up', () => {
  function vmcall(vcpuUp: (v: number, eip: number, esp: number) => number, eax: number, ebx: number, ecx: number, edx = 0, esi = 0) {
    const cpu = new Cpu(new GuestMemory(new SharedArrayBuffer(1 << 20), createP2mBuffer()), () => {});
    cpu.regs[Reg.EAX] = eax;
    cpu.regs[Reg.EBX] = ebx;
    cpu.regs[Reg.ECX] = ecx;
    cpu.regs[Reg.EDX] = edx;
    cpu.regs[Reg.ESI] = esi;
    handleHypercall({ cpu, shutdown: () => {}, vcpuUp });
    return cpu.regs[Reg.EAX]!;
  }

  it('passes vCPU, entry and stack from ECX, EDX, ESI and returns what the hypervisor says', () => {
    const calls: number[][] = [];
    const up = (v: number, eip: number, esp: number) => (calls.push([v, eip, esp]), v === 1 ? 0 : -EINVAL);
    expect(vmcall(up, HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0x100000, 0x200000)).toBe(0);
    expect(vmcall(up, HYPERVISOR_vcpu_op, VCPUOP_up, 3, 0x80000000, 0xfffffff0)).toBe(-EINVAL);
    expect(calls).toEqual([
      [1, 0x100000, 0x200000],
      [3, 0x80000000, 0xfffffff0],
    ]);
    expect(vmcall(up, HYPERVISOR_vcpu_op, 1, 1)).toBe(-ENOSYS); // other vcpu_op commands
  });

  it('has a vcpu-up control message, checked on both ends', () => {
    const m = { kind: 'vcpu-up', domid: 3, vcpu: 1, eip: 0x101000, esp: 0x1ff000 } as const;
    expect(decodeControlMessage(encodeControlMessage(m))).toEqual(m);
    expect(() => encodeControlMessage({ ...m, vcpu: 0 })).toThrow(/vcpu-up: 'vcpu' must be an integer in 1\.\.7/);
    expect(() => encodeControlMessage({ ...m, esp: -4 })).toThrow(/'esp' must be an integer in 0\.\.4294967295/);
  });

  it('refuses to start a vCPU the domain does not have: smp-block under --vcpus 1 fails its check', async () => {
    const r = await smpBlock('shared', 1);
    expect(r.stdout).toContain('smp-block: VCPUOP_up vCPU 1: -22, vCPU 1 again: -22, vCPU 0: -22, vCPU 32: -22\n');
    expect(r.stdout).toContain('vCPU 1 did not start (run with --vcpus 2)');
    expect(r.status).toBe(debugExitStatus(GuestExitCode.CHECK_FAILED));
    expect(r.stats.vcpus).toHaveLength(1);
  });

  it('rejects --vcpus outside 1..8 with one line and status 2', async () => {
    for (const n of ['0', '9', 'two']) {
      const r = await runHvmsim(['run', guestElf('hello'), '--vcpus', n]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--vcpus must be an integer in 1\.\.8/);
    }
  });
});

describe('smp-block: one vCPU blocked on the device model', () => {
  it('shared: vCPU 1 runs on while vCPU 0 waits; counters per vCPU add up to the totals', async () => {
    const r = await smpBlock('shared');
    expect(r.status, r.stderr).toBe(debugExitStatus(0));
    expect(r.stdout).toContain('smp-block: 5 reads of the slow port (20 ms each) answered in order: yes\n');
    const { during, all } = drawn(r.stdout);
    // 100 ms of waiting: vCPU 1 stores pixels at RAM speed meanwhile (thousands at the very least).
    expect(during).toBeGreaterThan(1000);
    const [v0, v1] = r.stats.vcpus as [Record<string, number>, Record<string, number>];
    expect(v1.instructions).toBeGreaterThan(5 * all);
    expect(v1.exit_mmio).toBe(0); // the frame buffer is mapped: no exits for vCPU 1's stores
    expect(v1.ioreq_sync).toBe(0);
    // vCPU 0 made the slow reads (and everything else that needs the device model).
    expect(v0.ioreq_sync).toBeGreaterThan(5);
    expect(v0.ioreq_wait_ns).toBeGreaterThan(5 * 20e6 * 0.9);
    // Totals are the sums over vCPUs.
    expect(r.stats.instructions).toBe(v0.instructions! + v1.instructions!);
    expect(r.stats.ioreqs.sync).toBe(v0.ioreq_sync! + v1.ioreq_sync!);
    expect(r.stats.exits.io).toBe(v0.exit_io! + v1.exit_io!);
  });

  it('trap: each of vCPU 1 stores is a request that queues behind the slow read', async () => {
    const r = await smpBlock('trap');
    expect(r.status, r.stderr).toBe(debugExitStatus(0));
    const { during, all } = drawn(r.stdout);
    const [v0, v1] = r.stats.vcpus as [Record<string, number>, Record<string, number>];
    // Every pixel vCPU 1 stored was one MMIO exit and one synchronous request.
    expect(v1.exit_mmio).toBe(all);
    expect(v1.ioreq_sync).toBe(all);
    // Stuck behind each 20 ms read: a pixel or two per wait, against thousands in shared mode.
    expect(during).toBeLessThan(50);
    // The device model saw vCPU 1's requests arrive while it was busy with vCPU 0's reads.
    expect(r.stats.device_model.queued_requests).toBeGreaterThanOrEqual(1);
    expect(r.stats.device_model.queue_wait_ns).toBeGreaterThan(1e6);
    // vCPU 1 spent its time blocked in the device model, not running.
    expect(v1.ioreq_wait_ns).toBeGreaterThan(10e6);
    expect(v0.exit_mmio).toBe(0);
  });
});
