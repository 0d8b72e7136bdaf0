/*
 * vga-text: the legacy window. A 640x480x8 DISPI mode with the LFB flag clear, reached only
 * through the 64 KiB window at 0xA0000 and its BANK register (the frame spans 4.7 banks); a
 * 16-colour palette through the DAC (0x3C8/0x3C9, read back through 0x3C7/0x3C9); the screen
 * cleared bank by bank with REP STOSL; lines of text drawn glyph by glyph with byte stores
 * from a built-in 8x8 font (font8x8.h), passes=N times (command line, default 1), one line
 * straddling the bank 0/1 boundary and a large one the bank 2/3 boundary. Then the CRC-32 of
 * the frame read back through the window, bank by bank (guests/vga-models/text-model.ts
 * renders the same frame on the host). Xen posts every write to this window to the buffered
 * ring, whatever the LFB mode. Exit code 0, or 1 if the VGA is missing, the mode does not
 * take or the palette does not read back.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"
#include "../runtime/vga-std.h"
#include "font8x8.h"

#define WIDTH 640u
#define HEIGHT 480u
#define FRAME_BYTES (WIDTH * HEIGHT)
#define BACKGROUND 1u
#define DAC_WRITE_INDEX 0x3C8
#define DAC_READ_INDEX 0x3C7
#define DAC_DATA 0x3C9

/* 6-bit DAC values; odd and even levels alike, so the 6-to-8-bit expansion is exercised. */
static const uint8_t palette[16][3] = {
    {0, 0, 0},    {4, 9, 31},   {0, 42, 0},   {0, 42, 42},  {42, 0, 0},   {42, 0, 42},
    {42, 21, 0},  {42, 42, 42}, {21, 21, 21}, {21, 21, 63}, {21, 63, 21}, {21, 63, 63},
    {63, 21, 21}, {63, 21, 63}, {63, 63, 21}, {63, 63, 63},
};

struct text_line {
  uint16_t x, y;
  uint8_t scale, colour;
  const char *text;
};

/* Bank boundaries fall at rows 102.4, 204.8, 307.2 and 409.6. */
static const struct text_line lines[] = {
    {16, 8, 1, 15, "HVMSIM VGA-TEXT: LEGACY WINDOW AT 0XA0000, BANKED"},
    {16, 24, 1, 14, "MODE 640X480X8, 64 KB BANKS, DAC PALETTE"},
    {16, 98, 1, 10, "THIS LINE CROSSES THE BANK 0/1 BOUNDARY"},
    {16, 200, 1, 12, "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG"},
    {16, 216, 1, 11, "0123456789 = . , : - /"},
    {128, 300, 4, 13, "HVMSIM"},
    {16, 470, 1, 9, "LAST BANK: ROWS 410 TO 479"},
};
#define LINE_COUNT (sizeof lines / sizeof lines[0])

static volatile uint8_t *const window = (volatile uint8_t *)VGA_WINDOW;
static uint32_t current_bank = 0xFFFFFFFFu;

static void select_bank(uint32_t bank) {
  if (bank == current_bank) return;
  vbe_write(VBE_DISPI_INDEX_BANK, (uint16_t)bank);
  current_bank = bank;
}

static void put_pixel(uint32_t x, uint32_t y, uint8_t colour) {
  uint32_t offset = y * WIDTH + x;
  select_bank(offset / VBE_BANK_BYTES);
  window[offset % VBE_BANK_BYTES] = colour;
}

static const struct glyph *find_glyph(char ch) {
  for (uint32_t i = 0; i < FONT8X8_GLYPHS; i++)
    if (font8x8[i].ch == ch) return &font8x8[i];
  return &font8x8[0]; /* the space: the text uses no other character */
}

/* Whole cells, paper included, so every pass writes the same bytes. */
static void draw_line(const struct text_line *l) {
  for (uint32_t c = 0; l->text[c]; c++) {
    const struct glyph *g = find_glyph(l->text[c]);
    uint32_t cx = l->x + c * 8 * l->scale;
    for (uint32_t gy = 0; gy < 8 * l->scale; gy++)
      for (uint32_t gx = 0; gx < 8 * l->scale; gx++) {
        int ink = g->rows[gy / l->scale][gx / l->scale] == 'X';
        put_pixel(cx + gx, l->y + gy, ink ? l->colour : BACKGROUND);
      }
  }
}

static uint32_t bank_bytes(uint32_t bank) {
  uint32_t rest = FRAME_BYTES - bank * VBE_BANK_BYTES;
  return rest < VBE_BANK_BYTES ? rest : VBE_BANK_BYTES;
}
#define BANKS ((FRAME_BYTES + VBE_BANK_BYTES - 1) / VBE_BANK_BYTES)

static uint8_t bank_copy[VBE_BANK_BYTES];

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  uint32_t passes = cmdline_uint(mbi, "passes", 1u);
  struct vga_std vga;
  if (vga_std_open("vga-text", &vga)) return EXIT_CHECK_FAILED;
  if (vga_std_mode("vga-text", WIDTH, HEIGHT, 8, VBE_DISPI_ENABLED)) return EXIT_CHECK_FAILED;

  outb(DAC_WRITE_INDEX, 0);
  for (uint32_t i = 0; i < 16; i++)
    for (uint32_t k = 0; k < 3; k++) outb(DAC_DATA, palette[i][k]);
  uint32_t wrong = 0;
  outb(DAC_READ_INDEX, 0);
  for (uint32_t i = 0; i < 16; i++)
    for (uint32_t k = 0; k < 3; k++) wrong += inb(DAC_DATA) != palette[i][k];
  printf("vga-text: palette of 16 colours written through the DAC, read back: %s\n", wrong ? "wrong" : "ok");
  if (wrong) return EXIT_CHECK_FAILED;

  for (uint32_t b = 0; b < BANKS; b++) {
    select_bank(b);
    rep_stosl(window, BACKGROUND * 0x01010101u, bank_bytes(b) / 4);
  }
  uint32_t glyphs = 0;
  for (uint32_t p = 0; p < passes; p++)
    for (uint32_t i = 0; i < LINE_COUNT; i++) {
      draw_line(&lines[i]);
      if (p == 0)
        for (const char *s = lines[i].text; *s; s++) glyphs++;
    }
  printf("vga-text: passes=%u: %u lines, %u glyphs through %u banks\n", passes, (unsigned)LINE_COUNT, glyphs,
         (unsigned)BANKS);

  uint32_t crc = 0;
  for (uint32_t b = 0; b < BANKS; b++) {
    select_bank(b);
    rep_movsl(bank_copy, window, bank_bytes(b) / 4);
    crc = crc32_update(crc, bank_copy, bank_bytes(b));
  }
  return vga_finish("vga-text", crc, mbi);
}
