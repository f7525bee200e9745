#include <config.h>
#include "core/dict.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"

/* Every table starts with this many slots and never shrinks below it. */
#define DICT_MIN_SIZE 4
/* Above this load factor the table grows even when resizing is forbidden. */
#define DICT_FORCE_RESIZE_RATIO 5
/* Tables never grow past this many slots, so size * pointer never overflows. */
#define DICT_MAX_SIZE ((uint64_t)1 << 60)
/* dict_empty reports progress after each run of this many buckets. */
#define DICT_EMPTY_PROGRESS_BUCKETS 65536

static bool resize_allowed = true;

/* ===================================================================== */
/* Random numbers                                                         */
/* ===================================================================== */

/* One xorshift64* generator per thread. It only picks buckets for sampling,
 * so speed matters and cryptographic quality does not. */
static _Thread_local uint64_t rng_state;

/* A 64-bit finaliser that spreads every input bit over the whole output; it
 * seeds the generator and builds iterator fingerprints. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t rng_next(void)
{
    if (rng_state == 0) {
        /* Seed lazily from the clock and a stack address, so two processes
         * started in the same nanosecond still differ. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t seed = (uint64_t)ts.tv_sec * 1000000000ULL +
                        (uint64_t)ts.tv_nsec;
        seed ^= (uint64_t)(uintptr_t)&ts;
        rng_state = mix64(seed) | 1;
    }
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* ===================================================================== */
/* SipHash-1-2                                                            */
/* ===================================================================== */

/* The default key is arbitrary; the server replaces it with random bytes at
 * startup so clients cannot choose keys that collide. */
static uint64_t sip_k0 = 0x0706050403020100ULL;
static uint64_t sip_k1 = 0x0f0e0d0c0b0a0908ULL;

static inline uint64_t rotl64(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static inline void sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = rotl64(v[1], 13);
    v[1] ^= v[0];
    v[0] = rotl64(v[0], 32);
    v[2] += v[3];
    v[3] = rotl64(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = rotl64(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = rotl64(v[1], 17);
    v[1] ^= v[2];
    v[2] = rotl64(v[2], 32);
}

static inline uint8_t fold_ascii(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* Reads n (at most 8) bytes as a little-endian word, folding ASCII upper case
 * to lower case when asked. Folding here, word by word, is what lets the
 * case-insensitive hash run without a lowered copy of the input. */
static inline uint64_t sip_load(const uint8_t *p, size_t n, bool nocase)
{
    uint64_t w = 0;
    if (n == 8 && !nocase) {
        memcpy(&w, p, 8);
        return le64toh(w);
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t c = nocase ? fold_ascii(p[i]) : p[i];
        w |= (uint64_t)c << (8 * i);
    }
    return w;
}

/* SipHash with one compression round per word and two finalisation rounds,
 * as described in the SipHash paper (Aumasson and Bernstein). The fewer rounds
 * keep hashing cheap; collision resistance for an unknown key is what a hash
 * table needs, not a full-strength MAC. */
static uint64_t siphash12(const uint8_t *p, size_t len, bool nocase)
{
    uint64_t v[4] = {
        sip_k0 ^ 0x736f6d6570736575ULL,
        sip_k1 ^ 0x646f72616e646f6dULL,
        sip_k0 ^ 0x6c7967656e657261ULL,
        sip_k1 ^ 0x7465646279746573ULL,
    };
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = sip_load(p + i, 8, nocase);
        v[3] ^= m;
        sip_round(v);
        v[0] ^= m;
    }
    uint64_t last = (uint64_t)len << 56;
    if (len > full)
        last |= sip_load(p + full, len - full, nocase);
    v[3] ^= last;
    sip_round(v);
    v[0] ^= last;
    v[2] ^= 0xff;
    sip_round(v);
    sip_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

uint64_t dict_hash_bytes(const void *p, size_t len)
{
    REQUIRE(p != NULL || len == 0);
    return siphash12(p, len, false);
}

uint64_t dict_hash_bytes_nocase(const void *p, size_t len)
{
    REQUIRE(p != NULL || len == 0);
    return siphash12(p, len, true);
}

void dict_set_hash_seed(const uint8_t seed[16])
{
    REQUIRE(seed != NULL);
    sip_k0 = sip_load(seed, 8, false);
    sip_k1 = sip_load(seed + 8, 8, false);
}

/* ===================================================================== */
/* Small helpers                                                          */
/* ===================================================================== */

/* The hash of key under the dict's type. */
static uint64_t hash_key(const dict_t *d, const void *key)
{
    if (d->type->hash != NULL)
        return d->type->hash(key);
    /* Without a hash callback the key is an opaque pointer. */
    uintptr_t u = (uintptr_t)key;
    return dict_hash_bytes(&u, sizeof(u));
}

/* Identical pointers are always the same key, which also covers types without
 * a key_eq callback. */
static bool keys_equal(const dict_t *d, const void *a, const void *b)
{
    if (a == b)
        return true;
    return d->type->key_eq != NULL && d->type->key_eq(a, b) != 0;
}

/* Frees an entry that is no longer linked, with its key and value. An
 * embedded key is part of the entry's allocation. */
static void free_entry(dict_t *d, dict_entry_t *e)
{
    if (d->type->key_free != NULL && !d->embed_keys)
        d->type->key_free(e->key);
    if (d->type->val_free != NULL)
        d->type->val_free(e->v.val);
    alloc_free(e);
}

static void table_reset(dict_table_t *t)
{
    t->slots = NULL;
    t->exp = 0;
    t->used = 0;
}

/* The smallest power of two that is >= n and >= DICT_MIN_SIZE, capped at
 * DICT_MAX_SIZE. */
/* The exponent field of a table of size entries (a power of two). */
_Static_assert(sizeof(dict_t) <= 56, "dict_t must stay within a 56-byte allocation");

static unsigned size_exp(uint64_t size)
{
    unsigned e = 1;
    while (((uint64_t)1 << (e - 1)) < size)
        e++;
    return e;
}

static uint64_t table_size_for(uint64_t n)
{
    uint64_t size = DICT_MIN_SIZE;
    while (size < n && size < DICT_MAX_SIZE)
        size <<= 1;
    return size;
}

/* Does one rehash step, unless a safe iterator or scan holds the tables
 * still. Every lookup pays this small toll, so a resize finishes after about
 * as many operations as the old table has buckets. */
static void rehash_step(dict_t *d)
{
    if (dict_is_rehashing(d) && d->pause_rehash == 0)
        dict_rehash(d, 1);
}

/* ===================================================================== */
/* Creation and destruction                                               */
/* ===================================================================== */

dict_t *dict_new(const dict_type_t *type)
{
    REQUIRE(type != NULL);
    dict_t *d = alloc_malloc(sizeof(*d));
    d->type = type;
    table_reset(&d->t[0]);
    table_reset(&d->t[1]);
    d->rehash_idx = -1;
    d->pause_rehash = 0;
    d->embed_keys = false;
    return d;
}

dict_t *dict_new_embedded(const dict_type_t *type)
{
    dict_t *d = dict_new(type);
    d->embed_keys = true;
    return d;
}

/* Frees every chain of one table and the slot array, reporting progress after
 * each run of DICT_EMPTY_PROGRESS_BUCKETS buckets. */
static void table_clear(dict_t *d, dict_table_t *t,
                        void (*progress)(void *arg), void *arg)
{
    for (uint64_t i = 0; i < TSIZE(t); i++) {
        dict_entry_t *e = t->slots[i];
        while (e != NULL) {
            dict_entry_t *next = e->next;
            free_entry(d, e);
            t->used--;
            e = next;
        }
        t->slots[i] = NULL;
        if (progress != NULL && (i + 1) % DICT_EMPTY_PROGRESS_BUCKETS == 0)
            progress(arg);
    }
    INSIST(t->used == 0);
    alloc_free(t->slots);
    table_reset(t);
}

void dict_empty(dict_t *d, void (*progress)(void *arg), void *arg)
{
    REQUIRE(d != NULL);
    table_clear(d, &d->t[0], progress, arg);
    table_clear(d, &d->t[1], progress, arg);
    d->rehash_idx = -1;
    /* pause_rehash is left alone: whoever raised it will lower it again. */
}

void dict_free(dict_t *d)
{
    if (d == NULL)
        return;
    dict_empty(d, NULL, NULL);
    alloc_free(d);
}

/* ===================================================================== */
/* Resizing and rehashing                                                 */
/* ===================================================================== */

void dict_set_resize_allowed(bool allowed)
{
    resize_allowed = allowed;
}

/* Starts moving to a table of size slots (a power of two). The very first
 * table is installed directly, since there is nothing to move. */
static void table_resize(dict_t *d, uint64_t size)
{
    INSIST(!dict_is_rehashing(d));
    INSIST(size >= DICT_MIN_SIZE && (size & (size - 1)) == 0);
    dict_table_t n = {
        .slots = alloc_calloc((size_t)size * sizeof(dict_entry_t *)),
        .exp = (uint64_t)size_exp(size),
        .used = 0,
    };
    if (TSIZE(&d->t[0]) == 0) {
        d->t[0] = n;
        return;
    }
    d->t[1] = n;
    d->rehash_idx = 0;
}

/* Grows the table before an insert when it is full. While a fork child is
 * alive growth waits (to keep pages shared) until chains get long. */
static void expand_if_needed(dict_t *d)
{
    if (dict_is_rehashing(d))
        return;
    dict_table_t *t = &d->t[0];
    if (TSIZE(t) == 0) {
        table_resize(d, DICT_MIN_SIZE);
        return;
    }
    if (t->used < TSIZE(t) || TSIZE(t) >= DICT_MAX_SIZE)
        return;
    if (resize_allowed || t->used > DICT_FORCE_RESIZE_RATIO * TSIZE(t))
        table_resize(d, table_size_for(t->used + 1));
}

int dict_expand(dict_t *d, size_t size)
{
    REQUIRE(d != NULL);
    if (dict_is_rehashing(d) || (uint64_t)size > DICT_MAX_SIZE)
        return -EINVAL;
    uint64_t want = (uint64_t)size;
    if (want < d->t[0].used)
        want = d->t[0].used;
    uint64_t target = table_size_for(want);
    if (target > TSIZE(&d->t[0]))
        table_resize(d, target);
    return 0;
}

int dict_shrink_to_fit(dict_t *d)
{
    REQUIRE(d != NULL);
    if (dict_is_rehashing(d) || !resize_allowed)
        return -EBUSY;
    uint64_t target = table_size_for(d->t[0].used);
    if (TSIZE(&d->t[0]) == 0 || target >= TSIZE(&d->t[0]))
        return 0;
    table_resize(d, target);
    return 0;
}

/* Moves every entry of old-table bucket idx into the new table. */
static void rehash_bucket(dict_t *d, uint64_t idx)
{
    dict_table_t *from = &d->t[0], *to = &d->t[1];
    dict_entry_t *e = from->slots[idx];
    while (e != NULL) {
        dict_entry_t *next = e->next;
        uint64_t h = hash_key(d, e->key) & TMASK(to);
        e->next = to->slots[h];
        to->slots[h] = e;
        from->used--;
        to->used++;
        e = next;
    }
    from->slots[idx] = NULL;
}

int dict_rehash(dict_t *d, int n)
{
    REQUIRE(d != NULL && n >= 0);
    if (!dict_is_rehashing(d))
        return 0;
    if (d->pause_rehash > 0)
        return 1;
    /* Bound the empty buckets visited too, so a sparse table cannot make one
     * step take long. */
    int64_t empty_visits = (int64_t)n * 10;
    while (n-- > 0 && d->t[0].used != 0) {
        INSIST((uint64_t)d->rehash_idx < TSIZE(&d->t[0]));
        while (d->t[0].slots[d->rehash_idx] == NULL) {
            d->rehash_idx++;
            if (--empty_visits <= 0)
                return 1;
        }
        rehash_bucket(d, (uint64_t)d->rehash_idx);
        d->rehash_idx++;
    }
    if (d->t[0].used != 0)
        return 1;
    alloc_free(d->t[0].slots);
    d->t[0] = d->t[1];
    table_reset(&d->t[1]);
    d->rehash_idx = -1;
    return 0;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Returns the number of buckets it asked dict_rehash to move. */
int dict_rehash_ms(dict_t *d, int ms)
{
    REQUIRE(d != NULL);
    if (d->pause_rehash > 0)
        return 0;
    int64_t start = monotonic_ms();
    int done = 0;
    while (dict_rehash(d, 100)) {
        done += 100;
        if (monotonic_ms() - start > ms)
            break;
    }
    return done;
}

/* ===================================================================== */
/* Insertion, lookup and removal                                          */
/* ===================================================================== */

/* Finds the entry for key with its hash h, or NULL. */
static dict_entry_t *lookup(dict_t *d, const void *key, uint64_t h)
{
    for (int i = 0; i < 2; i++) {
        const dict_table_t *t = &d->t[i];
        if (TSIZE(t) == 0)
            continue;
        uint64_t idx = h & TMASK(t);
        /* Buckets of the old table below rehash_idx are already empty. */
        if (i == 0 && dict_is_rehashing(d) && idx < (uint64_t)d->rehash_idx)
            continue;
        for (dict_entry_t *e = t->slots[idx]; e != NULL; e = e->next) {
            if (keys_equal(d, key, e->key))
                return e;
        }
        if (!dict_is_rehashing(d))
            break;
    }
    return NULL;
}

/*
 * Inserts a new entry for key unless it exists. The entry is allocated with
 * extra bytes after it; when key_size is not zero the key is copied there and
 * the entry points at the copy, else the entry points at key itself.
 */
static dict_entry_t *add_entry(dict_t *d, const void *key, size_t key_size,
                               dict_entry_t **existing)
{
    rehash_step(d);
    uint64_t h = hash_key(d, key);
    dict_entry_t *old = lookup(d, key, h);
    if (old != NULL) {
        if (existing != NULL)
            *existing = old;
        return NULL;
    }
    expand_if_needed(d);
    /* New entries go to the new table while rehashing, so the old one only
     * ever drains. The head of the chain is the cheapest place. */
    dict_table_t *t = &d->t[dict_is_rehashing(d) ? 1 : 0];
    uint64_t idx = h & TMASK(t);
    dict_entry_t *e = alloc_malloc(sizeof(*e) + key_size);
    if (key_size > 0) {
        memcpy(e + 1, key, key_size);
        e->key = e + 1;
    } else {
        e->key = (void *)key;
    }
    e->v.u64 = 0;
    e->next = t->slots[idx];
    t->slots[idx] = e;
    t->used++;
    return e;
}

dict_entry_t *dict_add_raw(dict_t *d, void *key, dict_entry_t **existing)
{
    REQUIRE(d != NULL && !d->embed_keys);
    return add_entry(d, key, 0, existing);
}

dict_entry_t *dict_add_embedded(dict_t *d, const void *key, size_t key_size,
                                dict_entry_t **existing)
{
    REQUIRE(d != NULL && d->embed_keys);
    REQUIRE(key != NULL && key_size > 0);
    return add_entry(d, key, key_size, existing);
}

int dict_add(dict_t *d, void *key, void *val)
{
    dict_entry_t *e = dict_add_raw(d, key, NULL);
    if (e == NULL)
        return -EEXIST;
    e->v.val = val;
    return 0;
}

void dict_set_val(dict_t *d, dict_entry_t *e, void *val)
{
    REQUIRE(d != NULL && e != NULL);
    void *old = e->v.val;
    e->v.val = val;
    /* Setting the same pointer again must not free the value in place. */
    if (old != val && d->type->val_free != NULL)
        d->type->val_free(old);
}

dict_entry_t *dict_find(dict_t *d, const void *key)
{
    REQUIRE(d != NULL);
    if (dict_size(d) == 0)
        return NULL;
    rehash_step(d);
    return lookup(d, key, hash_key(d, key));
}

void *dict_fetch(dict_t *d, const void *key)
{
    dict_entry_t *e = dict_find(d, key);
    return e != NULL ? e->v.val : NULL;
}

/* Removes the entry for key from its chain and returns it, or NULL. */
static dict_entry_t *remove_entry(dict_t *d, const void *key)
{
    if (dict_size(d) == 0)
        return NULL;
    rehash_step(d);
    uint64_t h = hash_key(d, key);
    for (int i = 0; i < 2; i++) {
        dict_table_t *t = &d->t[i];
        if (TSIZE(t) == 0)
            continue;
        uint64_t idx = h & TMASK(t);
        if (i == 0 && dict_is_rehashing(d) && idx < (uint64_t)d->rehash_idx)
            continue;
        for (dict_entry_t **pp = &t->slots[idx]; *pp != NULL;
             pp = &(*pp)->next) {
            dict_entry_t *e = *pp;
            if (keys_equal(d, key, e->key)) {
                *pp = e->next;
                e->next = NULL;
                t->used--;
                return e;
            }
        }
        if (!dict_is_rehashing(d))
            break;
    }
    return NULL;
}

int dict_delete(dict_t *d, const void *key)
{
    REQUIRE(d != NULL);
    dict_entry_t *e = remove_entry(d, key);
    if (e == NULL)
        return -ENOENT;
    free_entry(d, e);
    return 0;
}

dict_entry_t *dict_unlink(dict_t *d, const void *key)
{
    REQUIRE(d != NULL);
    return remove_entry(d, key);
}

void dict_free_unlinked(dict_t *d, dict_entry_t *e)
{
    REQUIRE(d != NULL);
    if (e != NULL)
        free_entry(d, e);
}

/* ===================================================================== */
/* Random access                                                          */
/* ===================================================================== */

#define FAIR_CHAIN 8

dict_entry_t *dict_fair_random(dict_t *d)
{
    REQUIRE(dict_size(d) > 0);
    uint64_t lo = dict_is_rehashing(d) ? (uint64_t)d->rehash_idx : 0;
    uint64_t span = TSIZE(&d->t[0]) - lo + TSIZE(&d->t[1]);
    for (;;) {
        uint64_t b = lo + rng_next() % span;
        dict_entry_t *e = b < TSIZE(&d->t[0]) ? d->t[0].slots[b]
                                               : d->t[1].slots[b - TSIZE(&d->t[0])];
        size_t len = 0;
        for (dict_entry_t *x = e; x != NULL; x = x->next)
            len++;
        if (len == 0)
            continue;
        size_t pick = (size_t)(rng_next() % (len > FAIR_CHAIN ? len : FAIR_CHAIN));
        if (pick >= len)
            continue;
        while (pick-- > 0)
            e = e->next;
        return e;
    }
}

dict_entry_t *dict_random(dict_t *d)
{
    REQUIRE(d != NULL);
    if (dict_size(d) == 0)
        return NULL;
    rehash_step(d);
    dict_entry_t *head = NULL;
    if (dict_is_rehashing(d)) {
        /* Old buckets below rehash_idx are empty; draw from the rest of the
         * old table and the whole new table as one range. */
        uint64_t lo = (uint64_t)d->rehash_idx;
        uint64_t span = TSIZE(&d->t[0]) + TSIZE(&d->t[1]) - lo;
        while (head == NULL) {
            uint64_t h = lo + rng_next() % span;
            head = h < TSIZE(&d->t[0]) ? d->t[0].slots[h]
                                    : d->t[1].slots[h - TSIZE(&d->t[0])];
        }
    } else {
        while (head == NULL)
            head = d->t[0].slots[rng_next() & TMASK(&d->t[0])];
    }
    uint64_t len = 0;
    for (dict_entry_t *e = head; e != NULL; e = e->next)
        len++;
    uint64_t pick = rng_next() % len;
    while (pick-- > 0)
        head = head->next;
    return head;
}

/* Stores the chain at e into out[*stored..count) and returns true once out is
 * full. */
static bool sample_chain(dict_entry_t *e, dict_entry_t **out, size_t *stored,
                         size_t count)
{
    for (; e != NULL && *stored < count; e = e->next)
        out[(*stored)++] = e;
    return *stored == count;
}

/*
 * Samples one column: bucket i of the smaller table and every bucket of the
 * bigger table whose index has the same low bits. Every entry lives in exactly
 * one column, and walking columns keeps the yield per step the same whether or
 * not a rehash is under way (walking the bigger table's buckets alone would
 * find mostly empty new-table buckets early in a grow). Moved old buckets
 * hold NULL, so they need no special case. Sets *found when the column had
 * any entry; returns true once out is full.
 */
static bool sample_column(const dict_t *d, uint64_t i, dict_entry_t **out,
                          size_t *stored, size_t count, bool *found)
{
    const dict_table_t *small = &d->t[0], *big = &d->t[1];
    if (!dict_is_rehashing(d))
        big = NULL;
    else if (TSIZE(big) < TSIZE(small)) {
        small = &d->t[1];
        big = &d->t[0];
    }
    *found = small->slots[i] != NULL;
    if (sample_chain(small->slots[i], out, stored, count))
        return true;
    for (uint64_t b = i; big != NULL && b < TSIZE(big); b += TSIZE(small)) {
        *found |= big->slots[b] != NULL;
        if (sample_chain(big->slots[b], out, stored, count))
            return true;
    }
    return false;
}

size_t dict_sample(dict_t *d, dict_entry_t **out, size_t count)
{
    REQUIRE(d != NULL && (out != NULL || count == 0));
    if (count > dict_size(d))
        count = dict_size(d);
    if (count == 0)
        return 0;
    for (size_t j = 0; j < count && dict_is_rehashing(d); j++)
        rehash_step(d);
    uint64_t mask = TMASK(&d->t[0]);
    if (dict_is_rehashing(d) && TMASK(&d->t[1]) < mask)
        mask = TMASK(&d->t[1]);
    /* Walk consecutive columns from a random start and visit each at most
     * once, so no entry is returned twice. */
    uint64_t i = rng_next() & mask, walked = 0;
    size_t stored = 0, empty = 0, max_empty = count * 10;
    while (walked <= mask && empty < max_empty) {
        bool found;
        if (sample_column(d, i, out, &stored, count, &found))
            break;
        empty += !found;
        walked++;
        i = (i + 1) & mask;
    }
    return stored;
}

/* ===================================================================== */
/* Scan                                                                   */
/* ===================================================================== */

/* Mirrors the 64 bits of v, swapping ever larger groups in place. */
static uint64_t reverse_bits(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
    v = ((v >> 8) & 0x00ff00ff00ff00ffULL) | ((v & 0x00ff00ff00ff00ffULL) << 8);
    v = ((v >> 16) & 0x0000ffff0000ffffULL) |
        ((v & 0x0000ffff0000ffffULL) << 16);
    return (v >> 32) | (v << 32);
}

/* Adds one to the cursor counting from the mask's top bit down. Bits above
 * the mask are set first so the carry runs through them and clears them. */
static uint64_t cursor_advance(uint64_t v, uint64_t mask)
{
    v |= ~mask;
    v = reverse_bits(v);
    v++;
    return reverse_bits(v);
}

/* Calls fn on each entry of the bucket that index idx selects in t. */
static void scan_bucket(const dict_table_t *t, uint64_t idx, dict_scan_cb *fn,
                        void *arg)
{
    dict_entry_t *e = t->slots[idx & TMASK(t)];
    while (e != NULL) {
        /* Read next first: fn may delete the entry it is given. */
        dict_entry_t *next = e->next;
        fn(arg, e);
        e = next;
    }
}

/*
 * The cursor is a bucket index whose bits are incremented from the high end
 * down. A bucket's entries in a table twice as big live in the two buckets
 * that share its low bits, and those two are visited one after the other, so
 * a cursor remains a valid place to resume after the table grows or shrinks.
 * During a rehash the smaller table's bucket is visited, then every bucket of
 * the bigger one that expands from it, and the cursor advances over the
 * smaller mask.
 */
uint64_t dict_scan(dict_t *d, uint64_t cursor, dict_scan_cb *fn, void *arg)
{
    REQUIRE(d != NULL && fn != NULL);
    if (dict_size(d) == 0)
        return 0;
    /* Entries must stay where they are while callbacks run. */
    d->pause_rehash++;
    uint64_t v = cursor;
    if (!dict_is_rehashing(d)) {
        scan_bucket(&d->t[0], v, fn, arg);
        v = cursor_advance(v, TMASK(&d->t[0]));
    } else {
        const dict_table_t *small = &d->t[0], *big = &d->t[1];
        if (TSIZE(small) > TSIZE(big)) {
            small = &d->t[1];
            big = &d->t[0];
        }
        scan_bucket(small, v, fn, arg);
        uint64_t extra = TMASK(big) & ~TMASK(small);
        do {
            scan_bucket(big, v, fn, arg);
            v = cursor_advance(v, TMASK(big));
        } while ((v & extra) != 0);
    }
    d->pause_rehash--;
    return v;
}

/* ===================================================================== */
/* Iteration                                                              */
/* ===================================================================== */

/* A digest of the table shape. Any insert, delete or rehash step changes at
 * least one of these fields. */
static uint64_t fingerprint(const dict_t *d)
{
    uint64_t parts[6] = {
        (uint64_t)(uintptr_t)d->t[0].slots, TSIZE(&d->t[0]), d->t[0].used,
        (uint64_t)(uintptr_t)d->t[1].slots, TSIZE(&d->t[1]), d->t[1].used,
    };
    uint64_t h = 0;
    for (size_t i = 0; i < ARRAY_LEN(parts); i++)
        h = mix64(h ^ parts[i]) + i;
    return h;
}

void dict_iter_init(dict_iter_t *it, dict_t *d, bool safe)
{
    REQUIRE(it != NULL && d != NULL);
    it->d = d;
    it->table = 0;
    it->index = -1;
    it->safe = safe;
    it->started = false;
    it->entry = NULL;
    it->next_entry = NULL;
    it->fingerprint = 0;
}

/* Moves to the head of the next bucket; returns false past the last one. */
static bool iter_next_bucket(dict_iter_t *it)
{
    dict_t *d = it->d;
    it->index++;
    if ((uint64_t)it->index >= TSIZE(&d->t[it->table])) {
        if (it->table == 1 || !dict_is_rehashing(d))
            return false;
        it->table = 1;
        it->index = 0;
    }
    it->entry = d->t[it->table].slots[it->index];
    return true;
}

dict_entry_t *dict_iter_next(dict_iter_t *it)
{
    REQUIRE(it != NULL);
    if (!it->started) {
        it->started = true;
        if (it->safe)
            it->d->pause_rehash++;
        else
            it->fingerprint = fingerprint(it->d);
    }
    /* next_entry is saved before returning an entry, so the caller may
     * delete that entry through a safe iterator. */
    it->entry = it->entry == NULL ? NULL : it->next_entry;
    while (it->entry == NULL) {
        if (!iter_next_bucket(it))
            return NULL;
    }
    it->next_entry = it->entry->next;
    return it->entry;
}

void dict_iter_destroy(dict_iter_t *it)
{
    REQUIRE(it != NULL);
    if (!it->started)
        return;
    if (it->safe) {
        INSIST(it->d->pause_rehash > 0);
        it->d->pause_rehash--;
    } else {
        INSIST(it->fingerprint == fingerprint(it->d));
    }
    it->started = false;
}
