/*
 * vga-fill: full-frame redraws, the case a per-write exit hurts most. 640x480x32 through the
 * LFB; frames=N (command line, default 3) frames of a gradient that moves with the frame
 * number, every pixel written by one 4-byte store. rows=R (default 480) draws only the top R
 * rows of each frame (the rest stays as enabling the mode cleared it), for tests that cannot
 * afford full frames under the trap mode. Then the CRC-32 of the frame read back
 * (guests/vga-models/fill-model.ts draws the same frame on the host). Exit code 0, or 1 if
 * the VGA is missing or the mode does not take.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"
#include "../runtime/vga-std.h"

#define WIDTH 640u
#define HEIGHT 480u

/* Red follows x, green follows y, blue the x^y texture; each channel moves with the frame. */
static inline uint32_t gradient(uint32_t x, uint32_t y, uint32_t frame) {
  uint32_t r = (x + 3 * frame) & 0xFF;
  uint32_t g = (y + 5 * frame) & 0xFF;
  uint32_t b = ((x ^ y) + 7 * frame) & 0xFF;
  return (r << 16) | (g << 8) | b;
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  uint32_t frames = cmdline_uint(mbi, "frames", 3u);
  uint32_t rows = cmdline_uint(mbi, "rows", HEIGHT);
  if (rows > HEIGHT) rows = HEIGHT;
  struct vga_std vga;
  if (vga_std_open("vga-fill", &vga)) return EXIT_CHECK_FAILED;
  if (vga_std_mode("vga-fill", WIDTH, HEIGHT, 32, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED)) return EXIT_CHECK_FAILED;
  printf("vga-fill: frames=%u rows=%u: a moving gradient, one 4-byte store per pixel\n", frames, rows);
  volatile uint32_t *fb = (volatile uint32_t *)(uintptr_t)vga.lfb;
  for (uint32_t f = 0; f < frames; f++) {
    volatile uint32_t *p = fb;
    for (uint32_t y = 0; y < rows; y++)
      for (uint32_t x = 0; x < WIDTH; x++) *p++ = gradient(x, y, f);
  }
  return vga_finish("vga-fill", vga_lfb_crc32(vga.lfb, WIDTH * 4, HEIGHT), mbi);
}
