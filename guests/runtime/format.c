/* The formatter behind printf: one pass over the format, digits built right to left in a buffer. */
#include <stdint.h>
#include "format.h"
#include "serial.h"

struct spec {
  int zero_pad;
  int left;
  int plus; /* '+': signed conversions show a sign even when non-negative */
  int width;
};

static int emit_padded(const struct spec *sp, const char *prefix, const char *body, int body_len) {
  int prefix_len = 0;
  while (prefix[prefix_len]) prefix_len++;
  int pad = sp->width - prefix_len - body_len;
  int written = 0;
  if (pad < 0) pad = 0;
  if (!sp->left && !sp->zero_pad)
    for (int i = 0; i < pad; i++, written++) serial_putc(' ');
  for (int i = 0; i < prefix_len; i++, written++) serial_putc(prefix[i]);
  if (!sp->left && sp->zero_pad)
    for (int i = 0; i < pad; i++, written++) serial_putc('0');
  for (int i = 0; i < body_len; i++, written++) serial_putc(body[i]);
  if (sp->left)
    for (int i = 0; i < pad; i++, written++) serial_putc(' ');
  return written;
}

/* Digits of v in base 10 or 16, written backwards from end; returns the first digit's address. */
static char *digits64(uint64_t v, unsigned base, int upper, char *end) {
  const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char *p = end;
  do {
    *--p = set[v % base];
    v /= base;
  } while (v != 0);
  return p;
}

static char *digits32(uint32_t v, unsigned base, int upper, char *end) {
  const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char *p = end;
  do {
    *--p = set[v % base];
    v /= base;
  } while (v != 0);
  return p;
}

int vprintf(const char *fmt, va_list ap) {
  int written = 0;
  char buf[24];
  char *const end = buf + sizeof buf;

  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      serial_putc(*fmt);
      written++;
      continue;
    }
    struct spec sp = {0, 0, 0, 0};
    fmt++;
    for (;; fmt++) {
      if (*fmt == '0') sp.zero_pad = 1;
      else if (*fmt == '-') sp.left = 1;
      else if (*fmt == '+') sp.plus = 1;
      else break;
    }
    while (*fmt >= '0' && *fmt <= '9') sp.width = sp.width * 10 + (*fmt++ - '0');
    int longs = 0;
    while (*fmt == 'l') {
      longs++;
      fmt++;
    }
    const int wide = longs >= 2;
    const char *prefix = "";
    char *p;

    switch (*fmt) {
      case 'd':
      case 'i': {
        int64_t v = wide ? va_arg(ap, int64_t) : va_arg(ap, int32_t);
        uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        if (v < 0) prefix = "-";
        else if (sp.plus) prefix = "+";
        p = wide ? digits64(mag, 10, 0, end) : digits32((uint32_t)mag, 10, 0, end);
        written += emit_padded(&sp, prefix, p, (int)(end - p));
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        unsigned base = *fmt == 'u' ? 10 : 16;
        int upper = *fmt == 'X';
        p = wide ? digits64(va_arg(ap, uint64_t), base, upper, end)
                 : digits32(va_arg(ap, uint32_t), base, upper, end);
        written += emit_padded(&sp, prefix, p, (int)(end - p));
        break;
      }
      case 'p':
        p = digits32((uint32_t)(uintptr_t)va_arg(ap, void *), 16, 0, end);
        written += emit_padded(&sp, "0x", p, (int)(end - p));
        break;
      case 'c':
        buf[0] = (char)va_arg(ap, int);
        sp.zero_pad = 0;
        written += emit_padded(&sp, prefix, buf, 1);
        break;
      case 's': {
        const char *s = va_arg(ap, const char *);
        int len = 0;
        if (!s) s = "(null)";
        while (s[len]) len++;
        sp.zero_pad = 0;
        written += emit_padded(&sp, prefix, s, len);
        break;
      }
      case '%':
        serial_putc('%');
        written++;
        break;
      case '\0':
        return written; /* a lone '%' at the end */
      default:
        /* Unknown conversion: show it, so the mistake is visible in the output. */
        serial_putc('%');
        serial_putc(*fmt);
        written += 2;
        break;
    }
  }
  return written;
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}
