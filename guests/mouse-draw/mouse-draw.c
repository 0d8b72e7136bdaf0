/*
 * mouse-draw: a PS/2 mouse moves a cursor on the frame buffer (hvmsim only: its events come from
 * `hvmsim run --input SCRIPT`, e.g. mouse-draw/default-input.txt). 640x480x32 through the LFB.
 * It sets up the i8042 and the mouse by polling (ps2-controller.h), then takes IRQ 12 and IRQ 1:
 * the IRQ 12 handler reads one byte per interrupt (status, then data: two port reads through
 * ioreqs), assembles 3-byte packets (a first byte without bit 3 is dropped to resynchronise),
 * and for each packet moves a 4x4 white cursor: the old square is repainted black, a trail dot
 * is left where it was (green while the left button is held, grey otherwise) and the square is
 * drawn at the new place. Deltas are 9-bit two's complement with the sign bits of byte 0; an
 * overflow bit is counted and the saturated delta used. The IRQ 1 handler counts keyboard bytes.
 * It sleeps (sti; hlt) until packets=N packets (default 100) and keys=K keyboard bytes (default
 * 2) have arrived, then prints the counts, the cursor, a checksum of every byte received and the
 * frame's CRC-32 (mouse-draw/mouse-draw-model.ts works them out from the script).
 * Exit code 0; 1 if the VGA or the i8042 answers wrongly.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"
#include "../runtime/vga-std.h"
#include "ps2-controller.h"

#define WIDTH 640u
#define HEIGHT 480u
#define CURSOR 4u
#define WHITE 0xFFFFFFu
#define TRAIL_IDLE 0x404040u
#define TRAIL_DRAWING 0x00FF00u

static uint32_t lfb;
static volatile uint32_t packets, keys, resyncs, overflows, left_presses, spurious;
static volatile uint32_t mouse_sum = 0x12345678u, key_sum = 0x9ABCDEFu;
static int32_t cursor_x = (WIDTH - CURSOR) / 2, cursor_y = (HEIGHT - CURSOR) / 2;
static uint8_t packet[3];
static uint32_t have;
static uint32_t buttons;

static inline void pixel(uint32_t x, uint32_t y, uint32_t rgb) {
  ((volatile uint32_t *)(uintptr_t)lfb)[y * WIDTH + x] = rgb;
}

static void square(int32_t x, int32_t y, uint32_t rgb) {
  for (uint32_t dy = 0; dy < CURSOR; dy++)
    for (uint32_t dx = 0; dx < CURSOR; dx++) pixel((uint32_t)x + dx, (uint32_t)y + dy, rgb);
}

static int32_t clamp(int32_t v, int32_t hi) {
  return v < 0 ? 0 : v > hi ? hi : v;
}

static void on_packet(void) {
  uint32_t b0 = packet[0];
  int32_t dx = (int32_t)packet[1] - ((b0 & 0x10) ? 256 : 0);
  int32_t dy = (int32_t)packet[2] - ((b0 & 0x20) ? 256 : 0);
  if (b0 & 0xC0) overflows++;
  if ((b0 & 1) && !(buttons & 1)) left_presses++;
  buttons = b0 & 7;
  square(cursor_x, cursor_y, 0);
  pixel((uint32_t)cursor_x, (uint32_t)cursor_y, (buttons & 1) ? TRAIL_DRAWING : TRAIL_IDLE);
  /* The wire's Y runs up the screen. */
  cursor_x = clamp(cursor_x + dx, (int32_t)(WIDTH - CURSOR));
  cursor_y = clamp(cursor_y - dy, (int32_t)(HEIGHT - CURSOR));
  square(cursor_x, cursor_y, WHITE);
  packets++;
}

static void on_mouse(struct trap_frame *f) {
  (void)f;
  uint8_t status = inb(I8042_STATUS);
  if ((status & (I8042_STAT_OBF | I8042_STAT_AUX)) == (I8042_STAT_OBF | I8042_STAT_AUX)) {
    uint8_t b = inb(I8042_DATA);
    mouse_sum = mouse_sum * 31u + b;
    if (have == 0 && !(b & 0x08)) {
      resyncs++;
    } else {
      packet[have++] = b;
      if (have == 3) {
        have = 0;
        on_packet();
      }
    }
  } else {
    spurious++;
  }
  pic_eoi(MOUSE_IRQ);
}

static void on_key(struct trap_frame *f) {
  (void)f;
  uint8_t status = inb(I8042_STATUS);
  if ((status & (I8042_STAT_OBF | I8042_STAT_AUX)) == I8042_STAT_OBF) {
    key_sum = key_sum * 31u + inb(I8042_DATA);
    keys++;
  } else {
    spurious++;
  }
  pic_eoi(KBD_IRQ);
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  uint32_t want_packets = cmdline_uint(mbi, "packets", 100u);
  uint32_t want_keys = cmdline_uint(mbi, "keys", 2u);
  struct vga_std vga;
  if (vga_std_open("mouse-draw", &vga)) return EXIT_CHECK_FAILED;
  if (vga_std_mode("mouse-draw", WIDTH, HEIGHT, 32, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED)) return EXIT_CHECK_FAILED;
  lfb = vga.lfb;
  if (ps2_setup("mouse-draw")) return EXIT_CHECK_FAILED;
  printf("mouse-draw: waiting for %u packets and %u keyboard bytes (IRQ 12 and IRQ 1)\n", want_packets, want_keys);
  square(cursor_x, cursor_y, WHITE);

  pic_remap(PIC_MASTER_VECTOR, PIC_SLAVE_VECTOR);
  trap_install(PIC_VECTOR(MOUSE_IRQ), on_mouse);
  trap_install(PIC_VECTOR(KBD_IRQ), on_key);
  pic_set_masks((uint8_t) ~((1u << KBD_IRQ) | (1u << PIC_CASCADE_IRQ)), (uint8_t) ~(1u << (MOUSE_IRQ - 8)));
  ps2_interrupts_on();
  while (packets < want_packets || keys < want_keys) wait_for_interrupt();
  pic_set_masks(0xFF, 0xFF);

  printf("mouse-draw: %u packets (%u with overflow, %u bytes dropped to resynchronise), %u left presses\n", packets, overflows,
         resyncs, left_presses);
  printf("mouse-draw: cursor at (%u, %u), mouse bytes checksum 0x%08x\n", (uint32_t)cursor_x, (uint32_t)cursor_y, mouse_sum);
  printf("mouse-draw: %u keyboard bytes, checksum 0x%08x; interrupts without data: %s\n", keys, key_sum, spurious ? "some" : "none");
  return vga_finish("mouse-draw", vga_lfb_crc32(vga.lfb, WIDTH * 4, HEIGHT), mbi);
}
