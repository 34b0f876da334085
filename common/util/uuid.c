/* uuid.c - the canonical text of a UUID. */
#include "util/uuid.h"

#include <string.h>

int lm_uuid_ok(const char *s) {
    if (!s || strlen(s) != LM_UUID_LEN) return 0;
    for (int i = 0; i < LM_UUID_LEN; i++) {
        char c = s[i];
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
    }
    return 1;
}
