/* The interrupt flag: reading it, clearing it, and waiting for an interrupt. */
#ifndef GUEST_INTERRUPT_CONTROL_H
#define GUEST_INTERRUPT_CONTROL_H

#include <stdint.h>

#define EFLAGS_IF 0x200u

static inline uint32_t read_eflags(void) {
  uint32_t flags;
  __asm__ volatile("pushfl; popl %0" : "=r"(flags));
  return flags;
}

static inline void interrupts_off(void) {
  __asm__ volatile("cli" : : : "memory");
}

/*
 * Enables interrupts and halts until one has been handled, then disables them again. STI holds
 * interrupts off for one more instruction, so one that is already pending wakes the HLT instead
 * of slipping in before it (which would halt with nothing left to wake it).
 */
static inline void wait_for_interrupt(void) {
  __asm__ volatile("sti; hlt; cli" : : : "memory");
}

#endif
