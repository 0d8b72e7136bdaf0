/*
 * idle: an idle guest, as an OS's idle loop is — the PIT at 100 Hz and HLT between ticks, for
 * ticks=N ticks (default 100, one second). Used to measure what an idle guest costs the host.
 * Exit code 0.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"
#include "../runtime/idle-ticks.h"

#define HZ 100u

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  uint32_t target = cmdline_uint(mbi, "ticks", 100u);
  idle_for_ticks(HZ, target);
  printf("idle: %u ticks at %u Hz\n", target, HZ);
  return 0;
}
