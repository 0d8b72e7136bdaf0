/*
 * Paging helpers for the paging guests: control registers, INVLPG, MSRs, and fault probes.
 * A probe performs one access (or call) that may fault; the guest's #PF handler calls
 * probe_fault_resume(frame), which records nothing itself but resumes the probe after its
 * access with EAX = 1, so the probe returns 1 ("faulted") instead of 0.
 * Include this header from exactly one .c file of a guest (it defines the probes in assembly).
 */
#ifndef GUEST_PAGING_H
#define GUEST_PAGING_H

#include <stdint.h>
#include "traps.h"

#define PTE_P 0x001u
#define PTE_RW 0x002u
#define PTE_US 0x004u
#define PTE_A 0x020u
#define PTE_D 0x040u
#define PTE_PS 0x080u
#define PTE_G 0x100u

#define CR0_PG 0x80000000u
#define CR0_WP 0x00010000u
#define CR4_PSE 0x10u
#define CR4_PAE 0x20u
#define CR4_PGE 0x80u

#define MSR_EFER 0xC0000080u
#define EFER_NXE 0x800u

static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("movl %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("movl %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr3(void) { uint32_t v; __asm__ volatile("movl %%cr3, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("movl %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("movl %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("movl %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("movl %0, %%cr4" : : "r"(v) : "memory"); }
static inline void invlpg(uint32_t lin) { __asm__ volatile("invlpg (%0)" : : "r"(lin) : "memory"); }

static inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
  __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* Where a probe in progress resumes after a fault (0: no probe running). */
extern volatile uint32_t probe_resume;

/* One 32-bit read, write, 16-bit write or call; each returns 1 if it faulted, else 0. */
uint32_t probe_read32(uint32_t lin, uint32_t *value);
uint32_t probe_write32(uint32_t lin, uint32_t value);
uint32_t probe_call(uint32_t lin);

/* From a trap handler: if a probe is running, resume it as faulted and return 1. */
static inline int probe_fault_resume(struct trap_frame *f) {
  if (!probe_resume) return 0;
  f->eip = probe_resume;
  f->eax = 1;
  return 1;
}

__asm__(
    "        .bss\n"
    "        .balign 4\n"
    "        .globl probe_resume\n"
    "probe_resume: .long 0\n"
    "probe_esp: .long 0\n"
    "        .text\n"
    "        .globl probe_read32, probe_write32, probe_call\n"
    "probe_read32:\n"
    "        movl 4(%esp), %ecx\n"
    "        movl $1f, probe_resume\n"
    "        xorl %eax, %eax\n"
    "        movl (%ecx), %edx\n"
    "        movl 8(%esp), %ecx\n"
    "        movl %edx, (%ecx)\n"
    "1:      movl $0, probe_resume\n"
    "        ret\n"
    "probe_write32:\n"
    "        movl 4(%esp), %ecx\n"
    "        movl 8(%esp), %edx\n"
    "        movl $1f, probe_resume\n"
    "        xorl %eax, %eax\n"
    "        movl %edx, (%ecx)\n"
    "1:      movl $0, probe_resume\n"
    "        ret\n"
    /* A fetch fault at the target leaves the return address pushed: ESP is restored from probe_esp. */
    "probe_call:\n"
    "        movl 4(%esp), %ecx\n"
    "        movl %esp, probe_esp\n"
    "        movl $1f, probe_resume\n"
    "        xorl %eax, %eax\n"
    "        call *%ecx\n"
    "1:      movl probe_esp, %esp\n"
    "        movl $0, probe_resume\n"
    "        ret\n");

#endif
