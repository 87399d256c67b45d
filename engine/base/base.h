/*
 * base.h — what every engine module may use: the SKV_* error codes, the thread-local error
 * message, little-endian fixed and varint coding, checksums and fingerprints (xxhash), and
 * small mutex/condvar wrappers.
 */
#ifndef SKV_BASE_H
#define SKV_BASE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "skv.h"

#if defined(__GNUC__)
#define SKV_LIKELY(x) __builtin_expect(!!(x), 1)
#define SKV_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SKV_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SKV_LIKELY(x) (x)
#define SKV_UNLIKELY(x) (x)
#define SKV_PRINTF(a, b)
#endif

/* ---- error message (errmsg.c) ---- */

/* Sets the calling thread's detail message and returns code, so callers can write
 * `return skv__err(SKV_EINVAL, "unknown option '%s'", name);`. */
int skv__err(int code, const char *fmt, ...) SKV_PRINTF(2, 3);
/* Clears the calling thread's message. */
void skv__errmsg_clear(void);
const char *skv__errmsg_get(void);
/* A key as messages show it: its first 32 bytes, printable ASCII as is and other bytes as
 * \xNN, "..." when longer; always NUL-terminated within cap (at least 1). */
void skv__key_printable(char *out, size_t cap, const void *key, size_t klen);

/* ---- coding (little-endian fixed width, LEB128 varints) ---- */

static inline void skv__put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t skv__get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void skv__put_u64(uint8_t *p, uint64_t v) {
    skv__put_u32(p, (uint32_t)v);
    skv__put_u32(p + 4, (uint32_t)(v >> 32));
}
static inline uint64_t skv__get_u64(const uint8_t *p) {
    return (uint64_t)skv__get_u32(p) | ((uint64_t)skv__get_u32(p + 4) << 32);
}
static inline void skv__put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline uint16_t skv__get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
/* Writes v as a varint at p (at most 10 bytes); returns the bytes written. */
static inline size_t skv__put_varint(uint8_t *p, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}
static inline size_t skv__varint_len(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}
/* Decodes a varint from [p, end); returns the bytes read, 0 when malformed or truncated. */
static inline size_t skv__get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v) {
    uint64_t r = 0;
    for (size_t i = 0; i < 10 && p + i < end; i++) {
        r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (i == 9 && p[i] > 1) return 0;
            *v = r;
            return i + 1;
        }
    }
    return 0;
}

/* ---- hashing (hash.c, over xxhash) ---- */

/* 32-bit checksum used by every on-disk record. */
uint32_t skv__checksum(const void *data, size_t n);
/* Extends a checksum over more bytes: skv__checksum2(a, na, b, nb) == checksum of a||b. */
uint32_t skv__checksum2(const void *a, size_t na, const void *b, size_t nb);
/* 64-bit fingerprint of a key (conflict detection). */
uint64_t skv__fingerprint(const void *data, size_t n);

/* ---- locking ---- */

typedef pthread_mutex_t SkvMutex;
typedef pthread_cond_t SkvCond;
#define skv__mutex_init(m) pthread_mutex_init((m), NULL)
#define skv__mutex_destroy(m) pthread_mutex_destroy(m)
#define skv__mutex_lock(m) pthread_mutex_lock(m)
#define skv__mutex_unlock(m) pthread_mutex_unlock(m)
#define skv__cond_init(c) pthread_cond_init((c), NULL)
#define skv__cond_destroy(c) pthread_cond_destroy(c)
#define skv__cond_wait(c, m) pthread_cond_wait((c), (m))
#define skv__cond_signal(c) pthread_cond_signal(c)
#define skv__cond_broadcast(c) pthread_cond_broadcast(c)

#endif /* SKV_BASE_H */
