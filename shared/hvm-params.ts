/**
 * A domain's HVM parameters (Xen's HVM_PARAM_*, public/hvm/params.h): 39 64-bit values, shared by
 * the domain's vCPU threads (hvm_op get/set_param) and the toolstack, which sets the ones xl sets
 * before the domain runs (STORE_PFN, CONSOLE_PFN, the event channels). Layout: one BigInt64 per
 * index, read and written with Atomics (a whole value is never torn).
 */

export const HVM_NR_PARAMS = 39;

export const HVM_PARAM_CALLBACK_IRQ = 0;
export const HVM_PARAM_STORE_PFN = 1;
export const HVM_PARAM_STORE_EVTCHN = 2;
export const HVM_PARAM_TIMER_MODE = 10;
export const HVM_PARAM_VM86_TSS = 15;
export const HVM_PARAM_CONSOLE_PFN = 17;
export const HVM_PARAM_CONSOLE_EVTCHN = 18;
export const HVM_PARAM_ACPI_IOPORTS_LOCATION = 19;
export const HVM_PARAM_VM_GENERATION_ID_ADDR = 34;
export const HVM_PARAM_ALTP2M = 35;
export const HVM_PARAM_X87_FIP_WIDTH = 36;
export const HVM_PARAM_VM86_TSS_SIZED = 37;

export function createHvmParamsBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(HVM_NR_PARAMS * 8);
}

export class HvmParams {
  private readonly values: BigInt64Array;

  constructor(buffer: SharedArrayBuffer) {
    if (buffer.byteLength !== HVM_NR_PARAMS * 8) throw new RangeError(`HVM params: ${HVM_NR_PARAMS * 8} bytes expected, got ${buffer.byteLength}`);
    this.values = new BigInt64Array(buffer);
  }

  /** The value at `index` (0 ≤ index < HVM_NR_PARAMS), as an unsigned 64-bit number. */
  get(index: number): bigint {
    return BigInt.asUintN(64, Atomics.load(this.values, index));
  }

  set(index: number, value: bigint): void {
    Atomics.store(this.values, index, BigInt.asIntN(64, value));
  }
}
