/*
 * vga-sparse: small changes on a still picture, the case dirty tracking is for. 640x480x32
 * through the LFB: a background drawn once (each row built in RAM and copied with REP MOVSL),
 * then frames=N (command line, default 20) frames in which a 32x32 sprite moves: its old square
 * is repainted with background and it is drawn at its new place, one 4-byte store per pixel.
 * Then the CRC-32 of the frame read back (guests/vga-models/sparse-model.ts draws the same
 * frame on the host). Exit code 0, or 1 if the VGA is missing or the mode does not take.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"
#include "../runtime/vga-std.h"

#define WIDTH 640u
#define HEIGHT 480u
#define SPRITE 32u

/* A horizontal red ramp, a vertical green ramp and a 32-pixel blue checkerboard. */
static inline uint32_t background(uint32_t x, uint32_t y) {
  uint32_t b = (((x >> 5) ^ (y >> 5)) & 1) ? 0x60 : 0x20;
  return ((x >> 2) << 16) | ((y >> 1) << 8) | b;
}

/* The sprite's top-left corner in frame i: steps that wrap, so it wanders over the screen. */
static inline uint32_t sprite_x(uint32_t i) {
  return 16 + (i * 27) % (WIDTH - 64);
}
static inline uint32_t sprite_y(uint32_t i) {
  return 16 + (i * 19) % (HEIGHT - 64);
}

/* A disc (pixel centres within 15.5 of the middle) shaded by position and tinted by frame. */
static inline int sprite_covers(uint32_t u, uint32_t v) {
  int32_t du = 2 * (int32_t)u - 31, dv = 2 * (int32_t)v - 31;
  return du * du + dv * dv <= 31 * 31;
}
static inline uint32_t sprite_colour(uint32_t u, uint32_t v, uint32_t i) {
  return ((u * 8) << 16) | ((v * 8) << 8) | ((i * 13 + 0x40) & 0xFF);
}

static uint32_t row[WIDTH];

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  uint32_t frames = cmdline_uint(mbi, "frames", 20u);
  struct vga_std vga;
  if (vga_std_open("vga-sparse", &vga)) return EXIT_CHECK_FAILED;
  if (vga_std_mode("vga-sparse", WIDTH, HEIGHT, 32, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED)) return EXIT_CHECK_FAILED;
  printf("vga-sparse: frames=%u: background once, then a %ux%u sprite moving over it\n", frames, SPRITE, SPRITE);
  volatile uint32_t *fb = (volatile uint32_t *)(uintptr_t)vga.lfb;
  for (uint32_t y = 0; y < HEIGHT; y++) {
    for (uint32_t x = 0; x < WIDTH; x++) row[x] = background(x, y);
    rep_movsl(fb + y * WIDTH, row, WIDTH);
  }
  for (uint32_t i = 0; i < frames; i++) {
    if (i > 0) {
      uint32_t ox = sprite_x(i - 1), oy = sprite_y(i - 1);
      for (uint32_t v = 0; v < SPRITE; v++)
        for (uint32_t u = 0; u < SPRITE; u++) fb[(oy + v) * WIDTH + ox + u] = background(ox + u, oy + v);
    }
    uint32_t sx = sprite_x(i), sy = sprite_y(i);
    for (uint32_t v = 0; v < SPRITE; v++)
      for (uint32_t u = 0; u < SPRITE; u++)
        if (sprite_covers(u, v)) fb[(sy + v) * WIDTH + sx + u] = sprite_colour(u, v, i);
  }
  return vga_finish("vga-sparse", vga_lfb_crc32(vga.lfb, WIDTH * 4, HEIGHT), mbi);
}
