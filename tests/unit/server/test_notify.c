/*
 * Unit tests of server/notify.c: class letters in and out (Redis 7.0's
 * CONFIG GET forms), the channel names and messages of keyspace and
 * keyevent events, class filtering, and the keyspace hooks ("new",
 * "keymiss", "expired"). The pub/sub module is replaced by a recorder.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "db/keyspace.h"
#include "db/object.h"
#include "server/notify.c"
#include "tap.h"

/* ---- a recording stand-in for server/pubsub.c ------------------------- */

#define MAX_SEEN 16

static struct {
    char channel[512];
    char msg[512];
} seen[MAX_SEEN];
static int nseen;
static bool have_subscribers = true;

long long pubsub_publish(const char *channel, size_t chlen, const char *msg, size_t msglen)
{
    if (nseen < MAX_SEEN) {
        snprintf(seen[nseen].channel, sizeof(seen[nseen].channel), "%.*s", (int)chlen, channel);
        snprintf(seen[nseen].msg, sizeof(seen[nseen].msg), "%.*s", (int)msglen, msg);
    }
    nseen++;
    return 1;
}

bool pubsub_has_subscribers(void)
{
    return have_subscribers;
}

static const char *format(const char *letters)
{
    static char buf[NOTIFY_FORMAT_MAX];
    int classes = notify_parse_classes(letters);
    notify_format_classes(classes < 0 ? 0 : classes, buf);
    return buf;
}

static void test_parse_format(void)
{
    is_int(notify_parse_classes(""), 0, "no letters: no classes");
    is_int(notify_parse_classes("x"), NOTIFY_EXPIRED, "x: expired");
    is_int(notify_parse_classes("KEA"), NOTIFY_KEYSPACE | NOTIFY_KEYEVENT | NOTIFY_ALL, "KEA");
    is_int(notify_parse_classes("KQ"), -1, "a bad letter fails");
    ok(!(notify_parse_classes("A") & (NOTIFY_KEY_MISS | NOTIFY_NEW)), "A leaves out m and n");
    ok(notify_parse_classes("A") & NOTIFY_MODULE, "A includes d");
    is_int(notify_parse_classes("n"), NOTIFY_NEW, "n: new keys");
    is_str(format("KEA"), "AKE", "KEA shown as AKE");
    is_str(format("AmnKE"), "AKEm", "n is never shown (Redis 7.0)");
    is_str(format("g$lshzxetd"), "A", "every type class is A");
    is_str(format("g$lshzxet"), "g$lshzxet", "all but d is not A");
    is_str(format("xg$"), "g$x", "canonical order");
    is_str(format("KEx"), "xKE", "K and E after the type classes");
    is_str(format(""), "", "nothing");
}

static void test_events(void)
{
    notify_set_classes(notify_parse_classes("KE$"));
    nseen = 0;
    notify_keyspace_event(NOTIFY_STRING, "set", "k", 1, 3);
    is_int(nseen, 2, "K and E: two messages");
    is_str(seen[0].channel, "__keyspace@3__:k", "keyspace channel");
    is_str(seen[0].msg, "set", "keyspace message is the event");
    is_str(seen[1].channel, "__keyevent@3__:set", "keyevent channel");
    is_str(seen[1].msg, "k", "keyevent message is the key");
    nseen = 0;
    notify_keyspace_event(NOTIFY_GENERIC, "del", "k", 1, 0);
    is_int(nseen, 0, "a class that is off publishes nothing");
    notify_set_classes(notify_parse_classes("E$"));
    nseen = 0;
    notify_keyspace_event(NOTIFY_STRING, "set", "k", 1, 0);
    ok(nseen == 1 && strcmp(seen[0].channel, "__keyevent@0__:set") == 0, "E alone");
    notify_set_classes(notify_parse_classes("A"));
    nseen = 0;
    notify_keyspace_event(NOTIFY_STRING, "set", "k", 1, 0);
    is_int(nseen, 0, "neither K nor E: nothing");
    notify_set_classes(notify_parse_classes("KA"));
    char key[400];
    memset(key, 'x', sizeof(key));
    nseen = 0;
    notify_keyspace_event(NOTIFY_STRING, "set", key, sizeof(key), 15);
    ok(nseen == 1 && strlen(seen[0].channel) == strlen("__keyspace@15__:") + sizeof(key),
       "a long key makes a long channel name");
    have_subscribers = false;
    nseen = 0;
    notify_keyspace_event(NOTIFY_STRING, "set", "k", 1, 0);
    is_int(nseen, 0, "no subscribers: nothing published");
    have_subscribers = true;
}

static void test_hooks(void)
{
    db_t *dbs = db_array_new(2);
    notify_init();
    notify_set_classes(notify_parse_classes("Knmx"));
    db_env.now_ms = 1000000;
    nseen = 0;
    db_add(&dbs[1], key_ref("nk", 2), obj_new_string("v", 1));
    ok(nseen == 1 && strcmp(seen[0].channel, "__keyspace@1__:nk") == 0 &&
           strcmp(seen[0].msg, "new") == 0, "db_add: new");
    nseen = 0;
    ok(db_lookup_read(&dbs[1], key_ref("missing", 7)) == NULL, "lookup of a missing key");
    ok(nseen == 1 && strcmp(seen[0].msg, "keymiss") == 0, "read miss: keymiss");
    nseen = 0;
    db_lookup_write(&dbs[1], key_ref("missing", 7));
    is_int(nseen, 0, "write lookups report no miss");
    db_set_expire(&dbs[1], key_ref("nk", 2), 999);
    nseen = 0;
    ok(db_lookup_read(&dbs[1], key_ref("nk", 2)) == NULL, "an expired key reads as missing");
    ok(nseen == 2 && strcmp(seen[0].msg, "expired") == 0 && strcmp(seen[1].msg, "keymiss") == 0,
       "expired, then keymiss");
    notify_set_classes(0);
    db_array_free(dbs, 2);
}

int main(void)
{
    test_parse_format();
    test_events();
    test_hooks();
    return done_testing();
}
