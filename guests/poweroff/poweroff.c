/*
 * poweroff: prints one line and asks for ACPI S5 with a 16-bit write of SLP_EN | SLP_TYP 0 to
 * PIIX4 PM1a_CNT at 0x604 (QEMU's pc: SLP_TYP 0 is S5; QEMU and hvmsim act only on 16-bit
 * writes). QEMU exits with status 0; hvmsim powers the domain off.
 * The power-off need not happen at the write itself (QEMU completes it in its main loop, hvmsim
 * in the toolstack), so the guest then waits WAIT_TICKS PIT ticks (2 s) with HLT before it
 * declares failure: one line, exit code 1 (EXIT_CHECK_FAILED) through isa-debug-exit.
 */
#include "../runtime/runtime.h"

#define PM1A_CNT 0x604
#define SLP_EN 0x2000
#define SLP_TYP_S5 0 /* QEMU's pc DSDT */
#define SLP_TYP_SHIFT 10

#define TIMER_IRQ 0
#define DIVISOR 11932u /* 1193182 Hz / 11932 = 100 Hz */
#define WAIT_TICKS 200u

static volatile uint32_t ticks;

static void on_timer(struct trap_frame *f) {
  (void)f;
  ticks++;
  pic_eoi(TIMER_IRQ);
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  (void)mbi;
  /* The timeout's timer is set up first, so nothing but waiting follows the write. */
  pic_remap(PIC_MASTER_VECTOR, PIC_SLAVE_VECTOR);
  trap_install(PIC_VECTOR(TIMER_IRQ), on_timer);
  pit_start_channel0(PIT_MODE_RATE, DIVISOR);
  pic_set_masks((uint8_t)~(1u << TIMER_IRQ), 0xFF);

  printf("poweroff: writing SLP_EN | SLP_TYP=S5 (0x%04x) to PM1a_CNT at 0x%x\n",
         SLP_EN | (SLP_TYP_S5 << SLP_TYP_SHIFT), PM1A_CNT);
  outw(PM1A_CNT, SLP_EN | (SLP_TYP_S5 << SLP_TYP_SHIFT));

  while (ticks < WAIT_TICKS) wait_for_interrupt();
  printf("poweroff: still running %u ms after the write\n", WAIT_TICKS * 10);
  return EXIT_CHECK_FAILED;
}
