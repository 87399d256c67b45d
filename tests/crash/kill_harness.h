/*
 * kill_harness.h — the SIGKILL harness shared by the kill tests (test_kill.c,
 * test_kill_restore.c): a child process runs a writer that reports its steps as lines on a
 * pipe; the parent reads them until a deadline, sends SIGKILL, reads the rest and reaps the
 * child. Also a random mix function, a monotonic clock and removing a directory tree.
 * Header-only (static functions); include after test.h.
 */
#ifndef SKV_TESTS_KILL_HARNESS_H
#define SKV_TESTS_KILL_HARNESS_H

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t kill_mix(uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t kill_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Unbuffered, whole line (a pipe write below PIPE_BUF is atomic). */
static void kill_say(int fd, const char *tag, uint64_t i) {
    char line[48];
    int n = snprintf(line, sizeof line, "%s %" PRIu64 "\n", tag, i);
    ssize_t w;
    do w = write(fd, line, (size_t)n);
    while (w < 0 && errno == EINTR);
    if (w != n) _exit(5);
}

/* Removes a directory tree (best effort). */
static void kill_rmtree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
                size_t n = strlen(path) + strlen(e->d_name) + 2;
                char *p = malloc(n);
                if (!p) continue;
                snprintf(p, n, "%s/%s", path, e->d_name);
                kill_rmtree(p);
                free(p);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* What the pipe said in one cycle (last_a, last_b: for the caller's parser). */
typedef struct {
    uint64_t last_a, last_b; /* 0: none */
    int error;               /* an "E" line or a protocol violation */
    char *text;
    size_t len, cap;
} KillLog;

static void kill_log_add(KillLog *lg, const char *buf, size_t n) {
    if (lg->len + n + 1 > lg->cap) {
        size_t cap = lg->cap ? lg->cap : 4096;
        while (cap < lg->len + n + 1) cap *= 2;
        char *t = realloc(lg->text, cap);
        if (!t) {
            lg->error = 1;
            return;
        }
        lg->text = t;
        lg->cap = cap;
    }
    memcpy(lg->text + lg->len, buf, n);
    lg->len += n;
    lg->text[lg->len] = '\0';
}

/* One cycle: forks a child running child(ctx, fd) (it must never return: it is killed),
 * collects what it writes to fd into *lg for delay_ms, kills it with SIGKILL, reads the rest
 * and reaps it (*status). Returns 0, or -1 when the pipe or the fork failed. */
static int kill_cycle(void (*child)(void *ctx, int fd), void *ctx, uint64_t delay_ms, KillLog *lg,
                      int *status) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child(ctx, fds[1]);
        _exit(6);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    uint64_t deadline = kill_now_ms() + delay_ms;
    char buf[4096];
    int eof = 0;
    for (;;) { /* read until the deadline (the child never blocks on a full pipe) */
        uint64_t now = kill_now_ms();
        if (now >= deadline) break;
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int pr = poll(&pfd, 1, (int)(deadline - now));
        if (pr <= 0) continue;
        ssize_t r = read(fds[0], buf, sizeof buf);
        if (r > 0)
            kill_log_add(lg, buf, (size_t)r);
        else if (r == 0) {
            eof = 1;
            break;
        }
    }
    kill(pid, SIGKILL);
    while (!eof) {
        ssize_t r = read(fds[0], buf, sizeof buf);
        if (r > 0)
            kill_log_add(lg, buf, (size_t)r);
        else if (r == 0 || errno != EINTR)
            eof = 1;
    }
    close(fds[0]);
    *status = 0;
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {}
    return 0;
}

#endif /* SKV_TESTS_KILL_HARNESS_H */
