/*
 * vga-idle: an idle desktop with a big screen, the guest of the track_dirty_vram history (an
 * idle guest's qemu-dm kept comparing 8 MiB of VRAM). Sets 2048x1024x32 through the LFB, so the
 * visible picture is exactly 8 MiB, draws one frame (rows=R, default 1024, of a tiled pattern,
 * one 4-byte store per pixel), prints its CRC-32, then idles as an OS does: PIT at 100 Hz and
 * `sti; hlt` until ticks=N (default 50) ticks have passed. Nothing touches VRAM while it idles,
 * so whatever the device model spends then is the cost of finding out that nothing changed.
 * The line "vga-idle: idling" marks that point (benchmarks wait for it before measuring a
 * neighbour). guests/vga-models/idle-model.ts draws the same frame. Exit code 0, or 1 if the
 * VGA is missing or the mode does not take.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"
#include "../runtime/vga-std.h"
#include "../runtime/idle-ticks.h"

#define WIDTH 2048u
#define HEIGHT 1024u
#define HZ 100u
/* Read back as rows of this many bytes: the whole picture is contiguous, and vga-std.h's row
 * buffer holds 2,560 bytes, less than one 8,192-byte scanline. */
#define READBACK_BYTES 2048u

/* 64x64 tiles: red and green follow the position inside the tile, blue the tile number. */
static inline uint32_t tile(uint32_t x, uint32_t y) {
  uint32_t r = (x & 63) << 2;
  uint32_t g = (y & 63) << 2;
  uint32_t b = (((x >> 6) + 3 * (y >> 6)) * 23) & 0xFF;
  return (r << 16) | (g << 8) | b;
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  uint32_t rows = cmdline_uint(mbi, "rows", HEIGHT);
  if (rows > HEIGHT) rows = HEIGHT;
  uint32_t target = cmdline_uint(mbi, "ticks", 50u);
  struct vga_std vga;
  if (vga_std_open("vga-idle", &vga)) return EXIT_CHECK_FAILED;
  if (vga_std_mode("vga-idle", WIDTH, HEIGHT, 32, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED)) return EXIT_CHECK_FAILED;
  printf("vga-idle: rows=%u of 64x64 tiles in %u KiB of visible VRAM, then ticks=%u at %u Hz\n", rows,
         WIDTH * HEIGHT * 4 / 1024, target, HZ);
  volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)vga.lfb;
  for (uint32_t y = 0; y < rows; y++)
    for (uint32_t x = 0; x < WIDTH; x++) *p++ = tile(x, y);
  printf("vga-idle: frame crc32 0x%08x\n", vga_lfb_crc32(vga.lfb, READBACK_BYTES, WIDTH * HEIGHT * 4 / READBACK_BYTES));

  printf("vga-idle: idling\n");
  idle_for_ticks(HZ, target);
  printf("vga-idle: %u ticks at %u Hz\n", target, HZ);
  return 0;
}
