"""COMMAND: INFO, DOCS, COUNT, LIST, GETKEYS, GETKEYSANDFLAGS and HELP
compared with the reference redis-server 7.0.15, reply type by reply type,
in RESP2 and RESP3, for every command our table has."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402


class TypedConn(rhtest.RawConn):
    """A raw connection whose replies keep their RESP type: each value is a
    (type, payload) pair, so a set never equals an array and a status never
    equals a bulk string."""

    def typed(self, *args):
        self.send(rhtest.encode(*args))
        return self.typed_reply()

    def typed_reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-", b":", b",", b"#", b"(", b"_"):
            return (t.decode(), rest)
        if t in (b"$", b"="):
            n = int(rest)
            return (t.decode(), None if n < 0 else self._exact(n))
        if t in (b"*", b"~", b">"):
            n = int(rest)
            return (t.decode(), None if n < 0 else [self.typed_reply() for _ in range(n)])
        if t == b"%":
            return ("%", [(self.typed_reply(), self.typed_reply()) for _ in range(int(rest))])
        raise ValueError("unknown reply %r" % line)


def conns(server):
    c2 = TypedConn(server.port)
    c3 = TypedConn(server.port)
    c3.cmd("HELLO", "3")
    return {2: c2, 3: c3}


def plain(v):
    """The payload of a typed value, recursively, for easy inspection."""
    t, p = v
    if t == "%":
        return [(plain(k), plain(x)) for k, x in p]
    if isinstance(p, list):
        return [plain(x) for x in p]
    if isinstance(p, bytes):
        return p.decode(errors="replace")
    return p


def pairs(v):
    """A typed map (RESP3 %) or flat array (RESP2) as a list of pairs."""
    t, p = v
    if t == "%":
        return p
    return list(zip(p[0::2], p[1::2]))


def rebuild(v, kind, proto, items):
    """A typed map or flat array with new items (key, value) pairs."""
    if proto == 3:
        return ("%", items)
    flat = []
    for k, x in items:
        flat += [k, x]
    return (kind, flat)


t = rhtest.Tap()
ref = rhtest.ref_server()
if ref is None:
    t.skip("reference server", "redis-server 7.0.15 not installed")
    t.done()
ours = rhtest.Server()
O, R = conns(ours), conns(ref)

# Our table, as COMMAND LIST reports it (subcommands included).
names = sorted(plain(O[2].typed("COMMAND", "LIST")))
ref_names = set(plain(R[2].typed("COMMAND", "LIST")))
tops = [n for n in names if "|" not in n]
known = [n for n in names if n in ref_names]
unknown = [n for n in names if n not in ref_names]
t.ok(len(names) > 0, "COMMAND LIST returns our commands (%d)" % len(names))
if unknown:
    t.diag("not in the reference, not compared: %s" % ", ".join(unknown))


def ours_subs_only(info, proto):
    """Keeps the reference's subcommand entries for the subcommands we have,
    sorted by name (Redis lists them in hash order)."""
    t_, p = info
    p = list(p)
    subs = [s for s in p[9][1] if plain(s)[0] in known]
    subs.sort(key=lambda s: plain(s)[0])
    p[9] = (p[9][0], subs)
    return (t_, p)


def compare(what, query, normalize=None):
    bad = []
    for name in known:
        for proto in (2, 3):
            got, want = O[proto].typed(*query(name)), R[proto].typed(*query(name))
            if normalize:
                got, want = normalize(got, proto), normalize(want, proto)
            if got != want:
                bad.append((name, proto, plain(got), plain(want)))
    t.ok(not bad, "%s matches the reference for %d commands, RESP2 and RESP3"
         % (what, len(known)))
    for name, proto, got, want in bad[:5]:
        t.diag("%s RESP%d\n  got:  %r\n  want: %r" % (name, proto, got, want))


def norm_info(v, proto):
    _, entries = v
    return ("*", [ours_subs_only(e, proto) if e[0] == "*" else e for e in entries])


compare("COMMAND INFO", lambda n: ("COMMAND", "INFO", n), norm_info)


def norm_docs(v, proto):
    items = []
    for k, doc in pairs(v):
        fields = []
        for fk, fv in pairs(doc):
            if plain(fk) == "subcommands":
                subs = sorted([(sk, sv) for sk, sv in pairs(fv) if plain(sk) in known],
                              key=lambda kv: plain(kv[0]))
                fv = rebuild(fv, fv[0], proto, subs)
            fields.append((fk, fv))
        items.append((k, rebuild(doc, doc[0], proto, fields)))
    return rebuild(v, v[0], proto, items)


compare("COMMAND DOCS", lambda n: ("COMMAND", "DOCS", n), norm_docs)

# --- COUNT, INFO and DOCS of several names, unknown names ------------------------
t.is_(O[2].typed("COMMAND", "COUNT"), (":", str(len(tops)).encode()),
      "COMMAND COUNT counts top-level commands")
all_info = O[2].typed("COMMAND")
t.is_(len(all_info[1]), len(tops), "COMMAND without arguments lists every command")
t.is_(O[2].typed("COMMAND", "INFO")[1] == all_info[1], True, "COMMAND INFO without names too")
t.is_(len(pairs(O[3].typed("COMMAND", "DOCS"))), len(tops), "COMMAND DOCS without names: every command")
for proto in (2, 3):
    q = ("COMMAND", "INFO", "get", "nosuch", "GET")
    t.is_(O[proto].typed(*q), R[proto].typed(*q), "COMMAND INFO with an unknown name RESP%d" % proto)
    q = ("COMMAND", "DOCS", "nosuch", "get")
    t.is_(O[proto].typed(*q), R[proto].typed(*q), "COMMAND DOCS skips unknown names RESP%d" % proto)
    q = ("COMMAND", "INFO", "config|get", "CONFIG|GET", "get|x", "config|get|x", "config|nosuch")
    t.is_(O[proto].typed(*q), R[proto].typed(*q), "COMMAND INFO of subcommands RESP%d" % proto)

# --- LIST filters -----------------------------------------------------------------


def listing(c, *args):
    return sorted(plain(c.typed("COMMAND", "LIST", *args)))


for args in (("FILTERBY", "PATTERN", "*"), ("FILTERBY", "PATTERN", "G*"),
             ("FILTERBY", "PATTERN", "config|*"), ("FILTERBY", "ACLCAT", "string"),
             ("FILTERBY", "ACLCAT", "dangerous"), ("FILTERBY", "aclcat", "connection")):
    want = [n for n in listing(R[2], *args) if n in names]
    got = [n for n in listing(O[2], *args) if n in ref_names]
    t.is_(got, want, "COMMAND LIST %s" % " ".join(args))
for args in (("FILTERBY", "MODULE", "x"), ("FILTERBY", "ACLCAT", "nosuch"),
             ("FILTERBY", "ACLCAT", "@string"), ("FILTERBY", "PATTERN"), ("FILTERBY",),
             ("x", "y", "z"), ("FILTERBY", "PATTERN", "a", "b"), ("FILTERBY", "foo", "x")):
    t.is_(O[2].typed("COMMAND", "LIST", *args), R[2].typed("COMMAND", "LIST", *args),
          "COMMAND LIST %s" % " ".join(args))

# --- GETKEYS and GETKEYSANDFLAGS --------------------------------------------------
calls = [
    "get a", "get a b", "set a b", "set a b get", "set a b ex 10 get", "mset a 1 b 2",
    "mset a 1 b", "mget a b c", "del a b c", "exists a", "rename a b", "copy a b db 1",
    "getex a", "lcs a b", "bitop and d a b", "bitfield a get u8 0",
    "bitfield a set u8 0 1", "bitfield a overflow sat incrby u8 0 1", "bitfield_ro a get u8 0",
    "object encoding a", "memory usage a", "config get x", "ping", "echo x",
    "nosuch a", "config nosuch", "touch a b", "unlink a", "expire a 10", "sort a by b store c",
    "sort a limit 0 1 store c", "setrange a 0 b", "msetnx a 1 b 2", "incr a", "substr a 0 1",
]
for sub in ("GETKEYS", "GETKEYSANDFLAGS"):
    bad = []
    tried = 0
    for call in calls:
        words = call.split()
        if words[0] not in names and words[0] != "nosuch":
            continue
        tried += 1
        for proto in (2, 3):
            got = O[proto].typed("COMMAND", sub, *words)
            want = R[proto].typed("COMMAND", sub, *words)
            if got != want:
                bad.append((call, proto, plain(got), plain(want)))
    t.ok(not bad, "COMMAND %s matches the reference for %d calls" % (sub, tried))
    for call, proto, got, want in bad[:5]:
        t.diag("%s RESP%d\n  got:  %r\n  want: %r" % (call, proto, got, want))

# --- errors and help ----------------------------------------------------------------
for q in (("COMMAND", "GETKEYS"), ("COMMAND", "GETKEYS", "get"), ("COMMAND", "COUNT", "x"),
          ("COMMAND", "HELP", "x"), ("COMMAND", "FOO"), ("COMMAND", "HELP"),
          ("command", "help")):
    t.is_(O[2].typed(*q), R[2].typed(*q), " ".join(q))

t.done()
