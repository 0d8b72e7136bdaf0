/*
 * The paging oracle: a Linux process (gcc -m32) asks the host processor how a user-mode access
 * to pages with given protections faults. Two adjacent pages get protections from
 * {none, r, rw, rx, rwx} (mprotect: none = not present, r = present read-only, no exec = NX),
 * then one access runs at an offset that may cross from the first page into the second:
 * 1/2/4-byte reads and writes, a 4-byte read-modify-write (add to memory) and a call (an
 * instruction fetch, `mov eax, imm32; ret`, which may straddle the pages). The SIGSEGV context
 * gives the vector (REG_TRAPNO), the #PF error code (REG_ERR) and CR2 (uc_mcontext.cr2). The
 * bytes around the access are compared afterwards, to see what a faulting write left behind.
 *
 * Both pages are touched while writable before the protections are set, so they are present in
 * the page tables (an untouched page would fault as not present whatever its protection, and
 * the kernel would handle a legal first touch itself).
 *
 * Output, one line per case:
 *   P <prot0> <prot1> <access> <offset hex> <faulted 0|1> <trapno> <err hex> <cr2 offset hex> <changed mask hex> <value hex>
 * where offsets are from the first page, `changed` has bit k set if byte offset+k changed, and
 * `value` is what a read returned (0 otherwise). test/cpu-paging-native.test.ts replays each
 * case on hvmsim's CPU with equivalent PAE page tables.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGE 4096
#define BASE ((uint8_t *)0x60000000)
#define FILL 0xaa

static const char *const prot_names[] = {"none", "r", "rw", "rx", "rwx"};
static const int prots[] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
                            PROT_READ | PROT_WRITE | PROT_EXEC};
static const char *const access_names[] = {"r1", "r2", "r4", "w1", "w2", "w4", "rmw4", "x"};
static const unsigned offsets[] = {0x100, 0xffd, 0xffe, 0xfff, 0x1100};

static sigjmp_buf recover;
static volatile uint32_t got_trapno, got_err, got_cr2;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)si;
  const ucontext_t *uc = ctx;
  got_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
  got_err = uc->uc_mcontext.gregs[REG_ERR];
  got_cr2 = uc->uc_mcontext.cr2;
  siglongjmp(recover, 1);
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void protect(int p0, int p1) {
  if (mprotect(BASE, PAGE, prots[p0]) != 0 || mprotect(BASE + PAGE, PAGE, prots[p1]) != 0) die("mprotect");
}

/* One access; returns the value read (reads and the call's EAX). */
static uint32_t access_once(int kind, uint8_t *p) {
  uint32_t v = 0x01020304;
  switch (kind) {
    case 0: __asm__ volatile("movzbl (%1), %0" : "=r"(v) : "r"(p) : "memory"); break;
    case 1: __asm__ volatile("movzwl (%1), %0" : "=r"(v) : "r"(p) : "memory"); break;
    case 2: __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(p) : "memory"); break;
    case 3: __asm__ volatile("movb %b0, (%1)" : : "q"(v), "r"(p) : "memory"); v = 0; break;
    case 4: __asm__ volatile("movw %w0, (%1)" : : "r"(v), "r"(p) : "memory"); v = 0; break;
    case 5: __asm__ volatile("movl %0, (%1)" : : "r"(v), "r"(p) : "memory"); v = 0; break;
    case 6: __asm__ volatile("addl %0, (%1)" : : "r"(v), "r"(p) : "memory", "cc"); v = 0; break;
    case 7: {
      uint32_t (*fn)(void) = (uint32_t (*)(void))(uintptr_t)p;
      v = fn();
      break;
    }
  }
  return v;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, NULL) != 0 || sigaction(SIGBUS, &sa, NULL) != 0) die("sigaction");
  if (mmap(BASE, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != BASE) die("mmap");
  unsigned cases = 0;
  for (int p0 = 0; p0 < 5; p0++)
    for (int p1 = 0; p1 < 5; p1++)
      for (int kind = 0; kind < 8; kind++)
        for (unsigned o = 0; o < sizeof offsets / sizeof offsets[0]; o++) {
          unsigned off = offsets[o];
          protect(2, 2);
          memset(BASE, FILL, 2 * PAGE);
          if (kind == 7) {
            static const uint8_t code[] = {0xb8, 0x44, 0x33, 0x22, 0x11, 0xc3}; /* mov eax, imm32; ret */
            memcpy(BASE + off, code, sizeof code);
          }
          uint8_t before[8];
          memcpy(before, BASE + off, 8);
          protect(p0, p1);
          got_trapno = got_err = got_cr2 = 0;
          volatile int faulted = 0;
          volatile uint32_t value = 0;
          if (sigsetjmp(recover, 1) == 0) value = access_once(kind, BASE + off);
          else faulted = 1;
          protect(2, 2);
          unsigned changed = 0;
          for (int k = 0; k < 8; k++)
            if (BASE[off + k] != before[k]) changed |= 1u << k;
          uint32_t cr2_off = faulted ? got_cr2 - (uint32_t)(uintptr_t)BASE : 0;
          printf("P %s %s %s %x %d %u %x %x %x %x\n", prot_names[p0], prot_names[p1], access_names[kind], off, faulted,
                 faulted ? got_trapno : 0, faulted ? got_err : 0, cr2_off, changed, faulted ? 0 : value);
          cases++;
        }
  fprintf(stderr, "paging-oracle: %u cases\n", cases);
  return 0;
}
