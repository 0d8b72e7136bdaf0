/* printf-style output to COM1. */
#ifndef GUEST_FORMAT_H
#define GUEST_FORMAT_H

#include <stdarg.h>

/*
 * Conversions: %d %i %u %x %X %c %s %p %%. Flags: '0' (zero-pad), '-' (left-justify), '+' (sign on a
 * non-negative %d); a decimal field width. Length: 'l' (no effect: long is 32 bits) and 'll' (64-bit argument).
 * An unknown conversion is printed as is and consumes no argument. Returns the bytes written.
 */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

#endif
