/*
 * x87: the FPU as a kernel meets it. Prints CPUID's FPU and FXSR bits, one CRC-32 line per
 * x87 category (x87-checks.c, which also runs natively on the host for the silicon's answer),
 * then the exceptions an operating system handles: #NM from CR0.TS (cleared with CLTS and the
 * instruction restarted, the lazy FPU switch), #MF for an unmasked zero divide met by FWAIT
 * with CR0.NE = 1, and the same with NE = 0 reported as IRQ 13 (FERR#) through the PIC.
 * Exit code 0 when every exception case went as expected, else 1.
 */
#include "../runtime/runtime.h"
#include "x87-checks.h"

static volatile uint32_t traps, trap_vector, irq13s;

static inline uint32_t read_cr0(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}

static inline void write_cr0(uint32_t v) {
  __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

#define CR0_MP 0x2u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR0_NE 0x20u

static void on_nm(struct trap_frame *f) {
  traps++;
  trap_vector = f->vector;
  __asm__ volatile("clts"); /* the lazy switch: give the FPU back and restart the instruction */
}

static void on_mf(struct trap_frame *f) {
  traps++;
  trap_vector = f->vector;
  __asm__ volatile("fnclex"); /* FWAIT runs again and now passes */
}

static void on_irq13(struct trap_frame *f) {
  (void)f;
  irq13s++;
  outb(0xf0, 0); /* the PC's coprocessor-busy latch (clears FERR# on IRQ 13) */
  __asm__ volatile("fnclex");
  pic_eoi(13);
}

static const uint16_t cw_ze_unmasked = 0x037b;

/* 1 / 0 with ZE unmasked: sets ES; nothing is raised until the FWAIT. */
static void divide_by_zero_then_fwait(void) {
  __asm__ volatile("fninit\n fldcw %0\n fldz\n fld1\n fdiv %%st(1), %%st\n fwait\n fninit" : : "m"(cw_ze_unmasked) : "memory");
}

static int check(const char *what, int ok) {
  printf("%-44s %s\n", what, ok ? "ok" : "MISMATCH");
  return ok;
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  (void)mbi;
  uint32_t a = 1, b, c, d;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
  printf("cpuid: fpu %u fxsr %u\n", d & 1, (d >> 24) & 1);

  write_cr0((read_cr0() | CR0_NE | CR0_MP) & ~(CR0_EM | CR0_TS));
  __asm__ volatile("fninit");
  x87_checks();

  int ok = 1;
  trap_install(VEC_NM, on_nm);
  traps = 0;
  write_cr0(read_cr0() | CR0_TS);
  __asm__ volatile("fninit\n fld1\n fstp %%st(0)" : : : "memory");
  ok &= check("#NM with CR0.TS, CLTS, restarted", traps == 1 && trap_vector == VEC_NM && !(read_cr0() & CR0_TS));

  trap_install(16, on_mf);
  traps = 0;
  divide_by_zero_then_fwait();
  ok &= check("#MF at FWAIT after 1/0, CR0.NE = 1", traps == 1 && trap_vector == 16);

  /* QEMU 7.2's TCG asserts (tcg_handle_interrupt: iothread not locked) when FWAIT raises FERR#
   * from its helper, so the IRQ 13 case runs only under a Xen signature (hvmsim). */
  uint32_t sig[3], max_leaf = 0x40000000;
  __asm__ volatile("cpuid" : "+a"(max_leaf), "=b"(sig[0]), "=c"(sig[1]), "=d"(sig[2]));
  if (sig[0] != 0x566e6558u || sig[1] != 0x65584d4du || sig[2] != 0x4d4d566eu) {
    printf("%-44s %s\n", "IRQ 13 (FERR#) after 1/0, CR0.NE = 0", "skipped (no Xen signature)");
    return ok ? 0 : 1;
  }
  pic_remap(PIC_MASTER_VECTOR, PIC_SLAVE_VECTOR);
  trap_install(PIC_VECTOR(13), on_irq13);
  pic_set_masks((uint8_t)~(1u << PIC_CASCADE_IRQ), (uint8_t)~(1u << (13 - 8)));
  write_cr0(read_cr0() & ~CR0_NE);
  traps = 0;
  irq13s = 0;
  divide_by_zero_then_fwait();
  /* Open an interrupt window a few times (no HLT: with no IRQ 13 nothing would wake it). */
  for (int spin = 0; spin < 100 && irq13s == 0; spin++) __asm__ volatile("sti\n nop\n nop\n cli" : : : "memory");
  ok &= check("IRQ 13 (FERR#) after 1/0, CR0.NE = 0", traps == 0 && irq13s == 1);
  write_cr0(read_cr0() | CR0_NE);
  return ok ? 0 : 1;
}
