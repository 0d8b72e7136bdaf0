/*
 * vga-busy: a CPU-bound guest that also redraws its screen, the guest of the 2006 shadow-VRAM
 * history (a CPU-bound loop slowed by screen updates). 640x480x32 through the LFB. It runs
 * iterations=N (default 20000) iterations of fixed integer work (64 rounds of xorshift32 folded
 * into an accumulator each) and, after every redraw-every=K iterations (default 5000; 0 =
 * never), redraws the screen: rows=R (default 480, the full screen) rows of a gradient that
 * moves with the redraw number, one 4-byte store per pixel. The work does not depend on the
 * redraws, so its checksum is the same for every K and R; the time it takes is what the
 * redraws cost. Prints the redraw count, the work checksum and the CRC-32 of the frame
 * (guests/vga-models/busy-model.ts computes both). Exit code 0, or 1 as vga-fill.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"
#include "../runtime/vga-std.h"

#define WIDTH 640u
#define HEIGHT 480u
#define ROUNDS_PER_ITERATION 64u

/* The same moving gradient as vga-fill, with other speeds, so the two frames differ. */
static inline uint32_t gradient(uint32_t x, uint32_t y, uint32_t n) {
  uint32_t r = (x + 11 * n) & 0xFF;
  uint32_t g = (y + 13 * n) & 0xFF;
  uint32_t b = ((x ^ y) + 17 * n) & 0xFF;
  return (r << 16) | (g << 8) | b;
}

static void redraw(uint32_t lfb, uint32_t rows, uint32_t n) {
  volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)lfb;
  for (uint32_t y = 0; y < rows; y++)
    for (uint32_t x = 0; x < WIDTH; x++) *p++ = gradient(x, y, n);
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  uint32_t iterations = cmdline_uint(mbi, "iterations", 20000u);
  uint32_t every = cmdline_uint(mbi, "redraw-every", 5000u);
  uint32_t rows = cmdline_uint(mbi, "rows", HEIGHT);
  if (rows > HEIGHT) rows = HEIGHT;
  struct vga_std vga;
  if (vga_std_open("vga-busy", &vga)) return EXIT_CHECK_FAILED;
  if (vga_std_mode("vga-busy", WIDTH, HEIGHT, 32, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED)) return EXIT_CHECK_FAILED;
  printf("vga-busy: iterations=%u redraw-every=%u rows=%u: integer work, redraws of a moving gradient\n",
         iterations, every, rows);
  uint32_t state = 2463534242u, acc = 0, redraws = 0;
  for (uint32_t i = 1; i <= iterations; i++) {
    for (uint32_t k = 0; k < ROUNDS_PER_ITERATION; k++) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      acc = (acc << 3 | acc >> 29) + (state ^ i);
    }
    if (every && i % every == 0) redraw(vga.lfb, rows, redraws++);
  }
  printf("vga-busy: %u redraws, work checksum 0x%08x\n", redraws, acc);
  return vga_finish("vga-busy", vga_lfb_crc32(vga.lfb, WIDTH * 4, HEIGHT), mbi);
}
