/*
 * Native oracle for the x86 interpreter's differential test.
 *
 * Runs instruction sequences on the real CPU in 32-bit user mode and prints the resulting
 * registers, EFLAGS, exception vector and every data-area byte the sequence changed.
 * Code and data sit at fixed low addresses so that the interpreter can run the same bytes
 * at the same addresses (absolute addresses inside instructions then mean the same thing).
 *
 * stdin, one record per line, numbers in hex:
 *   D <hex bytes>        the data area's base contents (before any case); must come first
 *   C <code> <eax> <ecx> <edx> <ebx> <esp> <ebp> <esi> <edi> <eflags> [<offset>:<bytes> ...]
 *                        one case; the optional patches overwrite data-area bytes for this case only
 * stdout, one line per case, in order:
 *   R <vector> <eip> <eax> <ecx> <edx> <ebx> <esp> <ebp> <esi> <edi> <eflags> [<offset>:<bytes> ...]
 *   vector is -1 when the code ran to its end (eip is then 0), otherwise the hardware vector the
 *   kernel reported (trapno) and eip/registers/eflags are those at the faulting instruction.
 *   The trailing runs list the data-area bytes that differ from the case's initial contents.
 *
 * Build: gcc -m32 -O2 -fno-pie -no-pie (the entry/exit stubs use absolute addresses).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define DATA_BASE 0x00200000u
#define DATA_SIZE 0x10000u
#define CODE_BASE 0x00300000u
#define CODE_SIZE 0x1000u
#define MAX_CODE (CODE_SIZE - 8)

/* Shared with the entry/exit stubs below (hence not static). */
uint32_t in_regs[8], in_eflags, out_regs[8], out_eflags, host_esp, case_entry;
void run_case(void);
void case_exit(void);

/*
 * run_case: save the C callee-saved registers and ESP, load the case's EFLAGS and registers
 * (MOV does not touch flags, so EFLAGS are loaded first) and jump to the code. The code ends
 * with a JMP to case_exit, which stores every register, restores the host stack and returns.
 */
__asm__(
    ".text\n"
    ".globl run_case\n"
    "run_case:\n"
    "  push %ebp\n  push %ebx\n  push %esi\n  push %edi\n"
    "  mov %esp, host_esp\n"
    "  pushl in_eflags\n  popfl\n"
    "  mov in_regs+0, %eax\n  mov in_regs+4, %ecx\n  mov in_regs+8, %edx\n  mov in_regs+12, %ebx\n"
    "  mov in_regs+20, %ebp\n  mov in_regs+24, %esi\n  mov in_regs+28, %edi\n"
    "  mov in_regs+16, %esp\n"
    "  jmp *case_entry\n"
    ".globl case_exit\n"
    "case_exit:\n"
    "  mov %eax, out_regs+0\n  mov %ecx, out_regs+4\n  mov %edx, out_regs+8\n  mov %ebx, out_regs+12\n"
    "  mov %esp, out_regs+16\n  mov %ebp, out_regs+20\n  mov %esi, out_regs+24\n  mov %edi, out_regs+28\n"
    "  mov host_esp, %esp\n"
    "  pushfl\n  popl out_eflags\n"
    "  cld\n"
    "  pop %edi\n  pop %esi\n  pop %ebx\n  pop %ebp\n"
    "  ret\n");

static sigjmp_buf fault_jmp;
static int fault_vector;
static uint32_t fault_eip;

/* Registers of the faulting context: the case's state at the faulting instruction. */
static void on_fault(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)si;
  const greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
  out_regs[0] = (uint32_t)g[REG_EAX];
  out_regs[1] = (uint32_t)g[REG_ECX];
  out_regs[2] = (uint32_t)g[REG_EDX];
  out_regs[3] = (uint32_t)g[REG_EBX];
  out_regs[4] = (uint32_t)g[REG_UESP];
  out_regs[5] = (uint32_t)g[REG_EBP];
  out_regs[6] = (uint32_t)g[REG_ESI];
  out_regs[7] = (uint32_t)g[REG_EDI];
  out_eflags = (uint32_t)g[REG_EFL];
  fault_eip = (uint32_t)g[REG_EIP];
  fault_vector = (int)g[REG_TRAPNO];
  siglongjmp(fault_jmp, 1);
}

static void die(const char *what) {
  fprintf(stderr, "cpu-oracle: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void *map_fixed(uint32_t addr, uint32_t size, int prot) {
  void *p = mmap((void *)(uintptr_t)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED) die("mmap at a fixed address (is something else mapped there?)");
  if ((uintptr_t)p != addr) {
    /* Kernels before 4.17 ignore MAP_FIXED_NOREPLACE and treat the address as a hint. */
    fprintf(stderr, "cpu-oracle: wanted 0x%08x, kernel gave %p\n", addr, p);
    exit(2);
  }
  return p;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Parses hex digits at *p into bytes; returns the byte count, -1 on bad input. */
static long parse_bytes(char **p, uint8_t *out, long max) {
  long n = 0;
  char *s = *p;
  while (hexval(s[0]) >= 0) {
    int hi = hexval(s[0]), lo = hexval(s[1]);
    if (lo < 0 || n >= max) return -1;
    out[n++] = (uint8_t)(hi << 4 | lo);
    s += 2;
  }
  *p = s;
  return n;
}

static uint32_t parse_word(char **p) {
  while (**p == ' ') (*p)++;
  return (uint32_t)strtoul(*p, p, 16);
}

static void bad_input(long line) {
  fprintf(stderr, "cpu-oracle: malformed input on line %ld\n", line);
  exit(2);
}

static uint8_t base_data[DATA_SIZE], init_data[DATA_SIZE];

static void print_diff(const uint8_t *now, const uint8_t *was) {
  uint32_t i = 0;
  while (i < DATA_SIZE) {
    if ((i & 255) == 0 && memcmp(now + i, was + i, 256) == 0) {
      i += 256; /* skip unchanged chunks quickly */
      continue;
    }
    if (now[i] == was[i]) {
      i++;
      continue;
    }
    printf(" %x:", i);
    while (i < DATA_SIZE && now[i] != was[i]) printf("%02x", now[i++]);
  }
}

int main(void) {
  uint8_t *data = map_fixed(DATA_BASE, DATA_SIZE, PROT_READ | PROT_WRITE);
  uint8_t *code = map_fixed(CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);

  /* Signal frames must not land on the case's stack (it lives in the data area). */
  static uint8_t alt[1 << 16];
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) die("sigaltstack");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  const int sigs[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGTRAP};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (sigaction(sigs[i], &sa, NULL) != 0) die("sigaction");
  alarm(120); /* a runaway case must not hang the test run */

  char *line = NULL;
  size_t cap = 0;
  long lineno = 0;
  int have_base = 0;
  static uint8_t patch[DATA_SIZE];
  while (getline(&line, &cap, stdin) > 0) {
    lineno++;
    char *p = line + 2;
    if (line[0] == 'D') {
      if (parse_bytes(&p, base_data, DATA_SIZE) != DATA_SIZE) bad_input(lineno);
      memcpy(data, base_data, DATA_SIZE);
      have_base = 1;
      continue;
    }
    if (line[0] != 'C' || !have_base) bad_input(lineno);

    long n = parse_bytes(&p, code, MAX_CODE);
    if (n <= 0) bad_input(lineno);
    /* JMP rel32 to case_exit (rel32 wraps modulo 2^32, so any target is reachable). */
    uint32_t after = CODE_BASE + (uint32_t)n + 5;
    code[n] = 0xE9;
    uint32_t rel = (uint32_t)(uintptr_t)case_exit - after;
    memcpy(code + n + 1, &rel, 4);
    for (int r = 0; r < 8; r++) in_regs[r] = parse_word(&p);
    in_eflags = parse_word(&p);

    while (*p == ' ') {
      p++;
      if (hexval(*p) < 0) break;
      uint32_t off = (uint32_t)strtoul(p, &p, 16);
      if (*p++ != ':' || off >= DATA_SIZE) bad_input(lineno);
      long len = parse_bytes(&p, patch, DATA_SIZE - off);
      if (len < 0) bad_input(lineno);
      memcpy(data + off, patch, (size_t)len);
    }
    memcpy(init_data, data, DATA_SIZE);

    case_entry = CODE_BASE;
    fault_vector = -1;
    fault_eip = 0;
    if (sigsetjmp(fault_jmp, 1) == 0) run_case();

    printf("R %d %x", fault_vector, fault_eip);
    for (int r = 0; r < 8; r++) printf(" %x", out_regs[r]);
    printf(" %x", out_eflags);
    print_diff(data, init_data);
    putchar('\n');
    memcpy(data, base_data, DATA_SIZE);
  }
  free(line);
  if (fflush(stdout) != 0) die("writing results");
  return 0;
}
