/*
 * vga-blit: block operations on the frame buffer, each one string instruction. 640x480x32
 * through the LFB: every row filled with REP STOSL; a band of rows=N rows (command line,
 * default 4) at row 200 written from a pattern built in RAM (REP MOVSL RAM->LFB); then
 * steps=S (default 4) scroll steps, each moving the band up one row with REP MOVSL LFB->LFB
 * and writing a new pattern row at its bottom from RAM; finally the band is copied LFB->LFB
 * to row 300. Then the CRC-32 of the frame read back (guests/vga-models/blit-model.ts works
 * out the same frame on the host). Exit code 0, or 1 if the VGA is missing or the mode does
 * not take.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"
#include "../runtime/vga-std.h"

#define WIDTH 640u
#define HEIGHT 480u
#define BAND_Y 200u
#define COPY_Y 300u
#define MAX_BAND_ROWS (COPY_Y - BAND_Y) /* the copy must not overlap the band */

/* Each row one colour: red rises, green falls down the screen, blue cycles. */
static inline uint32_t row_colour(uint32_t y) {
  return ((y >> 1) << 16) | ((255 - (y >> 1)) << 8) | ((y * 7) & 0xFF);
}

/* Pattern row k: 16-pixel stripes that shift by one stripe per row, tinted by k. */
static inline uint32_t pattern(uint32_t x, uint32_t k) {
  if (((x >> 4) + k) & 1) return 0x00F0C040u;
  return 0x00203080u + ((x & 15) << 3) + (((k * 24) & 0xFF) << 16);
}

static uint32_t ram_row[WIDTH];

static void pattern_to_row(volatile uint32_t *fb, uint32_t y, uint32_t k) {
  for (uint32_t x = 0; x < WIDTH; x++) ram_row[x] = pattern(x, k);
  rep_movsl(fb + y * WIDTH, ram_row, WIDTH);
}

static void copy_row(volatile uint32_t *fb, uint32_t to, uint32_t from) {
  rep_movsl(fb + to * WIDTH, fb + from * WIDTH, WIDTH);
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  uint32_t rows = cmdline_uint(mbi, "rows", 4u);
  uint32_t steps = cmdline_uint(mbi, "steps", 4u);
  if (rows < 1) rows = 1;
  if (rows > MAX_BAND_ROWS) rows = MAX_BAND_ROWS;
  struct vga_std vga;
  if (vga_std_open("vga-blit", &vga)) return EXIT_CHECK_FAILED;
  if (vga_std_mode("vga-blit", WIDTH, HEIGHT, 32, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED)) return EXIT_CHECK_FAILED;
  printf("vga-blit: rows=%u steps=%u: rows by rep stosl, a band from RAM by rep movsl, scrolled and copied LFB->LFB\n",
         rows, steps);
  volatile uint32_t *fb = (volatile uint32_t *)(uintptr_t)vga.lfb;
  for (uint32_t y = 0; y < HEIGHT; y++) rep_stosl(fb + y * WIDTH, row_colour(y), WIDTH);
  for (uint32_t k = 0; k < rows; k++) pattern_to_row(fb, BAND_Y + k, k);
  for (uint32_t s = 0; s < steps; s++) {
    for (uint32_t r = 0; r + 1 < rows; r++) copy_row(fb, BAND_Y + r, BAND_Y + r + 1);
    pattern_to_row(fb, BAND_Y + rows - 1, rows + s);
  }
  for (uint32_t r = 0; r < rows; r++) copy_row(fb, COPY_Y + r, BAND_Y + r);
  return vga_finish("vga-blit", vga_lfb_crc32(vga.lfb, WIDTH * 4, HEIGHT), mbi);
}
