/*
 * vga-rmw: read-modify-write instructions on the frame buffer, each of which reads device
 * memory and writes it back (two device accesses when the LFB traps). 640x480x32 through the
 * LFB: a pattern filled in (rows built in RAM, copied with REP MOVSL), then passes=N (command
 * line, default 1) passes over the first rows=R rows (default 32: 20,480 instructions, whose two
 * round trips each keep the trap mode near a second; 480: the whole frame).
 * A pass gives each of those pixels one of `xorl`, `addl`, `orl` with a register source and the pixel
 * as memory destination (inline asm, so the RMW instruction is really what runs). Then the
 * CRC-32 of the frame read back (guests/vga-models/rmw-model.ts works out the same frame on
 * the host). Exit code 0, or 1 if the VGA is missing or the mode does not take.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"
#include "../runtime/vga-std.h"

#define WIDTH 640u
#define HEIGHT 480u

/* Diagonal bands over a fixed mid-grey bias. */
static inline uint32_t pattern(uint32_t x, uint32_t y) {
  uint32_t band = ((x + y) >> 3) & 7;
  return 0x00404040u + band * 0x00101418u + ((x & 0x3F) << 2);
}

/* The operand for pixel (x, y) in pass p: changes with all three, the top byte included. */
static inline uint32_t operand(uint32_t x, uint32_t y, uint32_t p) {
  return (x * 0x00010203u) ^ (y * 0x01020100u) ^ (p * 0x11111111u);
}

static uint32_t row[WIDTH];

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  uint32_t passes = cmdline_uint(mbi, "passes", 1u);
  uint32_t rows = cmdline_uint(mbi, "rows", 32u);
  if (rows > HEIGHT) rows = HEIGHT;
  struct vga_std vga;
  if (vga_std_open("vga-rmw", &vga)) return EXIT_CHECK_FAILED;
  if (vga_std_mode("vga-rmw", WIDTH, HEIGHT, 32, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED)) return EXIT_CHECK_FAILED;
  printf("vga-rmw: passes=%u rows=%u: xorl/addl/orl to memory on every pixel of those rows\n", passes, rows);
  volatile uint32_t *fb = (volatile uint32_t *)(uintptr_t)vga.lfb;
  for (uint32_t y = 0; y < HEIGHT; y++) {
    for (uint32_t x = 0; x < WIDTH; x++) row[x] = pattern(x, y);
    rep_movsl(fb + y * WIDTH, row, WIDTH);
  }
  for (uint32_t p = 0; p < passes; p++) {
    for (uint32_t y = 0; y < rows; y++) {
      for (uint32_t x = 0; x < WIDTH; x++) {
        volatile uint32_t *px = fb + y * WIDTH + x;
        uint32_t v = operand(x, y, p);
        switch ((x + y + p) % 3) {
          case 0:
            __asm__ volatile("xorl %0, (%1)" : : "r"(v), "r"(px) : "memory", "cc");
            break;
          case 1:
            __asm__ volatile("addl %0, (%1)" : : "r"(v), "r"(px) : "memory", "cc");
            break;
          default:
            __asm__ volatile("orl %0, (%1)" : : "r"(v), "r"(px) : "memory", "cc");
            break;
        }
      }
    }
  }
  return vga_finish("vga-rmw", vga_lfb_crc32(vga.lfb, WIDTH * 4, HEIGHT), mbi);
}
