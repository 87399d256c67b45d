/*
 * scratch_dir.h — a scratch directory on the real file system for tests that need real files
 * (mmap, hard links, separate processes): scratch_remove() deletes it and everything under it
 * without a shell.
 */
#ifndef SKV_TEST_SCRATCH_DIR_H
#define SKV_TEST_SCRATCH_DIR_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Removes path and everything under it; 0, or -1 when something could not be removed. */
static inline int scratch_remove(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) return unlink(path);
    DIR *d = opendir(path);
    if (!d) return -1;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char child[1024];
        if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) >= (int)sizeof child)
            rc = -1;
        else
            rc = scratch_remove(child);
    }
    closedir(d);
    return rc == 0 ? rmdir(path) : rc;
}

#endif /* SKV_TEST_SCRATCH_DIR_H */
