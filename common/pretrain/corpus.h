/* corpus.h - plain-text corpus files (.txt or .txt.gz, one document a line)
 * read line by line, round-robin over the files so that every source is
 * represented from the first batch on.  A file that ends starts again (next
 * epoch).  The read position is a few integers, so a run can save it and
 * resume exactly (lm_corpus_seek replays the skipped lines, no tokenizing). */
#ifndef LM_PRETRAIN_CORPUS_H
#define LM_PRETRAIN_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

typedef struct lm_corpus {
    int n_files;
    char **paths;
    void **gz;           /* gzFile per file */
    uint64_t *lines;     /* lines read from each file, over all epochs */
    uint64_t *epoch_lines; /* lines of one epoch, 0 until the file first ended */
    uint64_t turn;       /* lines returned: the next file is turn % n_files */
    char *buf;
    size_t cap;
} lm_corpus;

/* Opens the files (zlib reads plain text as well as gzip). */
int lm_corpus_open(lm_corpus *c, const char *const *paths, int n, lm_error *err);
void lm_corpus_close(lm_corpus *c);

/* The next non-empty line (without its newline) in *line and *len; valid until
 * the next call.  -1 on a read error or an empty file. */
int lm_corpus_next(lm_corpus *c, const char **line, size_t *len, lm_error *err);

/* Moves to the position where `turn` lines were returned and file i had
 * given lines[i] lines (from a saved state). */
int lm_corpus_seek(lm_corpus *c, uint64_t turn, const uint64_t *lines, lm_error *err);

#endif
