/*
 * test_env.c — the POSIX env in a temporary directory: files, append and read, size and
 * truncate, rename, list, remove, exists, locks (twice in this process, after unlock, held
 * by a child process), the clocks, threads and the whole-file helpers.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"
#include "env/env.h"
#include "test.h"

static char g_dir[64];

/* Creates a fresh temp dir; 0 on failure. */
static int make_tmp(void) {
    strcpy(g_dir, "/tmp/skv_test_env_XXXXXX");
    return mkdtemp(g_dir) != NULL;
}

static void path_in(char *out, size_t n, const char *name) {
    snprintf(out, n, "%s/%s", g_dir, name);
}

/* Removes every entry of the temp dir and the dir itself. */
static void remove_tmp(void) {
    SkvEnv *env = skv__env_posix();
    char **names;
    size_t count;
    if (env->list(env, g_dir, &names, &count) == SKV_OK) {
        for (size_t i = 0; i < count; i++) {
            char p[256];
            path_in(p, sizeof p, names[i]);
            env->remove(env, p);
        }
        skv__env_free_list(names, count);
    }
    env->remove(env, g_dir);
}

static void test_files(void) {
    SkvEnv *env = skv__env_posix();
    CHECK(make_tmp());
    char p[256];
    path_in(p, sizeof p, "a.txt");
    SkvFile *f;
    CHECK_RC(env->open(env, p, SKV_ENV_READ, &f), SKV_NOTFOUND);
    CHECK(strstr(skv__errmsg_get(), "a.txt") != NULL);
    CHECK_RC(env->open(env, p, SKV_ENV_TRUNCATE, &f), SKV_OK);
    CHECK_RC(env->append(f, "hello ", 6), SKV_OK);
    CHECK_RC(env->append(f, "world", 5), SKV_OK);
    CHECK_RC(env->sync(f), SKV_OK);
    uint64_t sz;
    CHECK_RC(env->size(f, &sz), SKV_OK);
    CHECK_EQ_U64(sz, 11);
    char buf[32];
    size_t got;
    CHECK_RC(env->read_at(f, 6, buf, sizeof buf, &got), SKV_OK);
    CHECK_MEM(buf, got, "world");
    CHECK_RC(env->read_at(f, 100, buf, sizeof buf, &got), SKV_OK);
    CHECK_EQ_U64(got, 0);
    CHECK_RC(env->truncate(f, 5), SKV_OK);
    CHECK_RC(env->size(f, &sz), SKV_OK);
    CHECK_EQ_U64(sz, 5);
    CHECK_RC(env->close(f), SKV_OK);

    /* APPEND keeps the content */
    CHECK_RC(env->open(env, p, SKV_ENV_APPEND, &f), SKV_OK);
    CHECK_RC(env->append(f, "!", 1), SKV_OK);
    CHECK_RC(env->close(f), SKV_OK);
    char *data;
    size_t len;
    CHECK_RC(skv__env_read_file(env, p, &data, &len), SKV_OK);
    CHECK_MEM(data, len, "hello!");
    free(data);

    /* TRUNCATE empties it; READ handles cannot append */
    CHECK_RC(skv__env_write_file_sync(env, p, "xyz", 3), SKV_OK);
    CHECK_RC(skv__env_read_file(env, p, &data, &len), SKV_OK);
    CHECK_MEM(data, len, "xyz");
    free(data);
    CHECK_RC(env->open(env, p, SKV_ENV_READ, &f), SKV_OK);
    CHECK(env->append(f, "q", 1) != SKV_OK);
    CHECK_RC(env->close(f), SKV_OK);
    CHECK_RC(env->sync_dir(env, g_dir), SKV_OK);
    remove_tmp();
}

static void test_names(void) {
    SkvEnv *env = skv__env_posix();
    CHECK(make_tmp());
    char a[256], b[256], sub[256], missing[256];
    path_in(a, sizeof a, "a");
    path_in(b, sizeof b, "b");
    path_in(sub, sizeof sub, "sub");
    path_in(missing, sizeof missing, "nope/x");
    int is_dir = -1;
    CHECK_RC(env->exists(env, a, &is_dir), SKV_NOTFOUND);
    CHECK_RC(env->exists(env, g_dir, &is_dir), SKV_OK);
    CHECK(is_dir == 1);
    CHECK_RC(skv__env_write_file_sync(env, a, "1", 1), SKV_OK);
    CHECK_RC(skv__env_write_file_sync(env, b, "22", 2), SKV_OK);
    CHECK_RC(env->exists(env, a, &is_dir), SKV_OK);
    CHECK(is_dir == 0);
    CHECK_RC(env->mkdir(env, sub), SKV_OK);
    CHECK_RC(env->mkdir(env, sub), SKV_OK); /* exists: OK */
    CHECK_RC(env->mkdir(env, a), SKV_EIO);  /* a file */
    CHECK_RC(skv__env_write_file_sync(env, missing, "x", 1), SKV_NOTFOUND);

    char **names;
    size_t count;
    CHECK_RC(env->list(env, g_dir, &names, &count), SKV_OK);
    CHECK_EQ_U64(count, 3);
    CHECK(strcmp(names[0], "a") == 0 && strcmp(names[1], "b") == 0 && strcmp(names[2], "sub") == 0);
    skv__env_free_list(names, count);

    /* rename replaces atomically */
    CHECK_RC(env->rename(env, a, b), SKV_OK);
    CHECK_RC(env->exists(env, a, NULL), SKV_NOTFOUND);
    char *data;
    size_t len;
    CHECK_RC(skv__env_read_file(env, b, &data, &len), SKV_OK);
    CHECK_MEM(data, len, "1");
    free(data);
    CHECK_RC(env->rename(env, a, b), SKV_NOTFOUND);
    CHECK_RC(skv__env_read_file(env, a, &data, &len), SKV_NOTFOUND);

    CHECK_RC(env->remove(env, b), SKV_OK);
    CHECK_RC(env->remove(env, b), SKV_NOTFOUND);
    CHECK_RC(env->remove(env, sub), SKV_OK);
    CHECK_RC(env->list(env, g_dir, &names, &count), SKV_OK);
    CHECK_EQ_U64(count, 0);
    skv__env_free_list(names, count);
    CHECK_RC(env->list(env, missing, &names, &count), SKV_NOTFOUND);
    CHECK_RC(env->sync_dir(env, missing), SKV_NOTFOUND);
    remove_tmp();
}

static void test_lock(void) {
    SkvEnv *env = skv__env_posix();
    CHECK(make_tmp());
    char p[256];
    path_in(p, sizeof p, "LOCK");
    SkvFileLock *l1, *l2;
    CHECK_RC(env->lock(env, p, &l1), SKV_OK);
    CHECK_RC(env->exists(env, p, NULL), SKV_OK); /* created */
    CHECK_RC(env->lock(env, p, &l2), SKV_ELOCKED);
    env->unlock(l1);
    CHECK_RC(env->lock(env, p, &l2), SKV_OK);
    env->unlock(l2);
    remove_tmp();
}

static void test_lock_other_process(void) {
    SkvEnv *env = skv__env_posix();
    CHECK(make_tmp());
    char p[256];
    path_in(p, sizeof p, "LOCK");
    int to_parent[2], to_child[2];
    CHECK(pipe(to_parent) == 0 && pipe(to_child) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        SkvFileLock *l;
        char c = env->lock(env, p, &l) == SKV_OK ? 'y' : 'n';
        if (write(to_parent[1], &c, 1) != 1) _exit(2);
        if (read(to_child[0], &c, 1) != 1) _exit(3);
        if (c == 'y') env->unlock(l);
        _exit(0);
    }
    char c = 0;
    CHECK(read(to_parent[0], &c, 1) == 1);
    CHECK(c == 'y');
    SkvFileLock *l;
    int rc = env->lock(env, p, &l);
    c = 'y';
    CHECK(write(to_child[1], &c, 1) == 1);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_RC(rc, SKV_ELOCKED);
    /* the child has exited: free again */
    CHECK_RC(env->lock(env, p, &l), SKV_OK);
    env->unlock(l);
    close(to_parent[0]);
    close(to_parent[1]);
    close(to_child[0]);
    close(to_child[1]);
    remove_tmp();
}

static void bump(void *arg) { *(int *)arg += 1; }

static void test_clock_threads(void) {
    SkvEnv *env = skv__env_posix();
    uint64_t t0 = env->mono_ns(env), t1 = env->mono_ns(env);
    CHECK(t1 >= t0);
    CHECK(env->now_ns(env) > 1600000000ull * 1000000000ull); /* after 2020 */
    int v = 41;
    SkvThread *t;
    CHECK_RC(env->thread_start(env, bump, &v, &t), SKV_OK);
    env->thread_join(t);
    CHECK(v == 42);
}

static const TestCase TESTS[] = {
    {"files", test_files},
    {"names", test_names},
    {"lock", test_lock},
    {"lock_other_process", test_lock_other_process},
    {"clock_threads", test_clock_threads},
    {0, 0},
};

TEST_MAIN(TESTS)
