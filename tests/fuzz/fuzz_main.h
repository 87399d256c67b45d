/*
 * fuzz_main.h — the replay driver shared by the fuzz targets. Built with -DSKV_LIBFUZZER the
 * targets link against libFuzzer, which supplies main(); otherwise this main() feeds every
 * file named on the command line (a directory means every file in it) to
 * LLVMFuzzerTestOneInput, so the checked-in corpus runs as an ordinary test.
 */
#ifndef SKV_FUZZ_MAIN_H
#define SKV_FUZZ_MAIN_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef SKV_LIBFUZZER
static int fuzz_replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 1 << 16, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    fclose(f);
    if (!buf) return -1;
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    int passed = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            while (d && (e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.') continue;
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
                if (fuzz_replay_file(path) == 0)
                    passed++;
                else
                    failed++;
            }
            if (d) closedir(d);
        } else if (fuzz_replay_file(argv[i]) == 0) {
            passed++;
        } else {
            fprintf(stderr, "cannot read %s\n", argv[i]);
            failed++;
        }
    }
    /* an empty corpus proves nothing: fail it */
    if (passed == 0) failed++;
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
#endif

#endif /* SKV_FUZZ_MAIN_H */
