/*
 * uart-irq: interrupt-driven transmit on COM1. The main program queues LINES lines of text into a
 * software TX ring smaller than the text, waiting (HLT) whenever the ring is full and at the end
 * until it drains; the IRQ 4 handler reads IIR and, for each THRE interrupt, feeds THR from the
 * ring while LSR.THRE is set. Interrupts are enabled only inside those waits.
 * How many bytes go out per interrupt depends on the UART (QEMU's 16-byte FIFO and transmit
 * timing, hvmsim's instant transmit), so the output reports only counts that do not: lines,
 * bytes, and whether THRE interrupts happened at all.
 * Exit code: 0 if every check held, else 1.
 */
#include "../runtime/runtime.h"

#define UART_IRQ 4
#define REG_THR 0
#define REG_IER 1
#define REG_IIR 2
#define REG_MCR 4
#define REG_LSR 5
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_ID_MASK 0x0E
#define IIR_THRI 0x02
#define MCR_DTR_RTS_OUT2 0x0B /* OUT2 connects the UART's interrupt to the PIC on a PC */
#define LSR_THRE 0x20
#define FIFO_BYTES 16 /* the most THR takes after a THRE interrupt on a 16550A */

#define RING_BYTES 128u /* a power of two, smaller than the text */
#define LINES 12u

static char ring[RING_BYTES];
static volatile uint32_t ring_head; /* next byte to queue (main program) */
static volatile uint32_t ring_tail; /* next byte to send (handler) */
static volatile int tx_running;     /* IER.THRI is on */
static volatile uint32_t thre_interrupts, other_interrupts, bytes_sent;

static void on_uart(struct trap_frame *f) {
  (void)f;
  for (;;) {
    uint8_t iir = inb(COM1_BASE + REG_IIR);
    if (iir & IIR_NO_INT) break;
    if ((iir & IIR_ID_MASK) != IIR_THRI) {
      other_interrupts++; /* not enabled, so not expected: stop rather than spin on it */
      break;
    }
    thre_interrupts++;
    for (int room = FIFO_BYTES; room > 0 && ring_tail != ring_head; room--) {
      if ((inb(COM1_BASE + REG_LSR) & LSR_THRE) == 0) break;
      outb(COM1_BASE + REG_THR, (uint8_t)ring[ring_tail % RING_BYTES]);
      ring_tail++;
      bytes_sent++;
    }
    if (ring_tail == ring_head) {
      outb(COM1_BASE + REG_IER, 0);
      tx_running = 0;
    }
  }
  pic_eoi(UART_IRQ);
}

/* Turning IER.THRI on while THR is empty raises a THRE interrupt at once: that starts the flow. */
static void start_tx(void) {
  if (!tx_running && ring_tail != ring_head) {
    tx_running = 1;
    outb(COM1_BASE + REG_IER, IER_THRI);
  }
}

static void queue_byte(char c) {
  while (ring_head - ring_tail == RING_BYTES) {
    start_tx();
    wait_for_interrupt();
  }
  ring[ring_head % RING_BYTES] = c;
  ring_head++;
}

static uint32_t queue_string(const char *s) {
  uint32_t n = 0;
  for (; *s; s++, n++) queue_byte(*s);
  return n;
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  (void)mbi;
  printf("uart-irq: COM1 THRE interrupt on IRQ 4 (vector 0x%02x), %u-byte TX ring\n",
         PIC_VECTOR(UART_IRQ), RING_BYTES);

  pic_remap(PIC_MASTER_VECTOR, PIC_SLAVE_VECTOR);
  trap_install(PIC_VECTOR(UART_IRQ), on_uart);
  outb(COM1_BASE + REG_MCR, MCR_DTR_RTS_OUT2);
  pic_set_masks((uint8_t)~(1u << UART_IRQ), 0xFF);

  uint32_t queued = 0;
  for (uint32_t i = 1; i <= LINES; i++) {
    char number[3] = {(char)('0' + i / 10), (char)('0' + i % 10), 0};
    queued += queue_string("ring line ");
    queued += queue_string(number);
    queued += queue_string(": the quick brown fox jumps over the lazy dog 0123456789\n");
  }
  start_tx();
  while (ring_tail != ring_head) wait_for_interrupt();

  /* Back to polled output: nothing is left in the ring, and printf waits for THRE itself. */
  int ok = bytes_sent == queued && thre_interrupts > 0 && other_interrupts == 0 && !tx_running;
  printf("uart-irq: queued %u lines, %u bytes\n", LINES, queued);
  printf("bytes sent by the IRQ 4 handler equal bytes queued: %s\n", bytes_sent == queued ? "yes" : "no");
  printf("THRE interrupts taken: %s\n", thre_interrupts > 0 ? "yes" : "no");
  printf("other interrupt causes seen: %s\n", other_interrupts > 0 ? "yes" : "no");
  printf("uart-irq: %s\n", ok ? "all checks passed" : "CHECK FAILED");
  return ok ? EXIT_OK : EXIT_CHECK_FAILED;
}
