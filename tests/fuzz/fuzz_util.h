/* fuzz_util.h - what the libFuzzer targets of tests/fuzz share: a private
 * scratch folder for parsers that read files, and splitting one input into
 * the several files or strings a parser takes. */
#ifndef LM_FUZZ_UTIL_H
#define LM_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The separator between the parts of a multi-part input (vocab.json and
 * merges.txt, a template and its sentences, ...).  It cannot occur inside
 * the JSON or line-based texts the parts hold, so a seed stays readable. */
#define FUZZ_SEP "\n%%\n"

/* This process's scratch folder, made on first use under $TMPDIR (or /tmp)
 * and removed at exit. */
const char *fuzz_dir(void);

/* Writes data to fuzz_dir()/name, replacing it; returns the path (a new
 * string) or aborts, as a harness cannot go on without its file. */
char *fuzz_write(const char *name, const void *data, size_t n);

/* Removes fuzz_dir()/name if it exists. */
void fuzz_remove(const char *name);

/* Splits data at FUZZ_SEP into at most max parts: part i is
 * data[off[i] .. off[i] + len[i]).  Returns the number of parts (>= 1); the
 * last part holds the rest, separators included. */
int fuzz_split(const uint8_t *data, size_t n, int max, size_t *off, size_t *len);

/* A NUL-terminated copy of data[0..n) (new string). */
char *fuzz_strndup(const uint8_t *data, size_t n);

/* The folder of the repository (LM_SOURCE_ROOT, set by meson), for the
 * fixtures a harness loads once (a tokenizer, a spec). */
const char *fuzz_source_root(void);

#endif
