/**
 * The outside effects a device model device may have, injected at construction so that the
 * devices stay plain objects (no threads, no timers) and tests can observe every effect.
 *
 * Every callback is called synchronously from inside the register access that caused it.
 * That lets the device model's ioreq loop see a shutdown or reset before it posts IORESP_READY,
 * the order Xen's qemu-dm keeps so the toolstack learns of it before the vCPU runs on.
 */
/** Set an ISA IRQ line's level (HVMOP_set_isa_irq_level / XEN_DMOP_set_isa_irq_level style). */
export type RaiseIrq = (line: number, level: boolean) => void;

/** Guest console bytes, in order. The array is only valid during the call. */
export type ConsoleOutput = (bytes: Uint8Array) => void;

export type ShutdownReason = 'poweroff' | 'reboot';
export type RequestShutdown = (reason: ShutdownReason) => void;

/**
 * isa-debug-exit: the run ends with this status ((v << 1) | 1, up to 33 bits wide). A host
 * process exit status keeps only its low 8 bits, as QEMU's does.
 */
export type DebugExit = (status: number) => void;
