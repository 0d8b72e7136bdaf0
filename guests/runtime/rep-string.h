/*
 * REP MOVSL / REP STOSL as explicit instructions: against device memory each is one string
 * operation the emulator may batch, which a compiler-chosen loop would not guarantee.
 */
#ifndef GUEST_REP_STRING_H
#define GUEST_REP_STRING_H

#include <stdint.h>

/* Copies n dwords upwards from src to dst (DF is clear: the runtime's _start runs cld). */
static inline void rep_movsl(volatile void *dst, const volatile void *src, uint32_t n) {
  __asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

/* Stores value into n dwords upwards from dst. */
static inline void rep_stosl(volatile void *dst, uint32_t value, uint32_t n) {
  __asm__ volatile("rep stosl" : "+D"(dst), "+c"(n) : "a"(value) : "memory");
}

#endif
