/* fuzz_json_strict.c - common/spec/json_strict.c, the strict RFC 8259 reader
 * every request body and spec goes through.
 *
 * Beyond "no crash, no leak, no UB": a document it accepts must print (cJSON)
 * and read back to an equal tree, and a refusal must say where (a message,
 * and a field that is a NUL-terminated string). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "spec/json_strict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char field[256];
    lm_error err = {{0}};
    cJSON *v = lm_json_parse_strict((const char *)data, size, field, sizeof field, &err);
    if (!v) {
        if (!err.msg[0] || memchr(field, '\0', sizeof field) == NULL) abort();
        return 0;
    }
    char *text = cJSON_PrintUnformatted(v);
    if (!text) abort();
    cJSON *again = lm_json_parse_strict(text, strlen(text), field, sizeof field, &err);
    if (!again || !cJSON_Compare(v, again, 1)) abort();
    cJSON_Delete(again);
    free(text);
    cJSON_Delete(v);
    return 0;
}
