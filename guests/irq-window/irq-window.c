/*
 * irq-window: mouse interrupts held off by a guest computing with interrupts disabled (hvmsim
 * only: its events come from `hvmsim run --input SCRIPT`, e.g. irq-window/default-input.txt).
 * It sets up the i8042 and the mouse as mouse-draw does, then until packets=N packets (default
 * 20, 3 bytes each) have come, with IF=0 throughout: it polls the slave PIC's IRR (a read of the
 * hypervisor's PIC, no device-model request) until IRQ 12 is requested — a byte is waiting —,
 * computes work=W rounds of xorshift (default 200000) and only then opens interrupts for one
 * instruction: `sti; nop; cli`. The hypervisor cannot inject while IF=0, so it has armed
 * interrupt-window exiting; the window opens after STI's one-instruction shadow and the
 * interrupt is delivered there. The handler (an interrupt gate: IF=0 inside) reads one byte; the
 * next byte raises IRQ 12 again, which waits for the handler's IRET, again through an interrupt
 * window, and so on while bytes keep coming. So every byte is delivered at the instruction after
 * the NOP, through one interrupt-window exit each, which the handler checks. How many openings
 * that takes depends on how the events' times fall against the guest's pace (a late start lets
 * them queue), so only the bytes are counted. Prints the byte count, how many were delivered
 * after the shadow and a checksum of them. Exit code 0; 1 if a check fails.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"
#include "../mouse-draw/ps2-controller.h"

#define IRR_POLL_PAUSES 4096u

static volatile uint32_t bytes, at_window, elsewhere, spurious;
static volatile uint32_t byte_sum = 0x2468ACEu;

/* The instruction after `sti; nop`, where every mouse interrupt should arrive. */
extern const char after_sti_shadow[];

static void on_mouse(struct trap_frame *f) {
  uint8_t status = inb(I8042_STATUS);
  if ((status & (I8042_STAT_OBF | I8042_STAT_AUX)) == (I8042_STAT_OBF | I8042_STAT_AUX)) {
    byte_sum = byte_sum * 31u + inb(I8042_DATA);
    bytes++;
    if (f->eip == (uint32_t)(uintptr_t)after_sti_shadow) at_window++;
    else elsewhere++;
  } else {
    spurious++;
  }
  pic_eoi(MOUSE_IRQ);
}

/* The slave PIC's IRR (OCW3 chooses it; the choice sticks). */
static inline uint8_t slave_irr(void) {
  outb(PIC_SLAVE_CMD, PIC_OCW3_READ_IRR);
  return inb(PIC_SLAVE_CMD);
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  uint32_t packets = cmdline_uint(mbi, "packets", 20u);
  uint32_t work = cmdline_uint(mbi, "work", 200000u);
  if (ps2_setup("irq-window")) return EXIT_CHECK_FAILED;
  printf("irq-window: %u packets, each let in after %u rounds of work with interrupts off\n", packets, work);

  pic_remap(PIC_MASTER_VECTOR, PIC_SLAVE_VECTOR);
  trap_install(PIC_VECTOR(MOUSE_IRQ), on_mouse);
  pic_set_masks((uint8_t) ~(1u << PIC_CASCADE_IRQ), (uint8_t) ~(1u << (MOUSE_IRQ - 8)));
  ps2_interrupts_on();

  uint32_t state = 2463534242u;
  while (bytes < packets * 3) {
    /* IF is 0 here (the runtime keeps it off). Wait until IRQ 12 is requested. */
    while (!(slave_irr() & (1u << (MOUSE_IRQ - 8))))
      for (uint32_t i = 0; i < IRR_POLL_PAUSES; i++) __asm__ volatile("pause");
    for (uint32_t k = 0; k < work; k++) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
    }
    __asm__ volatile("sti; nop\n\t.globl after_sti_shadow\nafter_sti_shadow:\n\tcli" : "+r"(state) : : "memory");
  }
  pic_set_masks(0xFF, 0xFF);
  printf("irq-window: %u bytes, %u delivered right after the STI shadow, %u elsewhere, %u interrupts without data\n", bytes, at_window,
         elsewhere, spurious);
  printf("irq-window: bytes checksum 0x%08x\n", byte_sum);
  return at_window == packets * 3 && elsewhere == 0 && spurious == 0 ? EXIT_OK : EXIT_CHECK_FAILED;
}
