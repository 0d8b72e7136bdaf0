/*
 * COM1 driver: 115200 baud, 8 data bits, no parity, 1 stop bit, FIFOs on, no interrupts.
 * Bytes go out exactly as given (no "\n" -> "\r\n"), so QEMU and hvmsim show identical output.
 */
#include "serial.h"
#include "io-ports.h"

#define REG_DATA 0     /* THR (write) / RBR (read); DLL when DLAB=1 */
#define REG_IER 1      /* interrupt enable; DLM when DLAB=1 */
#define REG_FCR 2      /* FIFO control (write) */
#define REG_LCR 3      /* line control */
#define REG_MCR 4      /* modem control */
#define REG_LSR 5      /* line status */
#define LCR_DLAB 0x80  /* divisor latch access */
#define LCR_8N1 0x03
#define FCR_ENABLE_CLEAR_14 0xC7 /* enable FIFOs, clear both, 14-byte receive trigger */
#define MCR_DTR_RTS 0x03
#define LSR_THRE 0x20  /* transmit holding register empty */

void serial_init(void) {
  outb(COM1_BASE + REG_IER, 0x00);
  outb(COM1_BASE + REG_LCR, LCR_DLAB);
  outb(COM1_BASE + REG_DATA, 0x01); /* divisor 1 = 115200 baud */
  outb(COM1_BASE + REG_IER, 0x00);
  outb(COM1_BASE + REG_LCR, LCR_8N1);
  outb(COM1_BASE + REG_FCR, FCR_ENABLE_CLEAR_14);
  outb(COM1_BASE + REG_MCR, MCR_DTR_RTS);
}

void serial_putc(char c) {
  while ((inb(COM1_BASE + REG_LSR) & LSR_THRE) == 0) {
  }
  outb(COM1_BASE + REG_DATA, (uint8_t)c);
}

void serial_write(const char *s) {
  while (*s) serial_putc(*s++);
}
