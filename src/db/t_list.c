#include <config.h>
#include "db/t_list.h"

#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/lzf.h"
#include "core/strconv.h"
#include "db/keyspace.h"

/*
 * Node sizing, as Redis 7.0 decides it (observable through DEBUG OBJECT's
 * ql_nodes and through memory use). A negative fill -1..-5 limits a node's
 * listpack to 4, 8, 16, 32 or 64 KB; a positive fill limits its entries,
 * and then no node with more than one entry grows past SAFETY_LIMIT bytes.
 * An insertion is judged on the node's size plus the element's length plus
 * ENTRY_OVERHEAD (an overestimate of its encoding bytes); a merge of two
 * nodes on their sizes added minus MERGE_OVERHEAD.
 */
#define FILL_MAX 32767
#define DEPTH_MAX 65535
#define SAFETY_LIMIT 8192
#define ENTRY_OVERHEAD 8
#define MERGE_OVERHEAD 11
static const size_t size_limits[] = {4096, 8192, 16384, 32768, 65536};

/* Nodes under MIN_COMPRESS_BYTES stay raw, and so do nodes that LZF does
 * not shrink by more than MIN_COMPRESS_GAIN bytes (Redis's thresholds). */
#define MIN_COMPRESS_BYTES 48
#define MIN_COMPRESS_GAIN 8

/* A compressed node's data: the LZF stream and its length. */
typedef struct lzf_blob {
    uint32_t len;
    uint8_t bytes[];
} lzf_blob_t;

/* The headers are sized for the memory goal: each fits a 32-byte
 * allocator class, where Redis's list and node headers take 48. */
_Static_assert(sizeof(tlist_node_t) == 32, "tlist_node_t is 32 bytes");
_Static_assert(sizeof(tlist_t) == 32, "tlist_t is 32 bytes");

static tlist_t *list_of(const obj_t *o)
{
    REQUIRE(o->type == OBJ_LIST && o->encoding == OBJ_ENC_QUICKLIST);
    return o->ptr;
}

/* ============================ nodes ===================================== */

/* Re-reads a raw node's size and count after its listpack changed. */
static void node_refresh(tlist_node_t *n)
{
    INSIST(!n->compressed);
    n->sz = (uint32_t)lp_bytes(n->data);
    size_t count = lp_count(n->data);
    INSIST(count <= UINT16_MAX);
    n->count = (uint16_t)count;
    n->no_gain = 0;
}

/* A new unlinked node taking ownership of the raw listpack lp. */
static tlist_node_t *node_new(uint8_t *lp)
{
    tlist_node_t *n = alloc_malloc(sizeof(*n));
    n->prev = n->next = NULL;
    n->data = lp;
    n->compressed = 0;
    node_refresh(n);
    return n;
}

static void node_free(tlist_node_t *n)
{
    alloc_free(n->data);
    alloc_free(n);
}

/* Decompresses a compressed node's listpack into out (n->sz bytes). */
static void inflate(const tlist_node_t *n, uint8_t *out)
{
    const lzf_blob_t *b = (const lzf_blob_t *)n->data;
    size_t got = lzf_decompress(b->bytes, b->len, out, n->sz);
    INSIST(got == n->sz);
}

/* Stores a raw node compressed when that pays off. A node that did not
 * shrink is remembered as such until its listpack changes, so that the
 * depth rule does not try it again on every push. */
static void node_compress(tlist_node_t *n)
{
    if (n == NULL || n->compressed || n->no_gain)
        return;
    if (n->sz < MIN_COMPRESS_BYTES) {
        n->no_gain = 1;
        return;
    }
    size_t cap = n->sz - MIN_COMPRESS_GAIN - 1;
    lzf_blob_t *b = alloc_malloc(sizeof(*b) + cap);
    size_t len = lzf_compress(n->data, n->sz, b->bytes, cap);
    if (len == 0) {
        alloc_free(b);
        n->no_gain = 1;
        return;
    }
    b = alloc_realloc(b, sizeof(*b) + len);
    b->len = (uint32_t)len;
    alloc_free(n->data);
    n->data = (uint8_t *)b;
    n->compressed = 1;
}

/* Makes a node raw in place, ahead of a change or because it moved within
 * the depth of an end. */
static void node_decompress(tlist_node_t *n)
{
    if (n == NULL || !n->compressed)
        return;
    uint8_t *lp = alloc_malloc(n->sz);
    inflate(n, lp);
    alloc_free(n->data);
    n->data = lp;
    n->compressed = 0;
}

/*
 * Restores the depth rule after node changed or nodes were linked or
 * unlinked (node NULL): the depth nodes nearest each end are raw, the first
 * node past the depth at each end is compressed, and so is node when it
 * lies past the depth. Only those nodes can have changed places, so the
 * walk costs O(depth) whatever the list's length.
 */
static void apply_depth(tlist_t *l, tlist_node_t *node)
{
    if (l->depth == 0 || l->head == NULL)
        return;
    tlist_node_t *f = l->head, *r = l->tail;
    bool inside = false;
    for (unsigned d = 0; d < l->depth; d++) {
        node_decompress(f);
        node_decompress(r);
        inside = inside || f == node || r == node;
        if (f == r || f->next == r)
            return; /* The two ends' depths meet: nothing is compressed. */
        f = f->next;
        r = r->prev;
    }
    if (!inside)
        node_compress(node);
    node_compress(f);
    node_compress(r);
}

/* Links n after (or before) at, or as the only node when at is NULL. */
static void link_node(tlist_t *l, tlist_node_t *at, tlist_node_t *n, bool after)
{
    if (at == NULL) {
        INSIST(l->head == NULL);
        l->head = l->tail = n;
    } else if (after) {
        n->prev = at;
        n->next = at->next;
        if (at->next != NULL)
            at->next->prev = n;
        else
            l->tail = n;
        at->next = n;
    } else {
        n->next = at;
        n->prev = at->prev;
        if (at->prev != NULL)
            at->prev->next = n;
        else
            l->head = n;
        at->prev = n;
    }
    l->len++;
    l->count += n->count;
}

/* Unlinks and frees n; the caller restores the depth rule. */
static void unlink_node(tlist_t *l, tlist_node_t *n)
{
    if (n->prev != NULL)
        n->prev->next = n->next;
    else
        l->head = n->next;
    if (n->next != NULL)
        n->next->prev = n->prev;
    else
        l->tail = n->prev;
    l->len--;
    l->count -= n->count;
    node_free(n);
}

/* Applies a change of a raw node's listpack (lp is its new address) to the
 * node and the list's count; an emptied node goes. Returns false then. */
static bool node_changed(tlist_t *l, tlist_node_t *n, uint8_t *lp)
{
    size_t before = n->count;
    n->data = lp;
    node_refresh(n);
    l->count = l->count - before + n->count;
    if (n->count > 0)
        return true;
    unlink_node(l, n);
    return false;
}

/* ============================ sizing rules ============================== */

/* True when fill is a byte limit and sz is within it. */
static bool within_size_limit(size_t sz, int fill)
{
    if (fill >= 0)
        return false;
    size_t i = (size_t)(-fill) - 1;
    return i < ARRAY_LEN(size_limits) && sz <= size_limits[i];
}

/* Whether node can take one more element of n bytes. */
static bool can_insert(const tlist_t *l, const tlist_node_t *node, size_t n)
{
    if (node == NULL)
        return false;
    size_t new_sz = (size_t)node->sz + n + ENTRY_OVERHEAD;
    if (within_size_limit(new_sz, l->fill))
        return true;
    if (new_sz > SAFETY_LIMIT)
        return false;
    return (int)node->count < l->fill;
}

/* Whether two nodes may become one. */
static bool can_merge(const tlist_t *l, const tlist_node_t *a, const tlist_node_t *b)
{
    if (a == NULL || b == NULL)
        return false;
    size_t sz = (size_t)a->sz + b->sz - MERGE_OVERHEAD;
    if (within_size_limit(sz, l->fill))
        return true;
    if (sz > SAFETY_LIMIT)
        return false;
    return (int)a->count + (int)b->count <= l->fill;
}

/* ============================ whole lists =============================== */

obj_t *tlist_new_with(long long fill, long long depth)
{
    tlist_register();
    tlist_t *l = alloc_calloc(sizeof(*l));
    l->fill = (int16_t)(fill > FILL_MAX ? FILL_MAX : fill < -5 ? -5 : fill);
    l->depth = (uint16_t)(depth > DEPTH_MAX ? DEPTH_MAX : depth < 0 ? 0 : depth);
    return obj_new(OBJ_LIST, OBJ_ENC_QUICKLIST, l);
}

obj_t *tlist_new(void)
{
    return tlist_new_with(db_env.list_max_listpack_size, db_env.list_compress_depth);
}

size_t tlist_len(const obj_t *o)
{
    return (size_t)list_of(o)->count;
}

/*
 * Finds the node holding the element at index (negative from the tail) and
 * the element's offset in it, walking from the nearer end. Returns false
 * when the index is out of range.
 */
static bool locate(const tlist_t *l, long long index, tlist_node_t **node, size_t *offset)
{
    uint64_t i;
    if (index < 0) {
        uint64_t back = (uint64_t)(-(index + 1));
        if (back >= l->count)
            return false;
        i = l->count - 1 - back;
    } else {
        if ((uint64_t)index >= l->count)
            return false;
        i = (uint64_t)index;
    }
    uint64_t acc = 0;
    tlist_node_t *n;
    if (i <= (l->count - 1) / 2) {
        for (n = l->head; acc + n->count <= i; n = n->next)
            acc += n->count;
        *offset = (size_t)(i - acc);
    } else {
        uint64_t j = l->count - 1 - i;
        for (n = l->tail; acc + n->count <= j; n = n->prev)
            acc += n->count;
        *offset = n->count - 1 - (size_t)(j - acc);
    }
    *node = n;
    return true;
}

/* ============================ ends ====================================== */

void tlist_push(obj_t *o, const void *s, size_t n, enum tlist_end end)
{
    tlist_t *l = list_of(o);
    tlist_node_t *node = end == TLIST_HEAD ? l->head : l->tail;
    if (can_insert(l, node, n)) {
        node_decompress(node);
        uint8_t *lp = end == TLIST_HEAD ? lp_prepend(node->data, s, n)
                                        : lp_append(node->data, s, n);
        node_changed(l, node, lp);
        return;
    }
    tlist_node_t *fresh = node_new(lp_append(lp_new(), s, n));
    link_node(l, node, fresh, end == TLIST_TAIL);
    apply_depth(l, NULL);
}

str_t *tlist_pop(obj_t *o, enum tlist_end end)
{
    tlist_t *l = list_of(o);
    tlist_node_t *node = end == TLIST_HEAD ? l->head : l->tail;
    if (node == NULL)
        return NULL;
    node_decompress(node);
    uint8_t *p = end == TLIST_HEAD ? lp_first(node->data) : lp_last(node->data);
    char buf[LP_INTBUF];
    size_t len;
    const char *bytes = lp_get_bytes(p, buf, &len);
    str_t *s = str_new(bytes, len);
    if (!node_changed(l, node, lp_delete(node->data, &p)))
        apply_depth(l, NULL);
    return s;
}

/* ============================ by index ================================== */

bool tlist_set(obj_t *o, long long index, const void *s, size_t n)
{
    tlist_t *l = list_of(o);
    tlist_node_t *node;
    size_t off;
    if (!locate(l, index, &node, &off))
        return false;
    node_decompress(node);
    uint8_t *p = lp_seek(node->data, (long long)off);
    node_changed(l, node, lp_replace(node->data, &p, s, n));
    apply_depth(l, node);
    return true;
}

void tlist_delete_range(obj_t *o, long long start, size_t count)
{
    tlist_t *l = list_of(o);
    tlist_node_t *node;
    size_t off;
    if (count == 0 || !locate(l, start, &node, &off))
        return;
    while (count > 0 && node != NULL) {
        tlist_node_t *next = node->next;
        size_t del = node->count - off;
        if (del > count)
            del = count;
        count -= del;
        if (off == 0 && del == node->count) {
            unlink_node(l, node);
        } else {
            node_decompress(node);
            node_changed(l, node, lp_delete_range(node->data, (long long)off, del));
            apply_depth(l, node);
        }
        node = next;
        off = 0;
    }
    apply_depth(l, NULL);
}

/* ============================ insertion ================================= */

/*
 * Splits a raw node around offset: with after, node keeps [0, offset] and
 * the returned unlinked node gets the rest; without, node keeps [offset,
 * end] and the returned node gets [0, offset). The list's count drops by
 * what moved out, which linking the new node adds back.
 */
static tlist_node_t *split_node(tlist_t *l, tlist_node_t *node, size_t offset, bool after)
{
    uint8_t *copy = lp_dup(node->data);
    uint8_t *lp;
    if (after) {
        lp = lp_delete_range(node->data, (long long)offset + 1, SIZE_MAX);
        copy = lp_delete_range(copy, 0, offset + 1);
    } else {
        lp = lp_delete_range(node->data, 0, offset);
        copy = lp_delete_range(copy, (long long)offset, SIZE_MAX);
    }
    bool kept = node_changed(l, node, lp);
    INSIST(kept);
    return node_new(copy);
}

/* Merges b, the node right after a, into a and returns a. */
static tlist_node_t *merge_nodes(tlist_t *l, tlist_node_t *a, tlist_node_t *b)
{
    INSIST(a->next == b);
    node_decompress(a);
    node_decompress(b);
    /* Unlinking b takes its entries off the count; refreshing a adds
     * them back. */
    uint8_t *lp = lp_concat(a->data, b->data);
    unlink_node(l, b);
    node_changed(l, a, lp);
    apply_depth(l, NULL);
    apply_depth(l, a);
    return a;
}

/* After a split next to center, merges the pairs around it that fit in
 * one node: the two before it, the two after it, then center with its
 * neighbours (Redis's order, which decides the resulting node shapes). */
static void merge_around(tlist_t *l, tlist_node_t *center)
{
    tlist_node_t *prev = center->prev, *next = center->next;
    tlist_node_t *prev2 = prev != NULL ? prev->prev : NULL;
    tlist_node_t *next2 = next != NULL ? next->next : NULL;
    if (can_merge(l, prev, prev2))
        merge_nodes(l, prev2, prev);
    if (can_merge(l, next, next2))
        merge_nodes(l, next, next2);
    tlist_node_t *target = center;
    if (can_merge(l, center, center->prev))
        target = merge_nodes(l, center->prev, center);
    if (can_merge(l, target, target->next))
        merge_nodes(l, target, target->next);
}

/* Inserts into node's listpack at entry offset, before or after it. */
static void insert_in_node(tlist_t *l, tlist_node_t *node, size_t offset, bool after,
                           const void *s, size_t n)
{
    node_decompress(node);
    uint8_t *p = lp_seek(node->data, (long long)offset);
    node_changed(l, node, lp_insert(node->data, p, after ? LP_AFTER : LP_BEFORE, s, n, NULL));
    apply_depth(l, node);
}

/*
 * Inserts s next to the element at offset in node, with Redis's choice of
 * where: in the node when it has room; at the start of the next node (or
 * the end of the previous one) when inserting at the node's edge and that
 * neighbour has room; in a new node at the edge otherwise; and else by
 * splitting the node and merging what fits around it.
 */
static void insert_at(tlist_t *l, tlist_node_t *node, size_t offset, bool after,
                      const void *s, size_t n)
{
    bool at_tail = after && offset + 1 == node->count;
    bool at_head = !after && offset == 0;
    if (can_insert(l, node, n)) {
        insert_in_node(l, node, offset, after, s, n);
    } else if (at_tail && can_insert(l, node->next, n)) {
        insert_in_node(l, node->next, 0, false, s, n);
    } else if (at_head && can_insert(l, node->prev, n)) {
        insert_in_node(l, node->prev, node->prev->count - 1, true, s, n);
    } else if (at_tail || at_head) {
        tlist_node_t *fresh = node_new(lp_append(lp_new(), s, n));
        link_node(l, node, fresh, after);
        apply_depth(l, NULL);
        apply_depth(l, fresh);
    } else {
        node_decompress(node);
        tlist_node_t *fresh = split_node(l, node, offset, after);
        uint8_t *lp = after ? lp_prepend(fresh->data, s, n) : lp_append(fresh->data, s, n);
        fresh->data = lp;
        node_refresh(fresh);
        link_node(l, node, fresh, after);
        apply_depth(l, node);
        apply_depth(l, fresh);
        merge_around(l, node);
    }
}

/* ============================ search ==================================== */

/* A needle compared against entries: its text, and its value when it is a
 * canonical integer (as listpacks store such strings). */
typedef struct needle {
    const void *s;
    size_t n;
    bool is_int;
    long long v;
} needle_t;

static void needle_init(needle_t *nd, const void *s, size_t n)
{
    nd->s = s;
    nd->n = n;
    nd->is_int = n > 0 && n <= 20 && strconv_to_ll(s, n, &nd->v) == 0;
}

static bool needle_match(const needle_t *nd, const uint8_t *p)
{
    lp_val_t v;
    lp_get(p, &v);
    if (v.str == NULL)
        return nd->is_int && nd->v == v.num;
    return v.len == nd->n && (nd->n == 0 || memcmp(v.str, nd->s, nd->n) == 0);
}

/* Whether a node holds the needle, without changing the node: compressed
 * nodes are searched through a copy in *scratch (grown as needed). */
static bool node_has(const tlist_node_t *node, const needle_t *nd, uint8_t **scratch,
                     size_t *offset)
{
    uint8_t *lp = node->data;
    if (node->compressed) {
        *scratch = alloc_realloc(*scratch, node->sz);
        inflate(node, *scratch);
        lp = *scratch;
    }
    size_t i = 0;
    LP_FOREACH(lp, p) {
        if (needle_match(nd, p)) {
            *offset = i;
            return true;
        }
        i++;
    }
    return false;
}

bool tlist_insert(obj_t *o, const void *pivot, size_t pn, const void *s, size_t n,
                  bool after)
{
    tlist_t *l = list_of(o);
    needle_t nd;
    needle_init(&nd, pivot, pn);
    uint8_t *scratch = NULL;
    size_t off = 0;
    tlist_node_t *node = l->head;
    while (node != NULL && !node_has(node, &nd, &scratch, &off))
        node = node->next;
    alloc_free(scratch);
    if (node == NULL)
        return false;
    insert_at(l, node, off, after, s, n);
    return true;
}

/* Removes up to limit entries equal to the needle from a node, walking it
 * towards the tail (forward) or the head. Returns how many went. */
static size_t remove_in_node(tlist_t *l, tlist_node_t *node, const needle_t *nd, size_t limit,
                             bool forward)
{
    node_decompress(node);
    uint8_t *lp = node->data;
    uint8_t *p = forward ? lp_first(lp) : lp_last(lp);
    size_t removed = 0;
    while (p != NULL && removed < limit) {
        if (!needle_match(nd, p)) {
            p = forward ? lp_next(lp, p) : lp_prev(lp, p);
            continue;
        }
        uint8_t *before = forward ? NULL : lp_prev(lp, p);
        size_t before_off = before != NULL ? (size_t)(before - lp) : 0;
        lp = lp_delete(lp, &p);
        if (!forward)
            p = before != NULL ? lp + before_off : NULL;
        removed++;
    }
    if (node_changed(l, node, lp))
        apply_depth(l, node);
    else
        apply_depth(l, NULL);
    return removed;
}

size_t tlist_remove(obj_t *o, const void *s, size_t n, long long count)
{
    tlist_t *l = list_of(o);
    needle_t nd;
    needle_init(&nd, s, n);
    bool forward = count >= 0;
    size_t limit = count == 0 ? SIZE_MAX
                   : count > 0 ? (size_t)count : (size_t)(-(count + 1)) + 1;
    size_t removed = 0, off;
    uint8_t *scratch = NULL;
    tlist_node_t *node = forward ? l->head : l->tail;
    while (node != NULL && removed < limit) {
        tlist_node_t *following = forward ? node->next : node->prev;
        if (node_has(node, &nd, &scratch, &off))
            removed += remove_in_node(l, node, &nd, limit - removed, forward);
        node = following;
    }
    alloc_free(scratch);
    return removed;
}

/* ============================ iteration ================================= */

/* Points the iterator at node's listpack, through a copy when compressed. */
static void iter_open(tlist_iter_t *it, tlist_node_t *node)
{
    it->node = node;
    if (node->compressed) {
        it->copy = alloc_realloc(it->copy, node->sz);
        inflate(node, it->copy);
        it->lp = it->copy;
    } else {
        it->lp = node->data;
    }
}

void tlist_iter_init(tlist_iter_t *it, obj_t *o, long long index, bool forward)
{
    tlist_node_t *node;
    size_t off;
    it->l = list_of(o);
    it->node = NULL;
    it->lp = it->p = it->copy = NULL;
    it->forward = forward;
    if (!locate(it->l, index, &node, &off))
        return;
    iter_open(it, node);
    it->p = lp_seek(it->lp, (long long)off);
}

bool tlist_iter_next(tlist_iter_t *it, tlist_ent_t *e)
{
    while (it->node != NULL && it->p == NULL) {
        tlist_node_t *next = it->forward ? it->node->next : it->node->prev;
        if (next == NULL) {
            it->node = NULL;
            break;
        }
        iter_open(it, next);
        it->p = it->forward ? lp_first(it->lp) : lp_last(it->lp);
    }
    if (it->node == NULL)
        return false;
    lp_val_t v;
    lp_get(it->p, &v);
    e->p = v.str;
    e->n = v.len;
    e->num = v.num;
    it->p = it->forward ? lp_next(it->lp, it->p) : lp_prev(it->lp, it->p);
    return true;
}

void tlist_iter_destroy(tlist_iter_t *it)
{
    alloc_free(it->copy);
    it->copy = NULL;
    it->node = NULL;
}

bool tlist_ent_eq(const tlist_ent_t *e, const void *s, size_t n)
{
    if (e->p != NULL)
        return e->n == n && (n == 0 || memcmp(e->p, s, n) == 0);
    long long v;
    return n > 0 && n <= 20 && strconv_to_ll(s, n, &v) == 0 && v == e->num;
}

const char *tlist_ent_bytes(const tlist_ent_t *e, char buf[LP_INTBUF], size_t *n)
{
    if (e->p != NULL) {
        *n = e->n;
        return e->p;
    }
    *n = strconv_ll(buf, e->num);
    return buf;
}

/* ============================ introspection ============================= */

void tlist_stats(const obj_t *o, tlist_stats_t *st)
{
    const tlist_t *l = list_of(o);
    memset(st, 0, sizeof(*st));
    st->nodes = l->len;
    st->count = (size_t)l->count;
    st->fill = l->fill;
    st->depth = l->depth;
    for (const tlist_node_t *n = l->head; n != NULL; n = n->next) {
        st->raw_bytes += n->sz;
        st->compressed_nodes += n->compressed;
    }
}

/* ============================ RDB ======================================= */

int tlist_foreach_node(const obj_t *o, tlist_node_fn *fn, void *arg)
{
    const tlist_t *l = list_of(o);
    for (const tlist_node_t *n = l->head; n != NULL; n = n->next) {
        tlist_blob_t b;
        b.raw_len = n->sz;
        b.compressed = n->compressed;
        if (n->compressed) {
            const lzf_blob_t *z = (const lzf_blob_t *)n->data;
            b.data = z->bytes;
            b.len = z->len;
        } else {
            b.data = n->data;
            b.len = n->sz;
        }
        int rc = fn(arg, &b);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int tlist_validate_listpack(const uint8_t *blob, size_t size)
{
    return lp_validate(blob, size, NULL, NULL) == 0 ? 0 : -EINVAL;
}

void tlist_append_listpack(obj_t *o, uint8_t *lp)
{
    tlist_t *l = list_of(o);
    size_t count = lp_count(lp);
    if (count == 0) {
        lp_free(lp);
        return;
    }
    if (count >= UINT16_MAX) {
        /* No node of Redis's holds this many entries; keep the elements
         * and let the sizing rules shape the nodes. */
        LP_FOREACH(lp, p) {
            char buf[LP_INTBUF];
            size_t n;
            const char *s = lp_get_bytes(p, buf, &n);
            tlist_push(o, s, n, TLIST_TAIL);
        }
        lp_free(lp);
        return;
    }
    link_node(l, l->tail, node_new(lp), true);
    apply_depth(l, NULL);
    apply_depth(l, l->tail);
}

/* ============================ type registration ========================= */

static void list_free(obj_t *o)
{
    tlist_t *l = o->ptr;
    tlist_node_t *n = l->head;
    while (n != NULL) {
        tlist_node_t *next = n->next;
        node_free(n);
        n = next;
    }
    alloc_free(l);
    o->ptr = NULL;
}

/* The bytes of a node's data allocation. */
static size_t data_bytes(const tlist_node_t *n)
{
    if (n->compressed)
        return sizeof(lzf_blob_t) + ((const lzf_blob_t *)n->data)->len;
    return n->sz;
}

static obj_t *list_dup(const obj_t *o)
{
    const tlist_t *src = o->ptr;
    obj_t *copy = tlist_new_with(src->fill, src->depth);
    tlist_t *l = copy->ptr;
    for (const tlist_node_t *n = src->head; n != NULL; n = n->next) {
        tlist_node_t *c = alloc_malloc(sizeof(*c));
        *c = *n;
        c->prev = c->next = NULL;
        c->data = alloc_memdup(n->data, data_bytes(n));
        link_node(l, l->tail, c, true);
    }
    return copy;
}

/*
 * MEMORY USAGE as Redis estimates it: the object and the list header, plus
 * the average of node header and listpack (as stored, so compressed nodes
 * count their compressed size) over the first samples nodes, times the
 * number of nodes.
 */
static size_t list_mem_usage(const obj_t *o, size_t samples)
{
    const tlist_t *l = o->ptr;
    size_t size = alloc_size(o) + alloc_size(l);
    if (samples == 0)
        samples = SIZE_MAX;
    size_t n = 0, nodes_size = 0;
    for (const tlist_node_t *node = l->head; node != NULL && n < samples; node = node->next) {
        nodes_size += alloc_size(node) + alloc_size(node->data);
        n++;
    }
    if (n > 0)
        size += (size_t)((double)nodes_size / (double)n * (double)l->len);
    return size;
}

void tlist_register(void)
{
    static bool done;
    if (done)
        return;
    obj_register_free(OBJ_LIST, list_free);
    obj_register_dup(OBJ_LIST, list_dup);
    obj_register_mem_usage(OBJ_LIST, list_mem_usage);
    done = true;
}
