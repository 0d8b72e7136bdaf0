/*
 * Native oracle for the x87 differential test (test/cpu-x87.test.ts).
 *
 * Each case loads a whole FPU state with FRSTOR, runs one x87 instruction on the host with EBX
 * pointing at a 32-byte memory operand area, and saves the state with FNSAVE (a non-waiting
 * instruction, so an unmasked exception the case raised stays pending instead of trapping).
 *
 * stdin, one case per line, hex:
 *   <code bytes> <108-byte FRSTOR image> <memory bytes> <eflags>
 *   (the memory area is 512 bytes, 16-byte aligned, for FXSAVE; bytes not given are zero)
 * stdout, one line per case:
 *   <108-byte FNSAVE image> <memory bytes> <eax> <eflags> <signal>
 *   (as many memory bytes as were given, or up to the last nonzero byte if more)
 *   signal is 0, or the signal the instruction raised (SIGILL for #UD, SIGSEGV, SIGFPE).
 *
 * Build: gcc -m32 -O2 -fno-pie -no-pie (the stub uses absolute addresses).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CODE_SIZE 64

uint8_t in_state[108] __attribute__((aligned(16)));
uint8_t out_state[108] __attribute__((aligned(16)));
#define MEM_SIZE 512
uint8_t mem_area[MEM_SIZE] __attribute__((aligned(16)));
uint32_t in_eflags, out_eflags, out_eax, host_esp;
uint8_t *code_buf;

void run_case(void);
__asm__(
    ".text\n"
    ".globl run_case\n"
    "run_case:\n"
    "  push %ebp\n  push %ebx\n  push %esi\n  push %edi\n"
    "  mov %esp, host_esp\n"
    "  frstor in_state\n"
    "  mov $mem_area, %ebx\n"
    "  xor %eax, %eax\n"
    "  pushl in_eflags\n  popfl\n"
    "  mov code_buf, %ecx\n"
    "  call *%ecx\n"
    "  pushfl\n  popl out_eflags\n"
    "  mov %eax, out_eax\n"
    "  fnsave out_state\n"
    "  fninit\n"
    "  pop %edi\n  pop %esi\n  pop %ebx\n  pop %ebp\n"
    "  ret\n");

static sigjmp_buf escape;
static volatile int caught;

static void on_signal(int sig) {
  caught = sig;
  siglongjmp(escape, 1);
}

static int hexval(int ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* Parse a run of hex digit pairs at *p into out (at most max bytes); returns the count. */
static int hexbytes(char **p, uint8_t *out, int max) {
  char *s = *p;
  while (*s == ' ') s++;
  int n = 0;
  while (hexval(s[0]) >= 0 && hexval(s[1]) >= 0 && n < max) {
    out[n++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
    s += 2;
  }
  *p = s;
  return n;
}

static void puthex(const uint8_t *b, int n) {
  static const char digits[] = "0123456789abcdef";
  for (int k = 0; k < n; k++) {
    putchar(digits[b[k] >> 4]);
    putchar(digits[b[k] & 15]);
  }
}

int main(void) {
  code_buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code_buf == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  static char line[8192];
  uint8_t code[CODE_SIZE];
  while (fgets(line, sizeof line, stdin)) {
    char *p = line;
    int n = hexbytes(&p, code, CODE_SIZE - 1);
    if (n == 0) continue;
    memset(mem_area, 0, MEM_SIZE);
    int given;
    if (hexbytes(&p, in_state, 108) != 108 || (given = hexbytes(&p, mem_area, MEM_SIZE)) == 0) {
      fprintf(stderr, "bad case line: %s", line);
      return 2;
    }
    in_eflags = (uint32_t)strtoul(p, NULL, 16);
    memcpy(code_buf, code, n);
    code_buf[n] = 0xc3; /* ret */
    caught = 0;
    out_eax = 0;
    out_eflags = 0;
    if (sigsetjmp(escape, 1) == 0) {
      run_case();
    } else {
      /* siglongjmp restored main's registers and stack; the FPU still holds the case's state. */
      __asm__ volatile("fninit" ::: "memory");
      memset(out_state, 0, sizeof out_state);
    }
    puthex(out_state, 108);
    putchar(' ');
    int shown = MEM_SIZE;
    while (shown > given && mem_area[shown - 1] == 0) shown--;
    puthex(mem_area, shown);
    printf(" %x %x %d\n", out_eax, out_eflags, caught);
  }
  return 0;
}
