"""FAILOVER: argument checks and error texts as Redis 7.0.15 gives them,
a failover to any replica and to a named one with a writer running (no
acknowledged write lost, writes held rather than refused while waiting),
the old primary and the other replica continuing partially, TIMEOUT and
ABORT (writes resume), FORCE with a stopped target, a target refusing the
PSYNC FAILOVER, and both directions with Redis 7.0.15 (its primary failing
over to our replica, ours to its replica)."""
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import redis  # noqa: E402
import rhtest  # noqa: E402
import repltest  # noqa: E402
from repltest import digest, populate  # noqa: E402

t = rhtest.Tap()
DEBUG = "enable-debug-command yes\n"
HOST = "127.0.0.1"

if not os.path.exists(rhtest.REF_SERVER):
    t.skip("failover tests", "no reference redis-server")
    t.done()

stopped = []
UNBLOCKED = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"


def stop_proc(s):
    os.kill(s.pid, signal.SIGSTOP)
    stopped.append(s)


def cont_proc(s):
    if s in stopped:
        stopped.remove(s)
        os.kill(s.pid, signal.SIGCONT)


def ours(extra=""):
    return rhtest.Server(config=DEBUG + extra)


def ours_of(primary, extra=""):
    return ours(extra + "replicaof %s %d\n" % (HOST, primary.port))


def ref(extra=""):
    return rhtest.ref_server(config=DEBUG + extra)


def ref_of(primary, extra=""):
    return ref(extra + "repl-diskless-sync-delay 0\nreplicaof %s %d\n" % (HOST, primary.port))


def eventually(cond, what, timeout=15):
    return repltest.waits(t, cond, timeout, what)


def all_online(p):
    """Every replica the primary lists is online (a diskless transfer ends
    for the primary when its child exits, after the replica loaded it)."""
    i = p.info("replication")
    return all(i["slave%d" % n]["state"] == "online" for n in range(i["connected_slaves"]))


def synced(p, r, what, timeout=20):
    return repltest.wait_synced(t, p, r, what, timeout) and \
        eventually(lambda: all_online(p), what + " online", timeout)


def stat(r, name):
    return r.info("stats")[name]


def fstate(r):
    return r.info("replication")["master_failover_state"]


def role(r):
    return r.info("replication")["role"]


def following(r, primary):
    i = r.info("replication")
    return i["role"] == "slave" and i.get("master_port") == primary.port and \
        i.get("master_link_status") == "up"


def err(fn):
    """The error text fn() raises, or its result."""
    try:
        return fn()
    except redis.ResponseError as e:
        return "ERR:" + str(e)


def cmd_err(r, *args):
    return err(lambda: r.execute_command(*args))


def held(fn, seconds=0.4):
    """Runs fn in a thread; returns (thread, box) once fn has been running
    for `seconds` (box['done'] tells whether it finished already)."""
    box = {"done": False}

    def run():
        try:
            box["result"] = fn()
        except Exception as e:  # noqa: BLE001
            box["result"] = e
        box["done"] = True
    th = threading.Thread(target=run, daemon=True)
    th.start()
    time.sleep(seconds)
    return th, box


try:
    # ---- the command's definition --------------------------------------------------
    rp = ref()
    o = ours()
    for sub in ("INFO", "DOCS"):
        t.is_(o.raw().cmd("COMMAND", sub, "failover"), rp.raw().cmd("COMMAND", sub, "failover"),
              "COMMAND %s failover as Redis" % sub)

    # ---- error texts, ours and Redis's side by side -------------------------------------
    def both(what, run):
        """run(primary_client, replica_server, primary_server) on both setups."""
        got = run(*mine)
        want = run(*theirs)
        t.is_(got, want, what)

    # No replica attached.
    for args in ([], ["force"], ["to", HOST, "1"], ["timeout", "10"], ["abort"],
                 ["to", HOST, "1", "timeout", "5", "force"]):
        t.is_(cmd_err(o.client(), "FAILOVER", *args), cmd_err(rp.client(), "FAILOVER", *args),
              "FAILOVER %s without replicas: as Redis" % " ".join(args))

    orep = ours_of(o)
    rrep = ref_of(rp)
    # While the first snapshot waits for repl-diskless-sync-delay (5 s), the
    # replica is listed but not online.
    listed = [eventually(lambda: srv.client().info("replication")["connected_slaves"] == 1, "listed")
              for srv in (o, rp)]
    t.is_([cmd_err(c, "FAILOVER", "TO", HOST, str(r.port)) for c, r in ((o.client(), orep), (rp.client(), rrep))],
          ["ERR:FAILOVER target replica is not online."] * 2 if all(listed) else None,
          "FAILOVER TO a replica still waiting for its snapshot: not online, as Redis")
    synced(o.client(), orep.client(), "our replica")
    synced(rp.client(), rrep.client(), "Redis replica")
    mine = (o.client(), orep, o)
    theirs = (rp.client(), rrep, rp)

    def arg_cases(rep):
        port = str(rep.port)
        return [["to"], ["to", HOST], ["to", HOST, "abc"], ["to", HOST, "99999999999999999999"],
                ["to", HOST, str(rep.port + 1)], ["to", "localhost", port], ["to", HOST, "-1"],
                ["force"], ["force", "timeout", "10"], ["to", HOST, port, "force"],
                ["timeout", "0"], ["timeout", "-5"], ["timeout", "abc"], ["timeout"],
                ["timeout", "10", "timeout", "20"], ["timeout", "0", "bogus"],
                ["bogus", "timeout", "0"], ["force", "force"], ["abort", "abort"],
                ["abort", "to", "x", "1"], ["timeout", "5", "abort"], ["abort", "timeout", "0"],
                ["abort", "force"], ["force", "abort"], ["to", HOST, port, "abort"],
                ["to", "h", "1", "to", "h", "2"], ["to", "h", "abc", "bogus"], ["bogus"],
                ["abort"], ["ABORT"]]

    cases_o, cases_r = arg_cases(orep), arg_cases(rrep)
    diffs = []
    for a, b in zip(cases_o, cases_r):
        x = cmd_err(o.client(), "FAILOVER", *a)
        y = cmd_err(rp.client(), "FAILOVER", *b)
        if x != y:
            diffs.append((a, x, y))
    t.is_(diffs, [], "%d FAILOVER argument errors as Redis's" % len(cases_o))
    t.is_(cmd_err(o.client(), "FAILOVER", "to", HOST, "1"),
          "ERR:FAILOVER target HOST and PORT is not a replica.", "TO a port that is no replica")
    t.is_(cmd_err(o.client(), "FAILOVER", "to", HOST, str(orep.port), "force"),
          "ERR:FAILOVER with force option requires both a timeout and target HOST and IP.",
          "FORCE without TIMEOUT")

    # On a replica.
    for args in ([], ["abort"], ["to", "1.2.3.4", "5"], ["force"], ["timeout", "0"]):
        t.is_(cmd_err(orep.client(), "FAILOVER", *args), cmd_err(rrep.client(), "FAILOVER", *args),
              "FAILOVER %s on a replica: as Redis" % " ".join(args))

    # PSYNC ... FAILOVER that cannot be honoured.
    def psync_failover(srv, replid):
        c = srv.raw()
        rep = c.cmd("PSYNC", replid, "1", "FAILOVER")
        c.close()
        return rep
    for srv_o, srv_r, what in ((o, rp, "a primary"), (orep, rrep, "a replica")):
        for rid in ("0123456789012345678901234567890123456789", "?"):
            t.is_(psync_failover(srv_o, rid), psync_failover(srv_r, rid),
                  "PSYNC %s 1 FAILOVER to %s: as Redis" % (rid[:4], what))
    t.ok("Failover request received for replid ?." in orep.log_text(), "the request is logged")

    # In a transaction and a script.
    def in_multi(c):
        p = c.pipeline(transaction=True)
        p.execute_command("FAILOVER", "ABORT")
        return [str(x) for x in p.execute(raise_on_error=False)]
    both("FAILOVER ABORT inside MULTI/EXEC", lambda c, r, s: in_multi(c))

    # Already in progress: the replica is stopped behind a write.
    def in_progress(c, rep, srv):
        out = []
        stop_proc(rep)
        c.incr("behind0")
        out.append(cmd_err(c, "FAILOVER", "to", HOST, str(rep.port), "TIMEOUT", "60000"))
        out.append(fstate(c))
        for args in ([], ["force"], ["to", HOST, "1"], ["to", HOST, str(rep.port)], ["timeout", "0"],
                     ["timeout", "5", "force"]):
            out.append(cmd_err(c, "FAILOVER", *args))
        out.append(cmd_err(c, "REPLICAOF", "NO", "ONE"))
        out.append(cmd_err(c, "REPLICAOF", HOST, "1"))
        out.append(cmd_err(c, "CLIENT", "KILL", "TYPE", "replica"))
        out.append(cmd_err(c, "FAILOVER"))
        out.append(cmd_err(c, "FAILOVER", "ABORT"))
        out.append(fstate(c))
        out.append(role(c))
        cont_proc(rep)
        return out
    got = in_progress(*mine)
    want = in_progress(*theirs)
    t.is_(got, want, "while in progress: errors, REPLICAOF refused, ABORT as Redis")
    t.ok("FAILOVER to %s:%d aborted: Failover manually aborted" % (HOST, orep.port) in o.log_text(),
         "the manual abort is logged as Redis does")
    synced(o.client(), orep.client(), "our replica back after the abort")
    for s in (rp, rrep, orep):
        s.stop()

    # ---- ours: a primary and two replicas -----------------------------------------------
    p = o
    a, b = ours_of(p), ours_of(p)
    pc, ac, bc = p.client(), a.client(), b.client()
    populate(pc)
    t.ok(synced(pc, ac, "replica A") and synced(pc, bc, "replica B"), "two replicas in sync")
    servers = {s.port: s for s in (p, a, b)}

    def current_primary():
        for s in servers.values():
            try:
                if role(s.client(socket_timeout=2)) == "master":
                    return s
            except redis.RedisError:
                pass
        return None

    class Writer:
        """INCRs `counter` on whoever is the primary; counts the acknowledged
        ones and the errors other than READONLY (the held writes a demoted
        primary refuses once it follows the new one)."""

        def __init__(self, srv, key):
            self.srv = srv
            self.key = key
            self.acked = 0
            self.readonly = 0
            self.other = []
            self.first = {}  # port -> time of the first acknowledged INCR
            self.last = {}   # port -> time of the last one
            self.stop = False
            self.th = threading.Thread(target=self.run, daemon=True)
            self.th.start()

        def run(self):
            c = self.srv.client()
            while not self.stop:
                try:
                    c.incr(self.key)
                    self.acked += 1
                    now = time.time()
                    self.first.setdefault(self.srv.port, now)
                    self.last[self.srv.port] = now
                except redis.ReadOnlyError:
                    self.readonly += 1
                    time.sleep(0.01)
                    s = current_primary()
                    if s is not None:
                        self.srv = s
                        c = s.client()
                except Exception as e:  # noqa: BLE001
                    self.other.append(str(e))
                    time.sleep(0.05)

        def finish(self):
            time.sleep(0.2)
            self.stop = True
            self.th.join(10)

    def check_failover(old, new, other, what, full_before, writer=None):
        oc, nc = old.client(), new.client()
        t.ok(eventually(lambda: fstate(oc) == "no-failover" and following(oc, new), what + " done"),
             what + ": the old primary follows the new one")
        t.is_(role(nc), "master", what + ": the target is the primary")
        t.is_(stat(nc, "sync_full"), full_before, what + ": no full sync (the old primary continued partially)")
        t.ok(stat(nc, "sync_partial_ok") >= 1, what + ": partial resync accepted by the new primary")
        if writer is not None:
            writer.finish()
            t.is_(writer.other, [], what + ": no write refused other than by READONLY")
            total = int(nc.get(writer.key) or 0)
            t.ok(total >= writer.acked, what + ": no acknowledged INCR lost (%d >= %d)" % (total, writer.acked))
            t.is_(total, writer.acked, what + ": the counter is exactly the acknowledged INCRs")
            gap = (writer.first.get(new.port, 1e12) - writer.last.get(old.port, 0)) * 1000
            t.ok(0 <= gap < 3000, what + ": writes resumed on the new primary (outage %.0f ms)" % gap)
        # The other replica follows the new primary and continues partially.
        occ = other.client()
        occ.execute_command("REPLICAOF", HOST, new.port)
        t.ok(eventually(lambda: following(occ, new), what + " other replica"),
             what + ": the other replica follows the new primary")
        t.is_(stat(nc, "sync_full"), full_before, what + ": the other replica continued partially")
        nc.set("after", what)
        t.ok(synced(nc, oc, "old primary") and synced(nc, occ, "other replica"), what + ": all in sync")
        t.ok(digest(nc) == digest(oc) == digest(occ), what + ": same data everywhere")

    # FAILOVER with no target: one of the replicas (the first in sync).
    full_a, full_b = stat(ac, "sync_full"), stat(bc, "sync_full")
    w = Writer(p, "counter:any")
    time.sleep(0.3)
    t.is_(pc.execute_command("FAILOVER"), b"OK", "FAILOVER to any replica: OK")
    t.ok(eventually(lambda: fstate(pc) == "no-failover", "failover ends"), "the failover ends")
    new = current_primary()
    t.ok(new in (a, b), "a replica became the primary")
    if new not in (a, b):
        raise RuntimeError("no new primary")
    other = b if new is a else a
    t.ok("FAILOVER requested to any replica." in p.log_text() and
         "Failover target %s:%d is synced, failing over." % (HOST, new.port) in p.log_text(),
         "the request and the target are logged as Redis does")
    t.ok("MASTER MODE enabled (failover request from" in new.log_text(), "the target logs its promotion")
    check_failover(p, new, other, "FAILOVER", full_a if new is a else full_b, w)

    # FAILOVER TO the other one.
    old = new
    n2 = other
    rest = p
    full = stat(n2.client(), "sync_full")
    w = Writer(old, "counter:to")
    wth, wbox = held(lambda: old.client().execute_command("WAIT", 5, 0), 0.3)
    t.is_(old.client().execute_command("FAILOVER", "TO", HOST, n2.port), b"OK", "FAILOVER TO: OK")
    t.ok("FAILOVER requested to %s:%d." % (HOST, n2.port) in old.log_text(), "FAILOVER TO is logged")
    check_failover(old, n2, rest, "FAILOVER TO", full, w)
    wth.join(5)
    t.is_(str(wbox.get("result")), UNBLOCKED, "a blocked WAIT is unblocked with Redis's error")
    primary, reps = n2, [old, rest]

    # ---- TIMEOUT and ABORT: the target is stopped behind a write ------------------------
    pc = primary.client()
    target, spare = reps
    stop_proc(target)
    pc.incr("behind")
    t.is_(pc.execute_command("FAILOVER", "TO", HOST, target.port, "TIMEOUT", 600), b"OK",
          "FAILOVER TO a stopped replica with TIMEOUT")
    t.is_(fstate(pc), "waiting-for-sync", "master_failover_state:waiting-for-sync")
    t.is_(pc.get("behind"), b"1", "reads are served while writes are held")
    th, box = held(lambda: primary.client().incr("held"))
    t.ok(not box["done"], "a write is held, not refused")
    t.is_(primary.client().execute_command("CLIENT", "UNPAUSE"), b"OK", "CLIENT UNPAUSE")
    time.sleep(0.1)
    t.ok(not box["done"], "CLIENT UNPAUSE does not release the failover's hold")
    t.ok(eventually(lambda: fstate(pc) == "no-failover", "timeout"), "the failover times out")
    th.join(5)
    t.is_(box.get("result"), 1, "the held write runs once the failover is aborted")
    t.is_(role(pc), "master", "still the primary after the timeout")
    t.ok("FAILOVER to %s:%d aborted: Replica never caught up before timeout" % (HOST, target.port)
         in primary.log_text(), "the timeout is logged as Redis does")

    t.is_(pc.execute_command("FAILOVER", "TO", HOST, target.port), b"OK", "FAILOVER TO a stopped replica")
    th, box = held(lambda: primary.client().incr("held"))
    t.ok(not box["done"] and fstate(pc) == "waiting-for-sync", "waiting, the write held")
    t.is_(pc.execute_command("FAILOVER", "ABORT"), b"OK", "FAILOVER ABORT")
    th.join(5)
    t.is_(box.get("result"), 2, "the held write runs after ABORT")
    t.is_((fstate(pc), role(pc)), ("no-failover", "master"), "aborted: no failover, still the primary")
    t.is_(cmd_err(pc, "FAILOVER", "ABORT"), "ERR:No failover in progress.", "a second ABORT")
    cont_proc(target)
    t.ok(synced(pc, target.client(), "target resumes") and synced(pc, spare.client(), "spare"),
         "the replicas catch up after the aborts")

    # ---- FORCE: the stopped target gets the failover at the deadline ---------------------
    full = stat(target.client(), "sync_full")
    stop_proc(target)
    pc.incr("behind")
    t.is_(pc.execute_command("FAILOVER", "TO", HOST, target.port, "TIMEOUT", 500, "FORCE"), b"OK",
          "FAILOVER TO a stopped replica with TIMEOUT and FORCE")
    th, box = held(lambda: primary.client().incr("held"), 0.1)
    t.ok(not box["done"], "a write is held while waiting for the stopped target")
    t.ok(eventually(lambda: fstate(pc) == "failover-in-progress", "force"), "failover-in-progress at the deadline")
    t.is_(role(pc), "slave", "the old primary already follows the target (never two primaries)")
    t.ok("FAILOVER to %s:%d time out exceeded, failing over." % (HOST, target.port) in primary.log_text(),
         "the forced failover is logged as Redis does")
    time.sleep(0.2)
    t.ok(not box["done"], "the held write stays held while the target does not answer")
    t.is_(cmd_err(primary.client(), "INCR", "held"), "ERR:You can't write against a read only replica.",
          "a new write is refused at once (READONLY), as Redis does")
    cont_proc(target)
    tc = target.client()
    t.ok(eventually(lambda: fstate(pc) == "no-failover" and role(tc) == "master", "forced failover ends"),
         "the target takes over once it runs again")
    th.join(5)
    t.ok(isinstance(box.get("result"), redis.ReadOnlyError), "the held write is refused by the new replica")
    t.ok(eventually(lambda: following(pc, target), "old primary follows"), "the old primary follows the target")
    t.is_(tc.get("behind"), b"2", "the target has the write it had not acknowledged")
    t.diag("sync_full on the target: %d -> %d" % (full, stat(tc, "sync_full")))
    spare.client().execute_command("REPLICAOF", HOST, target.port)
    primary, reps = target, [primary, spare]
    pc = primary.client()
    t.ok(synced(pc, reps[0].client(), "r0") and synced(pc, reps[1].client(), "r1"), "all in sync after FORCE")

    # FORCE, then ABORT while the old primary already follows the stopped target.
    target = reps[0]
    stop_proc(target)
    pc.incr("behind")
    pc.execute_command("FAILOVER", "TO", HOST, target.port, "TIMEOUT", 100, "FORCE")
    t.ok(eventually(lambda: fstate(pc) == "failover-in-progress", "force 2"), "in progress towards a stopped target")
    old_id = pc.info("replication")["master_replid"]
    t.is_(pc.execute_command("FAILOVER", "ABORT"), b"OK", "ABORT while in progress")
    i = pc.info("replication")
    t.ok(i["role"] == "master" and i["master_failover_state"] == "no-failover" and
         i["master_replid2"] == old_id, "a primary again, under a new replication ID")
    t.is_(pc.incr("behind"), 4, "writes accepted again")
    cont_proc(target)
    t.ok(synced(pc, target.client(), "target after abort"), "the target continues with the primary")

    # A target that refuses PSYNC (it wants a password we do not have): the
    # failover is aborted and this instance is a primary again.
    tc = target.client()
    tc.config_set("requirepass", "pw")
    tc = target.client(password="pw")
    full = stat(pc, "sync_full")
    pc.execute_command("FAILOVER", "TO", HOST, target.port)
    t.ok(eventually(lambda: fstate(pc) == "no-failover" and role(pc) == "master", "rejected"),
         "a refused PSYNC FAILOVER aborts the failover")
    t.ok("aborted: Failover target rejected psync request" in primary.log_text(),
         "the refusal is logged as Redis does")
    tc.config_set("requirepass", "")
    t.ok(synced(pc, tc, "after reject") and synced(pc, reps[1].client(), "spare after reject"),
         "the replicas continue")
    t.is_(stat(pc, "sync_full"), full, "without a full sync")
    for s in (p, a, b):
        s.stop()

    # ---- Redis 7.0.15's primary fails over to our replica -----------------------------
    rp = ref("repl-diskless-sync-delay 0\n")
    rpc = rp.client()
    populate(rpc)
    mine = ours_of(rp)
    theirs = ref_of(rp)
    mc = mine.client()
    t.ok(synced(rpc, mc, "ours of Redis") and synced(rpc, theirs.client(), "Redis of Redis"),
         "Redis primary with our replica and its own")
    w = Writer(rp, "counter:redis-to-ours")
    servers = {s.port: s for s in (rp, mine, theirs)}
    wth, wbox = held(lambda: rp.client().execute_command("WAIT", 5, 0), 0.3)
    t.is_(rpc.execute_command("FAILOVER", "TO", HOST, mine.port), b"OK", "Redis: FAILOVER TO our replica")
    check_failover(rp, mine, theirs, "Redis -> ours", 0, w)
    wth.join(5)
    t.is_(str(wbox.get("result")), UNBLOCKED, "Redis: the blocked WAIT gets the same error")
    t.ok("MASTER MODE enabled (failover request from" in mine.log_text(), "our replica took over")

    # ---- our primary fails over to Redis 7.0.15's replica -----------------------------
    full = stat(theirs.client(), "sync_full")
    w = Writer(mine, "counter:ours-to-redis")
    time.sleep(0.3)
    t.is_(mc.execute_command("FAILOVER", "TO", HOST, theirs.port), b"OK", "ours: FAILOVER TO a Redis replica")
    check_failover(mine, theirs, rp, "ours -> Redis", full, w)
    t.ok("Failover request received for replid" in theirs.log_text(), "the Redis replica got PSYNC FAILOVER")
except Exception:
    # The servers' logs tell why; they go with their directories at exit.
    for s in list(rhtest._started):
        t.diag("---- log of the server on port %d:" % s.port)
        t.diag("\n".join(s.log_text().splitlines()[-25:]))
    raise
finally:
    for s in list(stopped):
        cont_proc(s)

t.done()
