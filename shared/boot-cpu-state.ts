/**
 * The processor state a vCPU starts from, as the domain builder decides it (the loader's job:
 * toolstack/multiboot-boot-state.ts reproduces QEMU's `-kernel` handover). Plain numbers, so it
 * crosses to a worker by structured clone.
 *
 * Segment registers are given as selectors only: the vCPU loads their hidden parts from the
 * descriptors at `gdtBase`, which the builder has written into guest memory, exactly as the
 * loader's own segment loads left them.
 */
export interface BootCpuState {
  readonly eip: number;
  /** EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI: the processor's register order. */
  readonly gpr: readonly [number, number, number, number, number, number, number, number];
  readonly eflags: number;
  readonly cr0: number;
  readonly gdtBase: number;
  readonly gdtLimit: number;
  readonly idtBase: number;
  readonly idtLimit: number;
  readonly codeSelector: number;
  /** DS, ES, FS, GS and SS. */
  readonly dataSelector: number;
}
