#include <config.h>

#include "core/alloc.h"
#include "core/str.h"
#include "tap.h"

int main(void)
{
    size_t base = alloc_used();
    str_t *s = str_new("ab\0c", 4);
    is_int(s->len, 4, "binary-safe length");
    ok(s->buf[4] == '\0', "NUL terminated");
    s = str_cat(s, "xyz", 3);
    is_mem(s->buf, s->len, "ab\0cxyz", 7, "cat");
    s = str_catfmt(s, "%d-%s", 42, "q");
    is_mem(s->buf, s->len, "ab\0cxyz42-q", 11, "catfmt");
    str_t *big = str_new_cap(0);
    for (int i = 0; i < 1000; i++)
        big = str_catfmt(big, "%04d", i);
    is_int(big->len, 4000, "many appends");
    ok(big->buf[3996] == '0' && big->buf[3999] == '9', "content of appends");
    big = str_shrink(big);
    is_int(big->cap, 4000, "shrink to length");
    str_t *z = str_grow_zero(str_new_cstr("a"), 5);
    is_mem(z->buf, z->len, "a\0\0\0\0", 5, "grow_zero pads with zeros");
    ok(str_cmp(z, s) < 0, "cmp orders bytes");
    ok(bytes_cmp("ab", 2, "abc", 3) < 0, "shorter first on tie");
    str_t *d = str_dup(s);
    ok(str_cmp(d, s) == 0, "dup equal");
    str_t *f = str_fmt("%s", "x");
    is_str(f->buf, "x", "fmt");
    str_t *h = str_new_cstr("HeLLo");
    ok(str_eq_cstr_nocase(h, "hello"), "eq nocase");
    str_free(h);
    str_free(f);
    str_free(d);
    str_free(z);
    str_free(big);
    str_free(s);
    is_int(alloc_used(), base + 0 * 1, "all memory returned");
    return done_testing();
}
