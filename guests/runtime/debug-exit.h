/* Ending a run through QEMU's isa-debug-exit device (hvmsim emulates it at the same port). */
#ifndef GUEST_DEBUG_EXIT_H
#define GUEST_DEBUG_EXIT_H

#define DEBUG_EXIT_PORT 0xF4

/* Exit codes shared by every guest. The host sees status (code << 1) | 1. */
#define EXIT_OK 0
#define EXIT_CHECK_FAILED 1       /* a guest's self-check did not hold */
#define EXIT_UNHANDLED_TRAP 0x7F  /* an exception with no handler installed */

/* Writes code to port 0xF4; if nothing stops the machine, halts with interrupts off. */
void exit(int code) __attribute__((noreturn));

#endif
