/* The IDT and C-level exception handlers. */
#ifndef GUEST_TRAPS_H
#define GUEST_TRAPS_H

#include <stdint.h>

/* Vectors with an entry stub; 0-31 are the CPU exceptions, 32-47 are free for IRQs. */
#define TRAP_STUBS 48

enum {
  VEC_DE = 0,  /* divide error */
  VEC_DB = 1,
  VEC_NMI = 2,
  VEC_BP = 3,  /* int3 */
  VEC_OF = 4,
  VEC_BR = 5,
  VEC_UD = 6,  /* invalid opcode */
  VEC_NM = 7,
  VEC_DF = 8,
  VEC_TS = 10,
  VEC_NP = 11,
  VEC_SS = 12,
  VEC_GP = 13, /* general protection */
  VEC_PF = 14,
};

/*
 * What the entry stub saves, lowest address first. Handlers may change any field (EIP above all,
 * to skip a faulting instruction); the stub restores them all and returns with IRET.
 */
struct trap_frame {
  uint32_t gs, fs, es, ds;
  uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
  uint32_t vector;
  uint32_t error_code; /* 0 for vectors where the CPU pushes none */
  uint32_t eip, cs, eflags;
};

typedef void (*trap_handler)(struct trap_frame *frame);

/* Loads an IDT whose gates 0-31 are 32-bit interrupt gates to the common stub. */
void idt_init(void);

/* Sets the handler for vector (< TRAP_STUBS), opening its gate; NULL restores the default,
 * which reports the trap and exits with EXIT_UNHANDLED_TRAP. */
void trap_install(unsigned vector, trap_handler handler);

/* Whether the CPU pushes an error code for this exception vector. */
int trap_has_error_code(unsigned vector);

#endif
