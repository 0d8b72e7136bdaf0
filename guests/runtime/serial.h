/* COM1 (16550A at 0x3F8) output, polled. */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

#define COM1_BASE 0x3F8

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s);

#endif
