/*
 * x87 computations whose results a guest prints as CRC-32 lines: the same source runs as the
 * x87 guest (under QEMU and hvmsim) and natively on the host processor (test/guest-x87.test.ts),
 * so the silicon says what every line must be.
 */
#ifndef X87_CHECKS_H
#define X87_CHECKS_H

/* Prints one line per category: "name: crc". Each computation runs with every exception masked. */
void x87_checks(void);

#endif
