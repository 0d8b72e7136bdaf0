/* Runs the x87 guest's categories (guests/x87/x87-checks.c) natively: the silicon's answer. */
#include <stdio.h>

void x87_checks(void);

int main(void) {
  x87_checks();
  return 0;
}
