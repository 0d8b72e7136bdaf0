/*
 * idle: an idle guest, as an OS's idle loop is — the PIT at 100 Hz and HLT between ticks, for
 * ticks=N ticks (default 100, one second). Used to measure what an idle guest costs the host.
 * Exit code 0.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"

#define HZ 100u
#define IRQ0_BIT 0x01u

static volatile uint32_t ticks;
static uint32_t target;

static void on_timer(struct trap_frame *f) {
  (void)f;
  ticks++;
  if (ticks == target) pic_set_masks(0xFF, 0xFF); /* no late tick counts as one more */
  pic_eoi(0);
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  target = cmdline_uint(mbi, "ticks", 100u);
  pic_remap(PIC_MASTER_VECTOR, PIC_SLAVE_VECTOR);
  trap_install(PIC_VECTOR(0), on_timer);
  pit_start_channel0(PIT_MODE_RATE, PIT_HZ / HZ);
  pic_set_masks((uint8_t)~IRQ0_BIT, 0xFF);
  while (ticks < target) wait_for_interrupt();
  printf("idle: %u ticks at %u Hz\n", target, HZ);
  return 0;
}
