/*
 * skv_cli.c — the `skv` command-line tool: reads and writes one database through the public
 * C API only (skv.h, linked against libskv.so.1).
 *
 *   skv [--opt name=value]... [--hex] [--sync] <dbdir> put <key> <value>
 *   skv [...] <dbdir> get [--at TS] <key>    prints the value (as of timestamp TS with --at);
 *                                            exit 1 when the key is absent
 *   skv [...] <dbdir> delete <key>           hard delete (the key and its history)
 *   skv [...] <dbdir> scan [--reverse] [--limit N] [--keys-only] [<lo> [<hi>]]
 *                                            one "key<TAB>value" line per entry of [lo, hi)
 *   skv [...] <dbdir> history [--from TS] [--to TS] [--tombstones] [--limit N] <key>
 *                                            one "ts<TAB>kind<TAB>value" line per version of
 *                                            key, newest first (kind: set, soft_delete,
 *                                            replace)
 *   skv [...] <dbdir> stats                  prints skv_property("stats")
 *   skv [...] <dbdir> property <name>        prints any skv_property
 *   skv [...] <dbdir> flush                  memtables to table files (skv_flush)
 *   skv [...] <dbdir> compact                full compaction (skv_compact)
 *   skv [...] <dbdir> checkpoint <dest>      a consistent copy in the new directory dest
 *   skv [...] <dbdir> restore <src>          replaces the contents with the checkpoint src
 *   skv [...] <dbdir> check                  integrity check of the closed database: prints
 *                                            the report; exit 2 when it found a problem
 *
 * --opt passes an option to skv_options_set (repeatable). --hex: keys and values on the
 * command line and in the output are hex. --sync: writes commit with
 * SKV_DURABILITY_IMMEDIATE. history and get --at open the database with
 * enable_versioning=true unless an --opt sets it. Exit status: 0 success, 1 key not found, 2
 * any error, printed as "skv: <errname>: <errmsg>".
 */
#include <skv.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_NOTFOUND = 1, EXIT_ERROR = 2 };

typedef struct {
    unsigned char *data;
    size_t len;
} Bytes;

typedef struct {
    int hex;
    int sync;
    int versioning_set; /* an --opt named enable_versioning */
    skv_options *opts;
    const char *dir;
} Cli;

static void usage(FILE *out) {
    fputs("usage: skv [--opt name=value]... [--hex] [--sync] <dbdir> <command> [args]\n"
          "commands:\n"
          "  put <key> <value>\n"
          "  get [--at TS] <key>\n"
          "  delete <key>\n"
          "  scan [--reverse] [--limit N] [--keys-only] [<lo> [<hi>]]\n"
          "  history [--from TS] [--to TS] [--tombstones] [--limit N] <key>\n"
          "  stats\n"
          "  property <name>\n"
          "  flush\n"
          "  compact\n"
          "  checkpoint <dest>\n"
          "  restore <src>\n"
          "  check\n"
          "options:\n"
          "  --opt name=value   set a database option (see skv.h), repeatable\n"
          "  --hex              keys and values in arguments and output are hex\n"
          "  --sync             commit writes with immediate durability (fsync)\n"
          "  --version          print the library version\n"
          "history and get --at read the versions kept with enable_versioning (turned on for\n"
          "them unless --opt enable_versioning=... is given); TS is ns since the Unix epoch\n",
          out);
}

/* Prints "skv: <errname>: <errmsg>" (the message is copied before any other skv call) and
 * returns EXIT_ERROR. */
static int report(int rc) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", skv_errmsg());
    if (msg[0] == '\0') snprintf(msg, sizeof msg, "%s", skv_strerror(rc));
    fprintf(stderr, "skv: %s: %s\n", skv_errname(rc), msg);
    return EXIT_ERROR;
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int
usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("skv: SKV_EINVAL: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(skv --help prints the usage)\n", stderr);
    return EXIT_ERROR;
}

static int hex_digit(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes a command-line argument (hex when --hex) into b; returns 0 or -1 on bad hex. The
 * non-hex form points into argv. */
static int parse_arg(const Cli *cli, const char *arg, Bytes *b, unsigned char **owned) {
    size_t n = strlen(arg);
    *owned = NULL;
    if (!cli->hex) {
        b->data = (unsigned char *)(uintptr_t)arg;
        b->len = n;
        return 0;
    }
    if (n % 2 != 0) return -1;
    unsigned char *p = malloc(n / 2 + 1);
    if (p == NULL) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_digit((unsigned char)arg[2 * i]);
        int lo = hex_digit((unsigned char)arg[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(p);
            return -1;
        }
        p[i] = (unsigned char)(hi << 4 | lo);
    }
    b->data = p;
    b->len = n / 2;
    *owned = p;
    return 0;
}

static void print_bytes(const Cli *cli, const void *data, size_t len, FILE *out) {
    const unsigned char *p = data;
    if (!cli->hex) {
        if (len > 0) fwrite(p, 1, len, out);
        return;
    }
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        fputc(digits[p[i] >> 4], out);
        fputc(digits[p[i] & 15], out);
    }
}

static int open_db(const Cli *cli, skv_db **db) {
    int rc = skv_open(cli->dir, cli->opts, db);
    if (rc != SKV_OK) return report(rc);
    return 0;
}

/* Closes db; returns status unless the close itself failed. */
static int close_db(skv_db *db, int status) {
    int rc = skv_close(db);
    if (rc != SKV_OK) {
        int e = report(rc);
        return status ? status : e;
    }
    return status;
}

/* put / delete: one write in its own read-write transaction. */
static int cmd_write(const Cli *cli, int is_put, int argc, char **argv) {
    if (argc != (is_put ? 2 : 1)) {
        return usage_error("%s: wrong number of arguments", is_put ? "put" : "delete");
    }
    Bytes key, val = {NULL, 0};
    unsigned char *kown = NULL, *vown = NULL;
    int status = 0;
    if (parse_arg(cli, argv[0], &key, &kown) != 0 ||
        (is_put && parse_arg(cli, argv[1], &val, &vown) != 0)) {
        free(kown);
        return usage_error("invalid hex string in '%s'", is_put ? "put" : "delete");
    }
    skv_db *db = NULL;
    skv_txn *txn = NULL;
    if ((status = open_db(cli, &db)) != 0) goto done;
    int rc = skv_txn_begin(db, SKV_TXN_READ_WRITE, &txn);
    if (rc == SKV_OK && cli->sync) rc = skv_txn_set_durability(txn, SKV_DURABILITY_IMMEDIATE);
    if (rc == SKV_OK) {
        rc = is_put ? skv_txn_set(txn, key.data, key.len, val.data, val.len)
                    : skv_txn_delete(txn, key.data, key.len);
    }
    if (rc == SKV_OK) rc = skv_txn_commit(txn);
    if (rc != SKV_OK) status = report(rc);
    skv_txn_free(txn);
    status = close_db(db, status);
done:
    free(kown);
    free(vown);
    return status;
}

/* Parses a non-negative decimal number (a timestamp, a limit); 0 or -1. */
static int parse_u64(const char *arg, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-') return -1;
    *out = (uint64_t)n;
    return 0;
}

/* history and get --at need enable_versioning: turns it on unless an --opt chose. */
static int want_versioning(Cli *cli) {
    if (cli->versioning_set) return 0;
    int rc = cli->opts ? SKV_OK : skv_options_new(&cli->opts);
    if (rc == SKV_OK) rc = skv_options_set(cli->opts, "enable_versioning", "true");
    return rc == SKV_OK ? 0 : report(rc);
}

static int cmd_get(Cli *cli, int argc, char **argv) {
    uint64_t at = 0;
    int has_at = 0;
    if (argc == 3 && strcmp(argv[0], "--at") == 0) {
        if (parse_u64(argv[1], &at) != 0) return usage_error("bad --at '%s'", argv[1]);
        has_at = 1;
        argv += 2;
        argc -= 2;
    }
    if (argc != 1) return usage_error("%s: wrong number of arguments", "get");
    Bytes key;
    unsigned char *kown = NULL;
    if (parse_arg(cli, argv[0], &key, &kown) != 0) {
        return usage_error("invalid hex string '%s'", argv[0]);
    }
    skv_db *db = NULL;
    skv_txn *txn = NULL;
    int status = has_at ? want_versioning(cli) : 0;
    if (status == 0) status = open_db(cli, &db);
    if (status != 0) goto done;
    const void *val = NULL;
    size_t vlen = 0;
    int rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn);
    if (rc == SKV_OK)
        rc = has_at ? skv_txn_get_at(txn, key.data, key.len, at, &val, &vlen)
                    : skv_txn_get(txn, key.data, key.len, &val, &vlen);
    if (rc == SKV_OK) {
        print_bytes(cli, val, vlen, stdout);
        fputc('\n', stdout);
    } else if (rc == SKV_NOTFOUND) {
        fputs("not found\n", stderr);
        status = EXIT_NOTFOUND;
    } else {
        status = report(rc);
    }
    skv_txn_free(txn);
    status = close_db(db, status);
done:
    free(kown);
    return status;
}

typedef struct {
    const Cli *cli;
    int keys_only;
} ScanCtx;

static int scan_line(void *user_data, const void *key, size_t klen, const void *val, size_t vlen) {
    const ScanCtx *ctx = user_data;
    print_bytes(ctx->cli, key, klen, stdout);
    if (!ctx->keys_only) {
        fputc('\t', stdout);
        print_bytes(ctx->cli, val, vlen, stdout);
    }
    fputc('\n', stdout);
    return ferror(stdout) ? 1 : 0; /* stop when the output is gone (closed pipe) */
}

static int cmd_scan(const Cli *cli, int argc, char **argv) {
    unsigned flags = 0;
    size_t limit = 0;
    ScanCtx ctx = {cli, 0};
    const char *bounds[2] = {NULL, NULL};
    int nbounds = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--reverse") == 0) {
            flags |= SKV_ITER_REVERSE;
        } else if (strcmp(argv[i], "--keys-only") == 0) {
            flags |= SKV_ITER_KEYS_ONLY;
            ctx.keys_only = 1;
        } else if (strcmp(argv[i], "--limit") == 0) {
            if (++i >= argc) return usage_error("%s needs a number", "--limit");
            char *end = NULL;
            errno = 0;
            unsigned long long n = strtoull(argv[i], &end, 10);
            if (errno != 0 || end == argv[i] || *end != '\0' || argv[i][0] == '-' || n > SIZE_MAX) {
                return usage_error("bad --limit '%s'", argv[i]);
            }
            limit = (size_t)n;
        } else if (strcmp(argv[i], "--") != 0 && nbounds < 2) {
            bounds[nbounds++] = argv[i];
        } else if (strcmp(argv[i], "--") != 0) {
            return usage_error("scan: unexpected argument '%s'", argv[i]);
        }
    }
    Bytes b[2] = {{NULL, 0}, {NULL, 0}};
    unsigned char *own[2] = {NULL, NULL};
    int status = 0;
    for (int i = 0; i < nbounds; i++) {
        if (parse_arg(cli, bounds[i], &b[i], &own[i]) != 0) {
            status = usage_error("invalid hex string '%s'", bounds[i]);
            goto done;
        }
    }
    skv_db *db = NULL;
    skv_txn *txn = NULL;
    if ((status = open_db(cli, &db)) != 0) goto done;
    /* An empty (non-NULL) lower bound is the smallest key; a NULL upper bound is unbounded. */
    const void *lo =
        nbounds > 0 ? (const void *)(b[0].data ? b[0].data : (unsigned char *)"") : NULL;
    const void *hi =
        nbounds > 1 ? (const void *)(b[1].data ? b[1].data : (unsigned char *)"") : NULL;
    int rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn);
    if (rc == SKV_OK) {
        rc = skv_txn_scan(txn, lo, b[0].len, hi, b[1].len, flags, limit, scan_line, &ctx);
    }
    if (rc != SKV_OK) status = report(rc);
    skv_txn_free(txn);
    status = close_db(db, status);
done:
    free(own[0]);
    free(own[1]);
    return status;
}

static const char *kind_name(int kind) {
    return kind == SKV_KIND_SET           ? "set"
           : kind == SKV_KIND_SOFT_DELETE ? "soft_delete"
           : kind == SKV_KIND_REPLACE     ? "replace"
                                          : "unknown";
}

/* history: the versions of one key, newest first. */
static int cmd_history(Cli *cli, int argc, char **argv) {
    uint64_t from = 0, to = UINT64_MAX, limit = 0;
    unsigned flags = 0;
    const char *karg = NULL;
    for (int i = 0; i < argc; i++) {
        uint64_t *num = strcmp(argv[i], "--from") == 0    ? &from
                        : strcmp(argv[i], "--to") == 0    ? &to
                        : strcmp(argv[i], "--limit") == 0 ? &limit
                                                          : NULL;
        if (num) {
            if (++i >= argc) return usage_error("%s needs a number", argv[i - 1]);
            if (parse_u64(argv[i], num) != 0 || (num == &limit && limit > SIZE_MAX))
                return usage_error("bad %s '%s'", argv[i - 1], argv[i]);
        } else if (strcmp(argv[i], "--tombstones") == 0) {
            flags |= SKV_HISTORY_TOMBSTONES;
        } else if (!karg && strcmp(argv[i], "--") != 0) {
            karg = argv[i];
        } else if (strcmp(argv[i], "--") != 0) {
            return usage_error("history: unexpected argument '%s'", argv[i]);
        }
    }
    if (!karg) return usage_error("%s: wrong number of arguments", "history");
    Bytes key;
    unsigned char *kown = NULL;
    if (parse_arg(cli, karg, &key, &kown) != 0) return usage_error("invalid hex string '%s'", karg);
    /* the versions of one key: [key, key 0x00) */
    unsigned char *hi = malloc(key.len + 1);
    skv_db *db = NULL;
    skv_txn *txn = NULL;
    skv_iter *it = NULL;
    int status = hi ? want_versioning(cli) : report(SKV_ENOMEM);
    if (status == 0) status = open_db(cli, &db);
    if (status != 0) goto done;
    if (key.len) memcpy(hi, key.data, key.len);
    hi[key.len] = 0;
    int rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn);
    if (rc == SKV_OK)
        rc = skv_txn_history(txn, key.data ? (const void *)key.data : "", key.len, hi, key.len + 1,
                             from, to, flags, (size_t)limit, &it);
    for (rc = rc == SKV_OK ? skv_iter_first(it) : rc; rc == SKV_OK; rc = skv_iter_next(it)) {
        const void *v = NULL;
        size_t vl = 0;
        uint64_t ts = 0;
        int kind = 0;
        if ((rc = skv_iter_value(it, &v, &vl)) || (rc = skv_iter_version(it, &ts, &kind))) break;
        printf("%llu\t%s\t", (unsigned long long)ts, kind_name(kind));
        print_bytes(cli, v, vl, stdout);
        fputc('\n', stdout);
        if (ferror(stdout)) break; /* the output is gone (closed pipe) */
    }
    if (rc != SKV_OK && rc != SKV_NOTFOUND) status = report(rc);
    skv_iter_free(it);
    skv_txn_free(txn);
    status = close_db(db, status);
done:
    free(hi);
    free(kown);
    return status;
}

static int cmd_property(const Cli *cli, const char *name) {
    skv_db *db = NULL;
    int status = open_db(cli, &db);
    if (status != 0) return status;
    char *value = NULL;
    int rc = skv_property(db, name, &value);
    if (rc == SKV_OK) {
        size_t n = strlen(value);
        fputs(value, stdout);
        if (n == 0 || value[n - 1] != '\n') fputc('\n', stdout);
        skv_free(value);
    } else {
        status = report(rc);
    }
    return close_db(db, status);
}

/* flush / compact: one call on the open database. */
static int cmd_db_call(const Cli *cli, int (*fn)(skv_db *)) {
    skv_db *db = NULL;
    int status = open_db(cli, &db);
    if (status != 0) return status;
    int rc = fn(db);
    if (rc != SKV_OK) status = report(rc);
    return close_db(db, status);
}

/* checkpoint / restore: one call with a directory on the open database. */
static int cmd_db_dir(const Cli *cli, int (*fn)(skv_db *, const char *), const char *dir) {
    skv_db *db = NULL;
    int status = open_db(cli, &db);
    if (status != 0) return status;
    int rc = fn(db, dir);
    if (rc != SKV_OK) status = report(rc);
    return close_db(db, status);
}

/* check: the closed database, without opening it (an open would already repair it). */
static int cmd_check(const Cli *cli) {
    char *text = NULL;
    int rc = skv_check_dir(cli->dir, cli->opts, &text);
    if (text) fputs(text, stdout);
    skv_free(text);
    return rc == SKV_OK ? 0 : report(rc);
}

int main(int argc, char **argv) {
    Cli cli = {0, 0, 0, NULL, NULL};
    int status = EXIT_ERROR;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "--hex") == 0) {
            cli.hex = 1;
        } else if (strcmp(a, "--sync") == 0) {
            cli.sync = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            status = 0;
            goto done;
        } else if (strcmp(a, "--version") == 0) {
            printf("skv %s (ABI %u)\n", skv_version_string(), skv_abi_version());
            status = 0;
            goto done;
        } else if (strcmp(a, "--opt") == 0 || strncmp(a, "--opt=", 6) == 0) {
            const char *spec = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
            if (spec == NULL) {
                status = usage_error("%s needs name=value", "--opt");
                goto done;
            }
            const char *eq = strchr(spec, '=');
            if (eq == NULL || eq == spec) {
                status = usage_error("--opt '%s': expected name=value", spec);
                goto done;
            }
            char name[128];
            size_t nlen = (size_t)(eq - spec);
            if (nlen >= sizeof name) {
                status = usage_error("--opt '%s': name too long", spec);
                goto done;
            }
            memcpy(name, spec, nlen);
            name[nlen] = '\0';
            int rc = cli.opts ? SKV_OK : skv_options_new(&cli.opts);
            if (rc == SKV_OK) rc = skv_options_set(cli.opts, name, eq + 1);
            if (strcmp(name, "enable_versioning") == 0) cli.versioning_set = 1;
            if (rc != SKV_OK) {
                status = report(rc);
                goto done;
            }
        } else {
            status = usage_error("unknown option '%s'", a);
            goto done;
        }
    }
    if (argc - i < 2) {
        usage(stderr);
        goto done;
    }
    cli.dir = argv[i];
    const char *cmd = argv[i + 1];
    int cargc = argc - i - 2;
    char **cargv = argv + i + 2;
    if (strcmp(cmd, "put") == 0) {
        status = cmd_write(&cli, 1, cargc, cargv);
    } else if (strcmp(cmd, "delete") == 0 || strcmp(cmd, "del") == 0) {
        status = cmd_write(&cli, 0, cargc, cargv);
    } else if (strcmp(cmd, "get") == 0) {
        status = cmd_get(&cli, cargc, cargv);
    } else if (strcmp(cmd, "history") == 0) {
        status = cmd_history(&cli, cargc, cargv);
    } else if (strcmp(cmd, "scan") == 0) {
        status = cmd_scan(&cli, cargc, cargv);
    } else if (strcmp(cmd, "stats") == 0) {
        status = cargc == 0 ? cmd_property(&cli, "stats")
                            : usage_error("%s takes no arguments", "stats");
    } else if (strcmp(cmd, "flush") == 0 || strcmp(cmd, "compact") == 0) {
        status = cargc == 0 ? cmd_db_call(&cli, cmd[0] == 'f' ? skv_flush : skv_compact)
                            : usage_error("%s takes no arguments", cmd);
    } else if (strcmp(cmd, "checkpoint") == 0 || strcmp(cmd, "restore") == 0) {
        status = cargc == 1
                     ? cmd_db_dir(&cli, cmd[0] == 'c' ? skv_checkpoint : skv_restore, cargv[0])
                     : usage_error("%s takes one directory", cmd);
    } else if (strcmp(cmd, "check") == 0) {
        status = cargc == 0 ? cmd_check(&cli) : usage_error("%s takes no arguments", "check");
    } else if (strcmp(cmd, "property") == 0) {
        status = cargc == 1 ? cmd_property(&cli, cargv[0])
                            : usage_error("%s takes one name", "property");
    } else {
        status = usage_error("unknown command '%s'", cmd);
    }
done:
    skv_options_free(cli.opts);
    if (fflush(stdout) != 0 && status == 0) status = EXIT_ERROR;
    return status;
}
