/*
 * wal_format.h — the byte layout of a log segment (FORMAT.md says the same in prose), shared
 * by the writer (wal_writer.c) and the reader (wal_replay.c).
 *
 *   segment = block*            every block is 32768 bytes; the last one may be short
 *
 *   block   = fragment* trailer
 *   trailer = 0..6 zero bytes   when fewer than 7 bytes are left in a block
 *
 *   fragment:
 *     0       4       6   7                 7+length
 *     +-------+-------+---+------------------+
 *     | check | length|typ| payload ...      |
 *     +-------+-------+---+------------------+
 *     check  u32 LE  skv__checksum2(header bytes 4..6, 3, payload, length):
 *                    covers the length, the type and the payload
 *     length u16 LE  payload bytes; 7 + length never crosses the end of the block
 *     type   u8      1 FULL   a whole record
 *                    2 FIRST  first piece of a record
 *                    3 MIDDLE an inner piece
 *                    4 LAST   the final piece
 *                    0        never written: zeroed or preallocated space
 *
 * A record is one FULL fragment or FIRST MIDDLE* LAST in consecutive positions (a piece
 * after FIRST or MIDDLE starts the next block when the current one is full). An empty record
 * is a FULL fragment of length 0.
 */
#ifndef SKV_WAL_FORMAT_H
#define SKV_WAL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

enum {
    SKV_WAL_BLOCK_SIZE = 32768,
    SKV_WAL_HEADER_SIZE = 7,
    SKV_WAL_MAX_PAYLOAD = SKV_WAL_BLOCK_SIZE - SKV_WAL_HEADER_SIZE
};

enum {
    SKV_WAL_ZERO = 0,
    SKV_WAL_FULL = 1,
    SKV_WAL_FIRST = 2,
    SKV_WAL_MIDDLE = 3,
    SKV_WAL_LAST = 4
};

/* The checksum of a fragment whose 7-byte header is at hdr (length and type filled in). */
static inline uint32_t skv__wal_frag_checksum(const uint8_t *hdr, const void *payload, size_t len) {
    return skv__checksum2(hdr + 4, 3, payload, len);
}

#endif /* SKV_WAL_FORMAT_H */
