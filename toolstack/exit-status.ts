/**
 * Exit statuses of `hvmsim run`. A guest's isa-debug-exit write of v gives (v << 1) | 1, as QEMU
 * does, so those are always odd; hvmsim's own statuses are even and never collide with them.
 */
export const EXIT_OK = 0;
/** Bad command line, unreadable or invalid guest image: one line on stderr, nothing run. */
export const EXIT_USAGE = 2;
/** The domain crashed (triple fault, bad memory access, device-model protocol violation). */
export const EXIT_CRASH = 4;
/** Interrupted by the user (Ctrl-C): the domain was destroyed. */
export const EXIT_INTERRUPTED = 130;
