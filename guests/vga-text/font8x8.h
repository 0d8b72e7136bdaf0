/*
 * vga-text's 8x8 font, drawn for this guest: the characters its text uses (space, , - . / 0-9
 * : = A-Z). One string per pixel row, top first; 'X' is ink, '.' is paper. The host model
 * (guests/vga-models/text-model.ts) reads this file, so the two cannot drift apart.
 */
#ifndef VGA_TEXT_FONT8X8_H
#define VGA_TEXT_FONT8X8_H

struct glyph {
  char ch;
  const char *rows[8];
};

static const struct glyph font8x8[] = {
    {' ', {"........", "........", "........", "........", "........", "........", "........", "........"}},
    {',', {"........", "........", "........", "........", "........", "...XX...", "...XX...", "..XX...."}},
    {'-', {"........", "........", "........", ".XXXXX..", "........", "........", "........", "........"}},
    {'.', {"........", "........", "........", "........", "........", "...XX...", "...XX...", "........"}},
    {'/', {".....XX.", ".....XX.", "....XX..", "...XX...", "..XX....", ".XX.....", "XX......", "........"}},
    {'0', {".XXXXX..", "XX...XX.", "XX..XXX.", "XX.X.XX.", "XXX..XX.", "XX...XX.", ".XXXXX..", "........"}},
    {'1', {"...XX...", "..XXX...", ".XXXX...", "...XX...", "...XX...", "...XX...", ".XXXXXX.", "........"}},
    {'2', {".XXXXX..", "XX...XX.", ".....XX.", "...XXX..", ".XXX....", "XX......", "XXXXXXX.", "........"}},
    {'3', {".XXXXX..", "XX...XX.", ".....XX.", "..XXXX..", ".....XX.", "XX...XX.", ".XXXXX..", "........"}},
    {'4', {"....XX..", "...XXX..", "..XXXX..", ".XX.XX..", "XXXXXXX.", "....XX..", "....XX..", "........"}},
    {'5', {"XXXXXXX.", "XX......", "XXXXXX..", ".....XX.", ".....XX.", "XX...XX.", ".XXXXX..", "........"}},
    {'6', {"..XXXX..", ".XX.....", "XX......", "XXXXXX..", "XX...XX.", "XX...XX.", ".XXXXX..", "........"}},
    {'7', {"XXXXXXX.", ".....XX.", "....XX..", "...XX...", "..XX....", "..XX....", "..XX....", "........"}},
    {'8', {".XXXXX..", "XX...XX.", "XX...XX.", ".XXXXX..", "XX...XX.", "XX...XX.", ".XXXXX..", "........"}},
    {'9', {".XXXXX..", "XX...XX.", "XX...XX.", ".XXXXXX.", ".....XX.", "....XX..", ".XXXX...", "........"}},
    {':', {"........", "...XX...", "...XX...", "........", "........", "...XX...", "...XX...", "........"}},
    {'=', {"........", "........", "XXXXXXX.", "........", "XXXXXXX.", "........", "........", "........"}},
    {'A', {"..XXX...", ".XX.XX..", "XX...XX.", "XX...XX.", "XXXXXXX.", "XX...XX.", "XX...XX.", "........"}},
    {'B', {"XXXXXX..", "XX...XX.", "XX...XX.", "XXXXXX..", "XX...XX.", "XX...XX.", "XXXXXX..", "........"}},
    {'C', {"..XXXX..", ".XX..XX.", "XX......", "XX......", "XX......", ".XX..XX.", "..XXXX..", "........"}},
    {'D', {"XXXXX...", "XX..XX..", "XX...XX.", "XX...XX.", "XX...XX.", "XX..XX..", "XXXXX...", "........"}},
    {'E', {"XXXXXXX.", "XX......", "XX......", "XXXXXX..", "XX......", "XX......", "XXXXXXX.", "........"}},
    {'F', {"XXXXXXX.", "XX......", "XX......", "XXXXXX..", "XX......", "XX......", "XX......", "........"}},
    {'G', {"..XXXX..", ".XX..XX.", "XX......", "XX.XXXX.", "XX...XX.", ".XX..XX.", "..XXXXX.", "........"}},
    {'H', {"XX...XX.", "XX...XX.", "XX...XX.", "XXXXXXX.", "XX...XX.", "XX...XX.", "XX...XX.", "........"}},
    {'I', {".XXXXXX.", "...XX...", "...XX...", "...XX...", "...XX...", "...XX...", ".XXXXXX.", "........"}},
    {'J', {"....XXX.", ".....XX.", ".....XX.", ".....XX.", "XX...XX.", "XX...XX.", ".XXXXX..", "........"}},
    {'K', {"XX...XX.", "XX..XX..", "XX.XX...", "XXXX....", "XX.XX...", "XX..XX..", "XX...XX.", "........"}},
    {'L', {"XX......", "XX......", "XX......", "XX......", "XX......", "XX......", "XXXXXXX.", "........"}},
    {'M', {"XX...XX.", "XXX.XXX.", "XXXXXXX.", "XX.X.XX.", "XX...XX.", "XX...XX.", "XX...XX.", "........"}},
    {'N', {"XX...XX.", "XXX..XX.", "XXXX.XX.", "XX.XXXX.", "XX..XXX.", "XX...XX.", "XX...XX.", "........"}},
    {'O', {".XXXXX..", "XX...XX.", "XX...XX.", "XX...XX.", "XX...XX.", "XX...XX.", ".XXXXX..", "........"}},
    {'P', {"XXXXXX..", "XX...XX.", "XX...XX.", "XXXXXX..", "XX......", "XX......", "XX......", "........"}},
    {'Q', {".XXXXX..", "XX...XX.", "XX...XX.", "XX...XX.", "XX.X.XX.", "XX..XX..", ".XXX.XX.", "........"}},
    {'R', {"XXXXXX..", "XX...XX.", "XX...XX.", "XXXXXX..", "XX.XX...", "XX..XX..", "XX...XX.", "........"}},
    {'S', {".XXXXX..", "XX...XX.", "XX......", ".XXXXX..", ".....XX.", "XX...XX.", ".XXXXX..", "........"}},
    {'T', {"XXXXXXX.", "...XX...", "...XX...", "...XX...", "...XX...", "...XX...", "...XX...", "........"}},
    {'U', {"XX...XX.", "XX...XX.", "XX...XX.", "XX...XX.", "XX...XX.", "XX...XX.", ".XXXXX..", "........"}},
    {'V', {"XX...XX.", "XX...XX.", "XX...XX.", "XX...XX.", ".XX.XX..", "..XXX...", "...X....", "........"}},
    {'W', {"XX...XX.", "XX...XX.", "XX...XX.", "XX.X.XX.", "XXXXXXX.", "XXX.XXX.", "XX...XX.", "........"}},
    {'X', {"XX...XX.", ".XX.XX..", "..XXX...", "..XXX...", "..XXX...", ".XX.XX..", "XX...XX.", "........"}},
    {'Y', {"XX...XX.", "XX...XX.", ".XX.XX..", "..XXX...", "..XXX...", "..XXX...", "..XXX...", "........"}},
    {'Z', {"XXXXXXX.", ".....XX.", "....XX..", "...XX...", "..XX....", ".XX.....", "XXXXXXX.", "........"}},
};

#define FONT8X8_GLYPHS (sizeof font8x8 / sizeof font8x8[0])

#endif
