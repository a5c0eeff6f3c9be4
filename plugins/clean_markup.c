/*
 * clean_markup.c - recognising the tags that HTML extraction leaves in
 * the text ("<Depute>", "</Commission>", "<RepeatBlock-By>") and the
 * "{CODE}" that opens some elements' content. Only a well-formed tag on
 * one line counts, so that a lone "<" in running text ("a < b") stays.
 */
#include "clean_internal.h"

#define MAX_NAME 64
#define MAX_TAG 256

static int name_start(char c) { return (unsigned)(((unsigned char)c | 0x20) - 'a') < 26u; }

static int name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == ':';
}

size_t gloss__clean_tag(const char *s, size_t pos, size_t end,
                        const char **name, size_t *name_len, int *closing,
                        int *empty)
{
    size_t i = pos + 1, limit = end - pos > MAX_TAG ? pos + MAX_TAG : end;
    *closing = i < limit && s[i] == '/';
    if (*closing)
        i++;
    size_t n0 = i;
    if (i >= limit || !name_start(s[i]))
        return 0;
    while (i < limit && i - n0 < MAX_NAME && name_char(s[i]))
        i++;
    *name = s + n0;
    *name_len = i - n0;
    *empty = 0;
    if (i < limit && s[i] == ' ' && !*closing) {
        /* Attributes: anything up to '>' that opens no other tag. */
        while (i < limit && s[i] != '>' && s[i] != '<')
            i++;
    }
    if (i < limit && s[i] == '/' && !*closing) {
        *empty = 1;
        i++;
    }
    if (i >= limit || s[i] != '>')
        return 0;
    if (i > pos && s[i - 1] == '/' && !*closing)
        *empty = 1;
    return i + 1 - pos;
}

size_t gloss__clean_code(const char *s, size_t pos, size_t end)
{
    if (pos >= end || s[pos] != '{')
        return 0;
    size_t i = pos + 1;
    while (i < end && i - pos <= 33) {
        char c = s[i];
        if (c == '}')
            return i > pos + 1 ? i + 1 - pos : 0;
        if (!(name_char(c) || c == '&' || c == '/' || c == '+'))
            return 0;
        i++;
    }
    return 0;
}
