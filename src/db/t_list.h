/*
 * t_list: list values (OBJ_LIST, OBJ_ENC_QUICKLIST as Redis 7.0 reports for
 * every list). A list is a doubly linked chain of nodes, each holding a
 * listpack in Redis's format (so RDB stores nodes as they are). Node sizes
 * follow the list-max-listpack-size rules of Redis 7.0 (negative: a byte
 * limit of 4, 8, 16, 32 or 64 KB; positive: a number of entries, with an
 * 8 KB safety limit), and with list-compress-depth N every node more than N
 * nodes away from both ends is kept LZF-compressed. Both settings are read
 * from db_env when a list is created and stay with it, as in Redis. A list
 * owns its elements; readers get views that are borrowed until the list
 * changes (or the iterator moves, for iterators).
 */
#ifndef RH_DB_T_LIST_H
#define RH_DB_T_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"
#include "core/str.h"
#include "db/listpack.h"
#include "db/object.h"

/* A node: its listpack (raw) or an LZF blob of it (compressed, see
 * t_list.c), 32 bytes. */
typedef struct tlist_node {
    struct tlist_node *prev, *next;
    uint8_t *data;
    uint32_t sz;        /* Bytes of the raw listpack, compressed or not. */
    uint16_t count;     /* Entries in the listpack. */
    uint8_t compressed; /* data is an LZF blob. */
    uint8_t no_gain;    /* Compression was tried and did not pay off. */
} tlist_node_t;

/* The list header that an OBJ_LIST object points to, 32 bytes. */
typedef struct tlist {
    tlist_node_t *head, *tail;
    uint64_t count;  /* Entries in all nodes. */
    uint32_t len;    /* Nodes. */
    int16_t fill;    /* list-max-listpack-size, clamped to -5..32767. */
    uint16_t depth;  /* list-compress-depth, clamped to 0..65535; 0: off. */
} tlist_t;

/* Which end of a list. */
enum tlist_end {
    TLIST_HEAD = 0,
    TLIST_TAIL = 1,
};

/* An element as readers see it: the bytes of a string element (p), or the
 * value of an element the listpack stores as an integer (p == NULL). */
typedef struct tlist_ent {
    const char *p;
    size_t n;
    long long num;
} tlist_ent_t;

/* ---- Whole lists ----------------------------------------------------------- */

/* A new empty list with the fill and depth of db_env. The caller adds
 * elements before storing it: keys never hold empty lists. */
obj_t *tlist_new(void);
/* The same with explicit settings (clamped as Redis does). */
obj_t *tlist_new_with(long long fill, long long depth);

size_t tlist_len(const obj_t *o);

/* ---- Ends -------------------------------------------------------------------- */

void tlist_push(obj_t *o, const void *s, size_t n, enum tlist_end end);
/* Removes the element at end and returns its text (the caller owns it), or
 * NULL when the list is empty. */
str_t *tlist_pop(obj_t *o, enum tlist_end end);

/* ---- By index and by value ------------------------------------------------------ */

/* Replaces the element at index (negative counts from the tail). Returns
 * false, changing nothing, when the index is out of range. */
bool tlist_set(obj_t *o, long long index, const void *s, size_t n);
/* Inserts s before (after false) or after the first element, from the
 * head, equal to pivot. Returns false when there is none. */
bool tlist_insert(obj_t *o, const void *pivot, size_t pn, const void *s, size_t n,
                  bool after);
/* Removes elements equal to s: the first count from the head (count > 0),
 * the last -count from the tail (count < 0), or all (0). Returns how many
 * were removed. The list may become empty: the caller deletes the key. */
size_t tlist_remove(obj_t *o, const void *s, size_t n, long long count);
/* Removes count elements from index start on (negative counts from the
 * tail), clipped to the list's end. */
void tlist_delete_range(obj_t *o, long long start, size_t count);

/* ---- Reading ------------------------------------------------------------------ */

/* Iteration from index (negative counts from the tail) towards the tail
 * (forward) or the head. An index out of range gives no elements. The list
 * must not change while an iterator is in use. Compressed nodes are read
 * through a private copy, so reading never changes the list. */
typedef struct tlist_iter {
    tlist_t *l;
    tlist_node_t *node;
    uint8_t *lp;      /* The listpack being read (the node's or the copy). */
    uint8_t *p;       /* The next entry, or NULL at the end of the node. */
    uint8_t *copy;    /* Decompressed copy of a compressed node. */
    bool forward;
} tlist_iter_t;

void tlist_iter_init(tlist_iter_t *it, obj_t *o, long long index, bool forward);
/* Sets *e to the next element; false at the end. */
bool tlist_iter_next(tlist_iter_t *it, tlist_ent_t *e);
void tlist_iter_destroy(tlist_iter_t *it);

/* Whether an element equals the n bytes at s (an integer element equals
 * its decimal text). */
bool tlist_ent_eq(const tlist_ent_t *e, const void *s, size_t n);
/* An element's text: its bytes, or an integer formatted into buf. */
const char *tlist_ent_bytes(const tlist_ent_t *e, char buf[LP_INTBUF], size_t *n);

/* ---- Introspection (DEBUG OBJECT, tests) ---------------------------------------- */

typedef struct tlist_stats {
    size_t nodes;
    size_t count;
    int fill;
    int depth;
    size_t raw_bytes;        /* Sum of the nodes' raw listpack sizes. */
    size_t compressed_nodes; /* Nodes currently held compressed. */
} tlist_stats_t;

void tlist_stats(const obj_t *o, tlist_stats_t *st);

/* ---- RDB --------------------------------------------------------------------- */

/* One node as RDB stores it: the raw listpack, or its LZF stream (which
 * RDB can write as an LZF-compressed string of raw_len bytes). */
typedef struct tlist_blob {
    const uint8_t *data;
    size_t len;       /* Bytes at data. */
    size_t raw_len;   /* Bytes of the listpack once decompressed. */
    bool compressed;
} tlist_blob_t;

/* Calls fn for each node from head to tail until it returns nonzero, and
 * returns that value (0 when every node was visited). Nothing changes. */
typedef int tlist_node_fn(void *arg, const tlist_blob_t *b);
int tlist_foreach_node(const obj_t *o, tlist_node_fn *fn, void *arg);

/* Checks that size bytes at blob form a well-formed listpack that a list
 * node can hold, as an RDB or RESTORE payload must. Returns 0 or -EINVAL.
 * An empty listpack is valid (loaders skip it). */
int tlist_validate_listpack(const uint8_t *blob, size_t size) MUST_CHECK;
/* Appends a validated listpack as the new tail node, taking ownership of
 * it, as RDB loading does: nodes keep the shape they were saved with. An
 * empty listpack is freed and nothing is added. */
void tlist_append_listpack(obj_t *o, uint8_t *lp);

/* Registers the list type's free, copy and memory-usage functions with the
 * object module. Idempotent; tlist_new calls it. */
void tlist_register(void);

#endif
