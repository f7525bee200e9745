#!/usr/bin/python3
"""Generates src/server/command_docs.c from a reference redis-server.

For every command and subcommand named in src/server/defs/*.def, asks the
reference server (Redis 7.0.15) for its COMMAND DOCS entry and for the parts
of COMMAND INFO that our command table does not hold (tips and key spec
notes), and writes them as static C data. Run it again whenever commands are
added to the .def files:

    packaging/gen-command-docs.py                 # starts a private reference
    packaging/gen-command-docs.py --port 6379     # uses a running one
    packaging/gen-command-docs.py --check         # exit 1 if the file is stale

Only the names in our table are emitted. A name the reference does not know
is reported and skipped.
"""

import argparse
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
EXPECTED_VERSION = "7.0.15"

# --------------------------------------------------------------------------
# A typed RESP3 reader: sets, maps and status strings stay distinguishable.


class Status(str):
    pass


class RespError(Exception):
    pass


class Conn:
    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.rf = self.sock.makefile("rb")

    def cmd(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self.read()

    def _line(self):
        line = self.rf.readline()
        if not line.endswith(b"\r\n"):
            raise RespError("connection closed")
        return line[:-2]

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:].decode()
        if kind == b"+":
            return Status(rest)
        if kind == b"-":
            raise RespError(rest)
        if kind == b":":
            return int(rest)
        if kind in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return None
            data = self.rf.read(n + 2)[:-2].decode()
            return data[4:] if kind == b"=" else data
        if kind in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        if kind == b"%":
            return [(self.read(), self.read()) for _ in range(int(rest))]
        if kind == b"_":
            return None
        if kind == b"#":
            return rest == "t"
        raise RespError("unexpected reply %r" % line)

    def close(self):
        self.sock.close()


def as_dict(pairs):
    return dict(pairs) if pairs else {}


# --------------------------------------------------------------------------
# Our command table.


DEF_TOP = re.compile(r'^\s*(?:CMD|CONTAINER)\(\s*"([^"]+)"')
DEF_SUB = re.compile(r'^\s*SUB\(\s*"([^"]+)"\s*,\s*"([^"]+)"')


def table_names(srcdir):
    """Returns (top-level names, {parent: [sub names]}) from the .def files."""
    tops, subs = [], {}
    for path in sorted(glob.glob(os.path.join(srcdir, "src/server/defs/*.def"))):
        with open(path) as f:
            for line in f:
                m = DEF_TOP.match(line)
                if m:
                    tops.append(m.group(1).lower())
                    continue
                m = DEF_SUB.match(line)
                if m:
                    subs.setdefault(m.group(1).lower(), []).append(m.group(2).lower())
    return tops, subs


# --------------------------------------------------------------------------
# The reference server.


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Reference:
    """A private reference server, stopped (by PID) on exit."""

    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="gen-command-docs-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                Conn(self.port).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        sys.exit("gen-command-docs: the reference server did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def fetch(conn, tops, subs):
    """Returns {fullname: (docs dict, info list)} for every known name."""
    conn.cmd("HELLO", "3")
    info_text = conn.cmd("INFO", "server")
    m = re.search(r"redis_version:(\S+)", info_text)
    version = m.group(1) if m else "?"
    if version != EXPECTED_VERSION:
        print("gen-command-docs: warning: reference is %s, expected %s"
              % (version, EXPECTED_VERSION), file=sys.stderr)
    out = {}
    for name in tops:
        docs = as_dict(conn.cmd("COMMAND", "DOCS", name))
        infos = conn.cmd("COMMAND", "INFO", name)
        if name not in docs or not infos or infos[0] is None:
            print("gen-command-docs: '%s' unknown to the reference, skipped" % name,
                  file=sys.stderr)
            continue
        doc, info = as_dict(docs[name]), infos[0]
        out[name] = (doc, info)
        subdocs = as_dict(doc.get("subcommands"))
        subinfos = {i[0]: i for i in info[9]}
        for sub in subs.get(name, []):
            full = "%s|%s" % (name, sub)
            if full not in subdocs or full not in subinfos:
                print("gen-command-docs: '%s' unknown to the reference, skipped" % full,
                      file=sys.stderr)
                continue
            out[full] = (as_dict(subdocs[full]), subinfos[full])
    return out, version


# --------------------------------------------------------------------------
# C emission.


def cstr(s):
    if s is None:
        return "NULL"
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "?":
            out.append("\\?")  # No trigraphs, whatever the compiler mode.
        elif 32 <= o < 127:
            out.append(ch)
        else:
            for b in ch.encode():
                out.append('\\%03o' % b)
    out.append('"')
    return "".join(out)


ARG_FLAGS = {"optional": "CMD_ARG_OPTIONAL", "multiple": "CMD_ARG_MULTIPLE",
             "multiple_token": "CMD_ARG_MULTIPLE_TOKEN"}
DOC_FLAGS = {"deprecated": "CMD_DOC_DEPRECATED", "syscmd": "CMD_DOC_SYSCMD"}
ARG_KEYS = {"name", "type", "key_spec_index", "token", "summary", "since",
            "deprecated_since", "flags", "display_text", "arguments"}
DOC_KEYS = {"summary", "since", "group", "complexity", "doc_flags",
            "deprecated_since", "replaced_by", "history", "arguments", "subcommands"}


def flag_expr(names, table, what):
    parts = []
    for n in names or []:
        if n not in table:
            sys.exit("gen-command-docs: unknown %s flag '%s'" % (what, n))
        parts.append(table[n])
    return " | ".join(parts) if parts else "0"


class Emitter:
    def __init__(self):
        self.lines = []
        self.counter = 0

    def ident(self, prefix):
        self.counter += 1
        return "%s%d" % (prefix, self.counter)

    def args(self, args):
        """Emits an argument array (children first); returns its name."""
        rows = []
        for a in args:
            a = as_dict(a)
            unknown = set(a) - ARG_KEYS
            if unknown:
                sys.exit("gen-command-docs: unknown argument fields %s" % sorted(unknown))
            sub, nsub = "NULL", 0
            if a.get("arguments"):
                sub, nsub = self.args(a["arguments"]), len(a["arguments"])
            rows.append("    {%s, %s, %d, %s, %s, %s, %s, %s, %s, %s, %d}," % (
                cstr(a["name"]), cstr(a["type"]), a.get("key_spec_index", -1),
                cstr(a.get("token")), cstr(a.get("summary")), cstr(a.get("since")),
                cstr(a.get("deprecated_since")),
                flag_expr(a.get("flags"), ARG_FLAGS, "argument"),
                cstr(a.get("display_text")), sub, nsub))
        name = self.ident("args_")
        self.lines.append("static const command_arg_t %s[] = {" % name)
        self.lines.extend(rows)
        self.lines.append("};")
        return name

    def strings(self, prefix, items):
        name = self.ident(prefix)
        self.lines.append("static const char *const %s[] = {%s};"
                          % (name, ", ".join(cstr(s) for s in items)))
        return name

    def history(self, items):
        name = self.ident("history_")
        self.lines.append("static const command_history_t %s[] = {" % name)
        for version, text in items:
            self.lines.append("    {%s, %s}," % (cstr(version), cstr(text)))
        self.lines.append("};")
        return name

    def entry(self, fullname, doc, info):
        unknown = set(doc) - DOC_KEYS
        if unknown:
            sys.exit("gen-command-docs: unknown doc fields %s in %s"
                     % (sorted(unknown), fullname))
        args = doc.get("arguments") or []
        hist = doc.get("history") or []
        tips = info[7] or []
        notes = [as_dict(ks).get("notes") for ks in (info[8] or [])]
        if not any(notes):
            notes = []
        argname = self.args(args) if args else "NULL"
        histname = self.history(hist) if hist else "NULL"
        tipname = self.strings("tips_", tips) if tips else "NULL"
        notename = self.strings("notes_", notes) if notes else "NULL"
        return ("    {%s, %s, %s, %s, %s, %s, %s, %s,\n     %s, %d, %s, %d, %s, %d, %s, %d},"
                % (cstr(fullname), cstr(doc.get("summary")), cstr(doc.get("since")),
                   cstr(doc.get("group")), cstr(doc.get("complexity")),
                   flag_expr(doc.get("doc_flags"), DOC_FLAGS, "doc"),
                   cstr(doc.get("deprecated_since")), cstr(doc.get("replaced_by")),
                   histname, len(hist), argname, len(args), tipname, len(tips),
                   notename, len(notes)))


HEADER = """\
/*
 * GENERATED by packaging/gen-command-docs.py from redis-server %s's
 * COMMAND DOCS and COMMAND INFO for the commands in the .def files under
 * src/server/defs.
 * Do not edit; run the script again after adding commands.
 */
#include <config.h>
#include "server/command_docs.h"

#include <stddef.h>
#include <string.h>
"""

FOOTER = """
#define NDOCS ((int)(sizeof(docs) / sizeof(docs[0])))

/* The table is sorted by name, so a binary search finds an entry. */
const command_doc_t *command_docs_find(const char *fullname)
{
    int lo = 0, hi = NDOCS - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int cmp = strcmp(fullname, docs[mid].fullname);
        if (cmp == 0)
            return &docs[mid];
        if (cmp < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return NULL;
}

int command_docs_count(void)
{
    return NDOCS;
}

const command_doc_t *command_docs_at(int i)
{
    return i >= 0 && i < NDOCS ? &docs[i] : NULL;
}
"""


def render(data, version):
    em = Emitter()
    rows = []
    for fullname in sorted(data, key=lambda s: s.encode()):
        doc, info = data[fullname]
        rows.append(em.entry(fullname, doc, info))
    out = [HEADER % version, ""]
    out.extend(em.lines)
    out.append("")
    out.append("static const command_doc_t docs[] = {")
    out.extend(rows)
    if not rows:
        out.append("    {NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, 0, NULL, 0,"
                   " NULL, 0, NULL, 0},")
    out.append("};")
    text = "\n".join(out) + "\n" + FOOTER
    if not rows:
        text = text.replace("#define NDOCS ((int)(sizeof(docs) / sizeof(docs[0])))",
                            "#define NDOCS 0")
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--srcdir", default=TOP, help="source tree (default: this one)")
    ap.add_argument("--port", type=int, help="use a running reference on this port")
    ap.add_argument("--redis-server", default="/usr/bin/redis-server",
                    help="reference binary to start when --port is not given")
    ap.add_argument("--output", help="default: SRCDIR/src/server/command_docs.c")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 when the file is out of date")
    opts = ap.parse_args()
    output = opts.output or os.path.join(opts.srcdir, "src/server/command_docs.c")

    tops, subs = table_names(opts.srcdir)
    ref = None if opts.port else Reference(opts.redis_server)
    try:
        conn = Conn(opts.port or ref.port)
        data, version = fetch(conn, tops, subs)
        conn.close()
    finally:
        if ref is not None:
            ref.stop()

    text = render(data, version)
    old = open(output).read() if os.path.exists(output) else None
    if opts.check:
        if old != text:
            print("gen-command-docs: %s is out of date" % output, file=sys.stderr)
            return 1
        return 0
    if old != text:
        with open(output, "w") as f:
            f.write(text)
    print("gen-command-docs: %d entries in %s" % (len(data), output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
