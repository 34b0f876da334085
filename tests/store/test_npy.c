/* test_npy.c - store/npy: byte layout against files numpy wrote
 * (tests/fixtures/store, made by make_npy.py), round trips, refusals.
 *
 *   test_npy FIXTURE_DIR            the test
 *   test_npy FIXTURE_DIR --write D  also writes the fixture arrays with the C
 *                                   writer into D, for make_npy.py --verify */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../check.h"
#include "store/npy.h"
#include "util/file.h"

static const char *fx_dir;
static char tmp_dir[] = "/tmp/lmntk-test-npy-XXXXXX";

/* The arrays of make_npy.py's arrays(), built in C. */
typedef struct {
    const char *name;
    lm_npy_dtype t;
    int rank;
    int64_t shape[8];
} fixture;

static const fixture fixtures[] = {
    {"f8_2x3", LM_NPY_F8, 2, {2, 3}},
    {"f4_scalar", LM_NPY_F4, 0, {0}},
    {"i8_5", LM_NPY_I8, 1, {5}},
    {"i4_0x4", LM_NPY_I4, 2, {0, 4}},
    {"f4_2x3x4x5", LM_NPY_F4, 4, {2, 3, 4, 5}},
    {"i4_1x1x1x1x1x1x1x7", LM_NPY_I4, 8, {1, 1, 1, 1, 1, 1, 1, 7}},
};

static size_t count(const fixture *f) {
    size_t n = 1;
    for (int i = 0; i < f->rank; i++) n *= (size_t)f->shape[i];
    return n;
}

static void *fixture_data(const fixture *f) {
    size_t n = count(f);
    void *p = calloc(n ? n : 1, 8);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f->name, "f8_2x3") == 0) ((double *)p)[i] = (double)i * 0.5 - 1.0;
        else if (strcmp(f->name, "f4_scalar") == 0) ((float *)p)[i] = 3.5f;
        else if (strcmp(f->name, "i8_5") == 0) ((int64_t *)p)[i] = (int64_t)i - 2;
        else if (strcmp(f->name, "f4_2x3x4x5") == 0) ((float *)p)[i] = (float)i;
        else if (f->t == LM_NPY_I4) ((int32_t *)p)[i] = (int32_t)i * -3;
    }
    return p;
}

static char *fx_path(const char *name) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s.npy", name);
    return lm_path_join(fx_dir, buf);
}

/* numpy's file -> our reader: dtype, shape, values. */
static void test_read_numpy_files(void) {
    lm_error err;
    for (size_t k = 0; k < sizeof fixtures / sizeof fixtures[0]; k++) {
        const fixture *f = &fixtures[k];
        char *path = fx_path(f->name);
        lm_npy a;
        int rc = lm_npy_read(path, &a, &err);
        CHECK_MSG(rc == 0, "%s: %s", f->name, err.msg);
        if (rc == 0) {
            CHECK(a.dtype == f->t);
            CHECK_MSG(a.rank == f->rank, "%s rank %d", f->name, a.rank);
            for (int i = 0; i < f->rank; i++) CHECK(a.shape[i] == f->shape[i]);
            void *want = fixture_data(f);
            CHECK(a.nbytes == count(f) * lm_npy_dtype_size(f->t));
            CHECK_MSG(a.nbytes == 0 || memcmp(a.data, want, a.nbytes) == 0, "%s values", f->name);
            CHECK(((uintptr_t)a.data & 63) == 0);
            free(want);
        }
        lm_npy_free(&a);
        free(path);
    }
    /* Format 2.0 */
    char *path = fx_path("f8_3_v2");
    lm_npy a;
    CHECK(lm_npy_read(path, &a, &err) == 0);
    CHECK(a.rank == 1 && a.shape[0] == 3 && a.dtype == LM_NPY_F8);
    CHECK(a.data && ((double *)a.data)[2] == 2.0);
    lm_npy_free(&a);
    free(path);
}

/* Our writer -> the exact bytes numpy wrote (header layout, padding to 64,
 * growth-axis spaces, data). */
static void test_write_matches_numpy_bytes(const char *write_dir) {
    lm_error err;
    for (size_t k = 0; k < sizeof fixtures / sizeof fixtures[0]; k++) {
        const fixture *f = &fixtures[k];
        char *path = fx_path(f->name);
        size_t want_len = 0;
        char *want = lm_read_file(path, &want_len, &err);
        CHECK_MSG(want != NULL, "%s", err.msg);
        void *data = fixture_data(f);
        void *got = NULL;
        size_t got_len = 0;
        CHECK(lm_npy_encode(f->t, f->rank, f->shape, data, &got, &got_len, &err) == 0);
        CHECK_MSG(want && got && got_len == want_len && memcmp(got, want, want_len) == 0,
                  "%s: C bytes differ from np.save (%zu vs %zu bytes)", f->name, got_len, want_len);
        char hdr[2048];
        size_t hlen = 0;
        CHECK(lm_npy_header(f->t, f->rank, f->shape, hdr, sizeof hdr, &hlen, &err) == 0);
        CHECK(hlen % 64 == 0 && hdr[hlen - 1] == '\n');

        /* The file writer gives the same bytes. */
        char name[128];
        snprintf(name, sizeof name, "%s.npy", f->name);
        char *out = lm_path_join(write_dir ? write_dir : tmp_dir, name);
        CHECK(lm_npy_write(out, f->t, f->rank, f->shape, data, &err) == 0);
        size_t back_len = 0;
        char *back = lm_read_file(out, &back_len, &err);
        CHECK(back && back_len == want_len && memcmp(back, want, want_len) == 0);
        free(back);
        free(out);
        free(got);
        free(data);
        free(want);
        free(path);
    }
}

static void test_round_trips(void) {
    lm_error err;
    /* Every dtype, ranks 0..5 with a zero-sized case, via file and memory. */
    for (int t = 0; t < 4; t++) {
        for (int rank = 0; rank <= 5; rank++) {
            int64_t shape[5];
            size_t n = 1;
            for (int i = 0; i < rank; i++) {
                shape[i] = (rank == 3 && i == 1) ? 0 : 2 + i;
                n *= (size_t)shape[i];
            }
            size_t es = lm_npy_dtype_size((lm_npy_dtype)t);
            unsigned char *data = malloc(n * es + 1);
            for (size_t i = 0; i < n * es; i++) data[i] = (unsigned char)(i * 31 + (size_t)t);
            char *path = lm_path_join(tmp_dir, "rt.npy");
            lm_npy a;
            CHECK(lm_npy_write(path, (lm_npy_dtype)t, rank, shape, data, &err) == 0);
            CHECK(lm_npy_read(path, &a, &err) == 0);
            CHECK(a.dtype == (lm_npy_dtype)t && a.rank == rank && a.nbytes == n * es);
            for (int i = 0; i < rank; i++) CHECK(a.shape[i] == shape[i]);
            CHECK(n == 0 || memcmp(a.data, data, n * es) == 0);
            lm_npy_free(&a);
            /* the header alone: what the daemon lists artifacts with */
            CHECK(lm_npy_read_header(path, &a, &err) == 0);
            CHECK(a.dtype == (lm_npy_dtype)t && a.rank == rank && a.nbytes == n * es && !a.data);
            for (int i = 0; i < rank; i++) CHECK(a.shape[i] == shape[i]);
            void *buf;
            size_t len;
            CHECK(lm_npy_encode((lm_npy_dtype)t, rank, shape, data, &buf, &len, &err) == 0);
            CHECK(lm_npy_decode(buf, len, &a, &err) == 0);
            CHECK(a.rank == rank && a.nbytes == n * es && (n == 0 || memcmp(a.data, data, n * es) == 0));
            lm_npy_free(&a);
            free(buf);
            free(path);
            free(data);
        }
    }
    /* Rank 32, numpy's limit. */
    int64_t shape[LM_NPY_MAX_RANK];
    for (int i = 0; i < LM_NPY_MAX_RANK; i++) shape[i] = 1;
    shape[31] = 3;
    double v[3] = {1, 2, 3};
    void *buf;
    size_t len;
    lm_npy a;
    CHECK(lm_npy_encode(LM_NPY_F8, LM_NPY_MAX_RANK, shape, v, &buf, &len, &err) == 0);
    CHECK(lm_npy_decode(buf, len, &a, &err) == 0 && a.rank == 32 && ((double *)a.data)[2] == 3);
    lm_npy_free(&a);
    free(buf);
}

static void expect_read_fails(const char *name, const char *needle) {
    lm_error err;
    lm_npy a;
    char *path = fx_path(name);
    CHECK_MSG(lm_npy_read(path, &a, &err) != 0, "%s read", name);
    CHECK_MSG(strstr(err.msg, needle) != NULL, "%s: \"%s\" lacks \"%s\"", name, err.msg, needle);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(a.data == NULL);
    free(path);
}

static void expect_decode_fails(const void *buf, size_t len, const char *needle) {
    lm_error err;
    lm_npy a;
    CHECK(lm_npy_decode(buf, len, &a, &err) != 0);
    CHECK_MSG(strstr(err.msg, needle) != NULL, "\"%s\" lacks \"%s\"", err.msg, needle);
    CHECK(a.data == NULL);
}

static void test_refusals(void) {
    expect_read_fails("bad_fortran", "Fortran");
    expect_read_fails("bad_bigendian", ">f8");
    expect_read_fails("bad_u1", "|u1");
    expect_read_fails("no_such_file", "cannot open");

    lm_error err;
    int64_t shape[2] = {2, 3};
    double d[6] = {0};
    void *buf;
    size_t len;
    CHECK(lm_npy_encode(LM_NPY_F8, 2, shape, d, &buf, &len, &err) == 0);
    expect_decode_fails(buf, len - 1, "data is 47 bytes");
    char *more = malloc(len + 1);
    memcpy(more, buf, len);
    more[len] = 0;
    expect_decode_fails(more, len + 1, "data is 49 bytes");
    memcpy(more, buf, len);
    more[1] = 'X';
    expect_decode_fails(more, len, "magic");
    memcpy(more, buf, len);
    more[6] = 9;
    expect_decode_fails(more, len, "version 9");
    memcpy(more, buf, len);
    memcpy(more + 10, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }", 60);
    expect_decode_fails(more, len, "dimension");
    memcpy(more, buf, len);
    memcpy(more + 10, "{'descr': '<f8', 'shape': (2, 3), 'shape': (2, 3)}   ", 53);
    expect_decode_fails(more, len, "repeated key 'shape'");
    expect_decode_fails(buf, 9, "magic");
    free(more);
    free(buf);

    /* Truncated file on disk. */
    char *path = lm_path_join(tmp_dir, "trunc.npy");
    CHECK(lm_npy_write(path, LM_NPY_F8, 2, shape, d, &err) == 0);
    CHECK(truncate(path, 128 + 40) == 0);
    lm_npy a;
    CHECK(lm_npy_read(path, &a, &err) != 0 && strstr(err.msg, "truncated"));
    CHECK(lm_npy_read_header(path, &a, &err) != 0 && strstr(err.msg, "does not match the shape"));
    CHECK(truncate(path, 100) == 0);
    CHECK(lm_npy_read_header(path, &a, &err) != 0 && strstr(err.msg, "truncated header"));
    CHECK(lm_npy_read(path, &a, &err) != 0 && strstr(err.msg, "truncated header"));
    free(path);

    /* Negative dims and overflow are refused on write too. */
    int64_t bad[2] = {-1, 3}, huge[3] = {INT64_C(1) << 40, INT64_C(1) << 40, 16};
    CHECK(lm_npy_encode(LM_NPY_F8, 2, bad, d, &buf, &len, &err) != 0);
    CHECK(lm_npy_encode(LM_NPY_F8, 3, huge, d, &buf, &len, &err) != 0 && strstr(err.msg, "overflow"));
    CHECK(lm_npy_encode(LM_NPY_F8, 33, huge, d, &buf, &len, &err) != 0);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_npy FIXTURE_DIR [--write DIR]\n");
        return 2;
    }
    fx_dir = argv[1];
    const char *write_dir = (argc == 4 && strcmp(argv[2], "--write") == 0) ? argv[3] : NULL;
    CHECK(mkdtemp(tmp_dir) != NULL);
    test_read_numpy_files();
    test_write_matches_numpy_bytes(write_dir);
    test_round_trips();
    test_refusals();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_dir);
    return check_exit("test_npy");
}
