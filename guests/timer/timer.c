/*
 * timer: IRQ 0 from the PIT through the PIC. Remaps the PIC (master 0x20, slave 0x28), unmasks
 * only IRQ 0, runs PIT channel 0 in mode 2 at ~1 kHz and halts until TICKS interrupts were
 * taken. Before that it checks with latched reads that channel 0 counts down.
 * Output: only facts that do not depend on timing (how many interrupts, which checks held in
 * every one of them), so QEMU and hvmsim print the same.
 * Exit code: 0 if every check held, else 1.
 */
#include "../runtime/runtime.h"

#define TICKS 200u
#define DIVISOR 1193u /* 1193182 Hz / 1193 = 1000.15 Hz */
#define TIMER_IRQ 0
#define IRQ0_BIT 0x01u

static volatile uint32_t ticks;
static volatile uint32_t if_clear_in_handler;
static volatile uint32_t if_set_when_interrupted;
static volatile uint32_t isr_set_in_handler;
static volatile uint32_t isr_clear_after_eoi;

static void on_timer(struct trap_frame *f) {
  ticks++;
  /* An interrupt gate clears IF on entry; the saved EFLAGS are those of the halted loop. */
  if ((read_eflags() & EFLAGS_IF) == 0) if_clear_in_handler++;
  if (f->eflags & EFLAGS_IF) if_set_when_interrupted++;
  if (pic_master_isr() & IRQ0_BIT) isr_set_in_handler++;
  /* Mask IRQ 0 at the last tick, so a tick that comes due late is not taken as one more. */
  if (ticks == TICKS) pic_set_masks(0xFF, 0xFF);
  pic_eoi(TIMER_IRQ);
  if ((pic_master_isr() & IRQ0_BIT) == 0) isr_clear_after_eoi++;
}

/*
 * Whether latched reads of channel 0 go down. The count changes between reads at a rate that
 * depends on the emulator, so this waits (boundedly) for CHANGES changes and compares falls
 * with rises; a rise is the reload at the end of a period, which two close reads rarely straddle.
 */
#define CHANGES 16
#define MAX_READS 100000u

static int pit_counts_down(void) {
  uint16_t prev = pit_read_channel0();
  int falls = 0, rises = 0;
  for (uint32_t reads = 0; reads < MAX_READS && falls + rises < CHANGES; reads++) {
    uint16_t now = pit_read_channel0();
    if (now < prev) falls++;
    else if (now > prev) rises++;
    prev = now;
  }
  return falls + rises == CHANGES && falls > rises;
}

static int report(const char *what, uint32_t count) {
  printf("%s: %u of %u\n", what, count, TICKS);
  return count == TICKS;
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  (void)mbi;
  printf("timer: PIC at vectors 0x%02x/0x%02x with only IRQ 0 unmasked, PIT channel 0 in mode %u, divisor %u (%u Hz)\n",
         PIC_MASTER_VECTOR, PIC_SLAVE_VECTOR, PIT_MODE_RATE, DIVISOR, PIT_HZ / DIVISOR);

  pic_remap(PIC_MASTER_VECTOR, PIC_SLAVE_VECTOR);
  trap_install(PIC_VECTOR(TIMER_IRQ), on_timer);
  pit_start_channel0(PIT_MODE_RATE, DIVISOR);

  int counts_down = pit_counts_down();
  printf("PIT channel 0 counts down (latched reads): %s\n", counts_down ? "yes" : "no");

  uint32_t empty_wakes = 0;
  pic_set_masks((uint8_t)~IRQ0_BIT, 0xFF);
  while (ticks < TICKS) {
    uint32_t before = ticks;
    wait_for_interrupt();
    if (ticks == before) empty_wakes++;
  }

  int ok = counts_down;
  printf("took %u timer interrupts\n", ticks);
  ok &= ticks == TICKS;
  printf("every HLT was woken by a timer interrupt: %s\n", empty_wakes == 0 ? "yes" : "no");
  ok &= empty_wakes == 0;
  ok &= report("IF clear inside the handler", if_clear_in_handler);
  ok &= report("IF set in the interrupted code", if_set_when_interrupted);
  ok &= report("PIC ISR shows IRQ 0 in service inside the handler", isr_set_in_handler);
  ok &= report("PIC ISR clear after EOI", isr_clear_after_eoi);
  printf("timer: %s\n", ok ? "all checks passed" : "CHECK FAILED");
  return ok ? EXIT_OK : EXIT_CHECK_FAILED;
}
