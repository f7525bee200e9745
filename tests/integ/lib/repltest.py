"""repltest: what the replication tests share: a dataset of every type,
a stream of writes of every type, and ways to compare two servers (DEBUG
DIGEST, key by key), to wait until a replica has applied the whole
stream, and a scripted primary (FakePrimary) that misbehaves on purpose."""
import os
import socket
import threading

import rhtest


def populate(r):
    r.set("int", 12345)
    r.set("embstr", "short value")
    r.set("raw", "r" * 100)
    r.set("binary", bytes(range(256)))
    r.rpush("list:small", "a", "b", 1, 2, -3)
    r.rpush("list:big", *["element-%d" % i for i in range(3000)])
    r.hset("hash:small", mapping={"f1": "v1", "f2": 2})
    r.hset("hash:big", mapping={"f%d" % i: "v%d" % i for i in range(600)})
    r.sadd("set:int", 1, 2, 3, -100, 70000)
    r.sadd("set:big", *["m%d" % i for i in range(600)])
    r.zadd("zset:small", {"a": 1, "b": 2.5, "c": -3})
    r.zadd("zset:big", {"m%d" % i: i * 1.5 for i in range(300)})
    r.set("ttl:str", "v", px=10 ** 7)
    r.rpush("ttl:list", "x")
    r.pexpire("ttl:list", 10 ** 7)
    r.pfadd("hll", *["u%d" % i for i in range(100)])
    r.execute_command("SELECT", 3)
    r.set("db3key", "in db 3")
    r.execute_command("SELECT", 0)


def stream_writes(r, n):
    """Writes of every type, in two databases and a transaction."""
    r.set("s:%d" % n, "v", ex=1000)
    r.incrby("counter", n)
    r.append("s:%d" % n, "more")
    r.lpush("list:small", "new%d" % n)
    r.rpop("list:big")
    r.hset("hash:small", "f%d" % n, n)
    r.hdel("hash:big", "f%d" % n)
    r.sadd("set:int", n)
    r.spop("set:big")
    r.zadd("zset:small", {"z%d" % n: n})
    r.zincrby("zset:big", 2, "m%d" % n)
    r.pfadd("hll", "x%d" % n)
    r.expire("raw", 5000)
    r.delete("embstr")
    r.setbit("bits", n, 1)
    p = r.pipeline(transaction=True)
    p.set("tx:a", n)
    p.incr("tx:b")
    p.execute()
    r.execute_command("SELECT", 5)
    r.set("db5:%d" % n, n)
    r.execute_command("SELECT", 0)


def digest(r):
    return r.execute_command("DEBUG", "DIGEST")


def keys_equal(a, b, dbs=(0, 3, 5)):
    """Key by key: type, value and TTL (within 5 s)."""
    for db in dbs:
        a.execute_command("SELECT", db)
        b.execute_command("SELECT", db)
        ka, kb = sorted(a.keys("*")), sorted(b.keys("*"))
        if ka != kb:
            return "db %d keys differ: %d vs %d" % (db, len(ka), len(kb))
        for k in ka:
            ty = a.type(k)
            if ty != b.type(k):
                return "type of %r" % k
            reader = {b"string": lambda r, k: r.get(k),
                      b"list": lambda r, k: r.lrange(k, 0, -1),
                      b"hash": lambda r, k: r.hgetall(k),
                      b"set": lambda r, k: r.smembers(k),
                      b"zset": lambda r, k: r.zrange(k, 0, -1, withscores=True)}[ty]
            if reader(a, k) != reader(b, k):
                return "value of %r" % k
            ta, tb = a.pttl(k), b.pttl(k)
            if (ta < 0) != (tb < 0) or abs(ta - tb) > 5000:
                return "ttl of %r: %d vs %d" % (k, ta, tb)
    a.execute_command("SELECT", 0)
    b.execute_command("SELECT", 0)
    return None


def synced(p, rep):
    """The replica is connected and has processed the whole stream."""
    ri = rep.info("replication")
    return ri.get("master_link_status") == "up" and \
        ri.get("slave_repl_offset") == p.info("replication")["master_repl_offset"]


def wait_synced(t, p, rep, what, timeout=20):
    return waits(t, lambda: synced(p, rep), timeout, what)


def waits(t, cond, timeout, what):
    """wait_for that returns False (with a diagnostic) instead of raising."""
    try:
        rhtest.wait_for(cond, timeout, what=what)
        return True
    except Exception as e:  # noqa: BLE001
        t.diag(str(e))
        return False


class FakePrimary:
    """A listening socket that answers the handshake, then runs script(conn)
    on each connection once the replica sent PSYNC (the connection closes
    when script returns); conns counts the connections."""

    def __init__(self, script):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.script = script
        self.conns = 0
        self.stop = False
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.conns += 1
            f = None
            try:
                c.settimeout(5)
                f = c.makefile("rb")
                while True:
                    cmd = read_command(f)
                    if cmd is None:
                        break
                    if cmd[0].upper() == b"PSYNC":
                        self.script(c)
                        break
                    c.sendall(b"+PONG\r\n" if cmd[0].upper() == b"PING" else b"+OK\r\n")
            except OSError:
                pass
            finally:
                # The file object holds the socket open too.
                if f is not None:
                    f.close()
                c.close()

    def close(self):
        self.stop = True
        self.th.join(5)
        self.sock.close()


def read_command(f):
    """One RESP command from a file object, or None at the end."""
    line = f.readline()
    if not line.startswith(b"*"):
        return None
    args = []
    for _ in range(int(line[1:])):
        n = int(f.readline()[1:])
        args.append(f.read(n + 2)[:-2])
    return args


def valid_rdb():
    """A small RDB file (one key) written by our server."""
    src = rhtest.Server()
    src.client().set("from-fake", "x")
    src.client().save()
    with open(os.path.join(src.dir, "dump.rdb"), "rb") as fh:
        data = fh.read()
    src.kill()
    return data
