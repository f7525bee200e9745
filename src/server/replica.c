#include <config.h>
#include "server/replica.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/check.h"
#include "core/clock.h"
#include "core/crc64.h"
#include "core/log.h"
#include "core/strconv.h"
#include "server/aof.h"
#include "server/blocking.h"
#include "server/cmd_handlers.h"
#include "server/config.h"
#include "server/dispatch.h"
#include "server/failover.h"
#include "server/persist.h"
#include "server/repl.h"
#include "server/replica_load.h"
#include "server/server.h"

#define EOF_MARK_LEN REPLICA_LOAD_MARK_LEN
/* The longest handshake reply line accepted. */
#define LINE_MAX_LEN 1024
/* Seconds between connection attempts. */
#define RETRY_MS 1000
/* How much one read of the snapshot asks for. */
#define TRANSFER_READ (256 * 1024)

typedef enum link_state {
    LINK_NONE,       /* Not following a primary. */
    LINK_CONNECT,    /* Connects at the next cron pass. */
    LINK_CONNECTING, /* Resolving or connecting. */
    LINK_HANDSHAKE,  /* See hs_step_t. */
    LINK_TRANSFER,   /* Receiving the snapshot. */
    LINK_CONNECTED,  /* The master client streams. */
} link_state_t;

/* The handshake's steps: each sends one command and waits for its reply. */
typedef enum hs_step {
    HS_PING,
    HS_AUTH,
    HS_PORT,
    HS_IP,
    HS_CAPA,
    HS_PSYNC,
} hs_step_t;

bool replica_following;

static struct {
    link_state_t state;
    hs_step_t step;
    conn_t *conn;     /* The link before it becomes the master client. */
    client_t *master; /* The master client while connected. */
    uv_getaddrinfo_t gai;
    bool resolving;
    int64_t next_attempt_ms;
    int64_t last_io_ms;      /* Monotonic: the last bytes from the primary. */
    int64_t down_since;      /* Wall seconds the link went down, 0 if never up. */
    int64_t last_ack_ms;
    int master_db;           /* The stream's database when the link went down. */
    bool have_history;       /* srv.replid/offset name data we hold. */
    /* +FULLRESYNC. */
    char new_replid[41];
    long long new_offset;
    /* The transfer. */
    int fd;
    char tmpfile[64];
    bool eof_framing;
    char eof_mark[EOF_MARK_LEN];
    long long size;          /* Bytes announced, -1 with EOF framing. */
    long long received;      /* Payload bytes written. */
    char tail[EOF_MARK_LEN]; /* EOF framing: the bytes that may start the mark. */
    size_t ntail;
    /* The payload's CRC-64, computed as it arrives over all but its last 8
     * bytes (the footer), which wait in crc_tail. */
    uint64_t crc;
    char crc_tail[8];
    size_t ncrc_tail;
    char magic[5];
    str_t *multi;            /* Bytes of a transaction being received. */
} L = {.fd = -1};

static void link_lost(const char *why);
static void handshake_send(void);
static void on_read(conn_t *conn);
static void on_error(conn_t *conn, int status);
static void on_close(conn_t *conn);

static const conn_cbs_t link_cbs = {on_read, on_error, on_close, NULL};

/* ---- small helpers -------------------------------------------------------- */

bool replica_link_up(void)
{
    return L.state == LINK_CONNECTED;
}

int replica_stream_db(void)
{
    if (L.master != NULL)
        return L.master->db->id;
    return L.master_db;
}

static void set_state(link_state_t s)
{
    L.state = s;
    L.last_io_ms = clock_mono_ms();
}

/* Writes one command in RESP to the link. */
static void send_command(conn_t *conn, int argc, const char **argv)
{
    str_t *s = str_fmt("*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        s = str_catfmt(s, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    conn_write(conn, s->buf, s->len);
    str_free(s);
}

static void remove_tmpfile(void)
{
    if (L.fd >= 0) {
        close(L.fd);
        L.fd = -1;
    }
    if (L.tmpfile[0] != '\0') {
        unlink(L.tmpfile);
        L.tmpfile[0] = '\0';
    }
}

/* Closes the link (before it became the master client) and forgets a
 * partial transfer. */
static void link_close(void)
{
    if (L.resolving) {
        uv_cancel((uv_req_t *)&L.gai);
        L.resolving = false;
    }
    if (L.conn != NULL) {
        conn_t *conn = L.conn;
        L.conn = NULL;
        conn->data = NULL;
        conn_close(conn, false);
    }
    remove_tmpfile();
}

/* Gives up the current attempt; the next starts after RETRY_MS. */
static void link_lost(const char *why)
{
    if (why != NULL)
        log_msg(LOG_LEVEL_WARNING, "%s", why);
    link_close();
    if (L.state == LINK_CONNECTED || L.state == LINK_TRANSFER)
        L.down_since = clock_wall_ms() / 1000;
    L.state = LINK_CONNECT;
    L.next_attempt_ms = clock_mono_ms() + RETRY_MS;
}

/* ---- connecting ------------------------------------------------------------ */

static void on_connected(conn_t *conn, int status)
{
    if (conn != L.conn)
        return;
    if (status != 0) {
        char msg[256];
        snprintf(msg, sizeof(msg), "Error condition on socket for SYNC: %s", uv_strerror(status));
        link_lost(msg);
        return;
    }
    log_msg(LOG_LEVEL_NOTICE, "Non blocking connect for SYNC fired the event.");
    set_state(LINK_HANDSHAKE);
    L.step = HS_PING;
    handshake_send();
}

static void connect_addr(const struct sockaddr *sa)
{
    conn_t *conn = NULL;
    int rc = conn_connect(&srv.loop, sa, &link_cbs, NULL, on_connected, &conn);
    if (rc != 0) {
        char msg[256];
        snprintf(msg, sizeof(msg), "Unable to connect to MASTER: %s", uv_strerror(rc));
        link_lost(msg);
        return;
    }
    L.conn = conn;
    log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync started");
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    UNUSED(req);
    if (!L.resolving) {
        uv_freeaddrinfo(res);
        return;
    }
    L.resolving = false;
    if (status != 0 || res == NULL) {
        char msg[256];
        snprintf(msg, sizeof(msg), "Unable to connect to MASTER: cannot resolve %s: %s",
                 cfg.replicaof_host, uv_strerror(status));
        uv_freeaddrinfo(res);
        link_lost(msg);
        return;
    }
    connect_addr(res->ai_addr);
    uv_freeaddrinfo(res);
}

static void link_connect(void)
{
    log_msg(LOG_LEVEL_NOTICE, "Connecting to MASTER %s:%lld", cfg.replicaof_host,
            cfg.replicaof_port);
    set_state(LINK_CONNECTING);
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
    if (uv_ip4_addr(cfg.replicaof_host, (int)cfg.replicaof_port, &in4) == 0) {
        connect_addr((const struct sockaddr *)&in4);
        return;
    }
    if (uv_ip6_addr(cfg.replicaof_host, (int)cfg.replicaof_port, &in6) == 0) {
        connect_addr((const struct sockaddr *)&in6);
        return;
    }
    char port[16];
    snprintf(port, sizeof(port), "%lld", cfg.replicaof_port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    L.resolving = true;
    int rc = uv_getaddrinfo(srv.loop.uv, &L.gai, on_resolved, cfg.replicaof_host, port, &hints);
    if (rc != 0) {
        L.resolving = false;
        char msg[256];
        snprintf(msg, sizeof(msg), "Unable to connect to MASTER: %s", uv_strerror(rc));
        link_lost(msg);
    }
}

/* ---- the handshake --------------------------------------------------------- */

static void send_psync(void)
{
    char off[32];
    /* A primary handing over to its replica (FAILOVER) asks it to take
     * over with a fourth argument. */
    const char *argv[4] = {"PSYNC", "?", "-1", "FAILOVER"};
    if (L.have_history) {
        snprintf(off, sizeof(off), "%lld", repl_master_offset() + 1);
        argv[1] = srv.replid;
        argv[2] = off;
        log_msg(LOG_LEVEL_NOTICE, "Trying a partial resynchronization (request %s:%s).",
                srv.replid, off);
    } else {
        log_msg(LOG_LEVEL_NOTICE, "Partial resynchronization not possible (no cached master)");
    }
    send_command(L.conn, failover_state() == FAILOVER_IN_PROGRESS ? 4 : 3, argv);
}

/* Sends the command of the current step, skipping steps that do not apply. */
static void handshake_send(void)
{
    char buf[32];
    for (;;) {
        switch (L.step) {
        case HS_PING: {
            const char *argv[] = {"PING"};
            send_command(L.conn, 1, argv);
            return;
        }
        case HS_AUTH:
            if (cfg.masterauth == NULL || cfg.masterauth[0] == '\0')
                break;
            if (cfg.masteruser != NULL && cfg.masteruser[0] != '\0') {
                const char *argv[] = {"AUTH", cfg.masteruser, cfg.masterauth};
                send_command(L.conn, 3, argv);
            } else {
                const char *argv[] = {"AUTH", cfg.masterauth};
                send_command(L.conn, 2, argv);
            }
            return;
        case HS_PORT: {
            long long port = cfg.replica_announce_port ? cfg.replica_announce_port : cfg.port;
            snprintf(buf, sizeof(buf), "%lld", port);
            const char *argv[] = {"REPLCONF", "listening-port", buf};
            send_command(L.conn, 3, argv);
            return;
        }
        case HS_IP:
            if (cfg.replica_announce_ip == NULL || cfg.replica_announce_ip[0] == '\0')
                break;
            {
                const char *argv[] = {"REPLCONF", "ip-address", cfg.replica_announce_ip};
                send_command(L.conn, 3, argv);
            }
            return;
        case HS_CAPA: {
            const char *argv[] = {"REPLCONF", "capa", "eof", "capa", "psync2"};
            send_command(L.conn, 5, argv);
            return;
        }
        case HS_PSYNC:
            send_psync();
            return;
        }
        L.step++;
    }
}

/* Takes one reply line from the link's input, skipping the newlines a
 * primary sends to keep the link alive. Returns false until a line is
 * complete; line is NUL-terminated without its CRLF. */
static bool take_line(char *line, size_t cap)
{
    conn_t *conn = L.conn;
    for (;;) {
        char *nl = memchr(conn->ibuf, '\n', conn->ilen);
        if (nl == NULL) {
            if (conn->ilen > LINE_MAX_LEN)
                link_lost("The primary sent a line that is too long during the handshake");
            return false;
        }
        size_t n = (size_t)(nl - conn->ibuf);
        size_t len = n > 0 && conn->ibuf[n - 1] == '\r' ? n - 1 : n;
        if (len >= cap)
            len = cap - 1;
        memcpy(line, conn->ibuf, len);
        line[len] = '\0';
        conn_input_discard(conn, n + 1);
        if (len > 0)
            return true;
    }
}

static void full_resync(const char *line);
static void partial_resync(const char *line);

/* The reply to PSYNC. A PSYNC FAILOVER that is refused (even with "try
 * later") ends the failover: this instance is a primary again. */
static void psync_reply(const char *line)
{
    char msg[LINE_MAX_LEN + 64];
    if (strncmp(line, "+FULLRESYNC", 11) == 0) {
        failover_psync_result(true);
        full_resync(line);
        return;
    }
    if (strncmp(line, "+CONTINUE", 9) == 0) {
        failover_psync_result(true);
        partial_resync(line);
        return;
    }
    if (strncmp(line, "-NOMASTERLINK", 13) == 0 || strncmp(line, "-LOADING", 8) == 0) {
        log_msg(LOG_LEVEL_NOTICE, "Master is currently unable to PSYNC but should be in the "
                                  "future: %s", line);
        link_lost(NULL);
    } else {
        snprintf(msg, sizeof(msg), "Unexpected reply to PSYNC from master: %s", line);
        link_lost(msg);
    }
    failover_psync_result(false);
}

/* One reply of the handshake; returns false when the link was given up. */
static bool handshake_reply(const char *line)
{
    char msg[LINE_MAX_LEN + 128];
    switch (L.step) {
    case HS_PING:
        /* -NOAUTH and -NOPERM are fine: AUTH comes next. */
        if (line[0] == '-' && strncmp(line, "-NOAUTH", 7) != 0 &&
            strncmp(line, "-NOPERM", 7) != 0 && strncmp(line, "-ERR operation not permitted", 28) != 0) {
            snprintf(msg, sizeof(msg), "Error reply to PING from master: '%s'", line);
            link_lost(msg);
            return false;
        }
        log_msg(LOG_LEVEL_NOTICE, "Master replied to PING, replication can continue...");
        break;
    case HS_AUTH:
        if (line[0] == '-') {
            snprintf(msg, sizeof(msg), "Unable to AUTH to MASTER: %s", line);
            link_lost(msg);
            return false;
        }
        break;
    case HS_PORT:
    case HS_IP:
    case HS_CAPA:
        /* An old primary may not know an option: go on regardless. */
        if (line[0] == '-')
            log_msg(LOG_LEVEL_NOTICE, "(Non critical) Master does not understand REPLCONF: %s",
                    line);
        break;
    case HS_PSYNC:
        psync_reply(line);
        return L.state == LINK_TRANSFER;
    }
    L.step++;
    handshake_send();
    return true;
}

/* ---- the transfer ---------------------------------------------------------- */

static void transfer_input(void);

static void full_resync(const char *line)
{
    /* "+FULLRESYNC <replid> <offset>" */
    const char *id = line + 11;
    while (*id == ' ')
        id++;
    const char *sp = strchr(id, ' ');
    long long off;
    if (sp == NULL || sp - id != 40 || strconv_to_ll(sp + 1, strlen(sp + 1), &off) != 0) {
        char msg[LINE_MAX_LEN + 64];
        snprintf(msg, sizeof(msg), "Master replied with wrong +FULLRESYNC syntax: %s", line);
        link_lost(msg);
        return;
    }
    memcpy(L.new_replid, id, 40);
    L.new_replid[40] = '\0';
    L.new_offset = off;
    log_msg(LOG_LEVEL_NOTICE, "Full resync from master: %s:%lld", L.new_replid, off);
    L.size = -2; /* The $ line is still to come. */
    L.received = 0;
    L.ntail = 0;
    L.crc = 0;
    L.ncrc_tail = 0;
    memset(L.magic, 0, sizeof(L.magic));
    set_state(LINK_TRANSFER);
}

/* The disk path: the payload goes to a temporary file first. */
static bool open_tmpfile(void)
{
    snprintf(L.tmpfile, sizeof(L.tmpfile), "temp-%lld.%ld.rdb",
             (long long)(clock_wall_ms() / 1000), (long)getpid());
    L.fd = open(L.tmpfile, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    if (L.fd < 0) {
        char msg[256];
        snprintf(msg, sizeof(msg), "Opening the temp file needed for MASTER <-> REPLICA "
                                   "synchronization: %s", strerror(errno));
        L.tmpfile[0] = '\0';
        link_lost(msg);
        return false;
    }
    return true;
}

/* Folds bytes into the running CRC, holding back the last 8 seen. */
static void crc_feed(const char *p, size_t n)
{
    size_t total = L.ncrc_tail + n;
    if (total <= sizeof(L.crc_tail)) {
        memcpy(L.crc_tail + L.ncrc_tail, p, n);
        L.ncrc_tail = total;
        return;
    }
    size_t emit = total - sizeof(L.crc_tail);
    size_t from_tail = emit < L.ncrc_tail ? emit : L.ncrc_tail;
    size_t from_p = emit - from_tail;
    L.crc = crc64(L.crc, L.crc_tail, from_tail);
    L.crc = crc64(L.crc, p, from_p);
    size_t kept = L.ncrc_tail - from_tail;
    memmove(L.crc_tail, L.crc_tail + from_tail, kept);
    memcpy(L.crc_tail + kept, p + from_p, n - from_p);
    L.ncrc_tail = sizeof(L.crc_tail);
}

static int write_payload(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n && L.received + (long long)i < (long long)sizeof(L.magic); i++)
        L.magic[L.received + (long long)i] = p[i];
    crc_feed(p, n);
    if (persist_write_all(L.fd, p, n) != 0) {
        char msg[256];
        snprintf(msg, sizeof(msg), "Write error saving the DB from the MASTER to disk: %s",
                 strerror(errno));
        link_lost(msg);
        return -1;
    }
    L.received += (long long)n;
    return 0;
}

/* The $ line: "$<len>" or "$EOF:<40 bytes>". Returns false to wait.
 * diskless: the payload goes to the parser (replica_load) instead of disk. */
static bool transfer_header(bool diskless)
{
    char line[128];
    if (!take_line(line, sizeof(line)))
        return false;
    if (line[0] == '-') {
        char msg[256];
        snprintf(msg, sizeof(msg), "MASTER aborted replication with an error: %s", line + 1);
        link_lost(msg);
        return false;
    }
    if (line[0] != '$') {
        char msg[256];
        snprintf(msg, sizeof(msg), "Bad protocol from MASTER, the first byte is not '$' (we "
                                   "received '%s'), are you sure the host and port are right?",
                 line);
        link_lost(msg);
        return false;
    }
    if (strncmp(line + 1, "EOF:", 4) == 0 && strlen(line + 5) == EOF_MARK_LEN) {
        L.eof_framing = true;
        memcpy(L.eof_mark, line + 5, EOF_MARK_LEN);
        L.size = -1;
        log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync: receiving streamed RDB from master "
                                  "with EOF %s", diskless ? "to parser" : "to disk");
        return true;
    }
    long long size;
    if (strconv_to_ll(line + 1, strlen(line + 1), &size) != 0 || size < 0) {
        link_lost("Bad protocol from MASTER: a wrong payload length");
        return false;
    }
    L.eof_framing = false;
    L.size = size;
    log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync: receiving %lld bytes from master %s",
            size, diskless ? "to parser" : "to disk");
    return true;
}

/* EOF framing: the payload ends where the mark is found. Returns 1 at the
 * end, 0 to wait, -1 after giving up. Up to 39 bytes that may begin the
 * mark are held back in L.tail; bytes after the mark stay in the input
 * buffer (they are the stream). */
static int eof_chunk(void)
{
    conn_t *conn = L.conn;
    size_t n = conn->ilen;
    /* The old tail and the first new bytes: where a mark may straddle. */
    char edge[2 * EOF_MARK_LEN];
    size_t head = n < EOF_MARK_LEN - 1 ? n : EOF_MARK_LEN - 1;
    memcpy(edge, L.tail, L.ntail);
    memcpy(edge + L.ntail, conn->ibuf, head);
    size_t nedge = L.ntail + head;
    const char *hit = memmem(edge, nedge, L.eof_mark, EOF_MARK_LEN);
    if (hit != NULL) {
        size_t payload = (size_t)(hit - edge);
        if (write_payload(edge, payload) != 0)
            return -1;
        conn_input_discard(conn, payload + EOF_MARK_LEN - L.ntail);
        return 1;
    }
    hit = memmem(conn->ibuf, n, L.eof_mark, EOF_MARK_LEN);
    if (hit != NULL) {
        size_t payload = (size_t)(hit - conn->ibuf);
        if (write_payload(L.tail, L.ntail) != 0 || write_payload(conn->ibuf, payload) != 0)
            return -1;
        conn_input_discard(conn, payload + EOF_MARK_LEN);
        return 1;
    }
    if (n >= EOF_MARK_LEN - 1) {
        size_t keep = EOF_MARK_LEN - 1;
        if (write_payload(L.tail, L.ntail) != 0 || write_payload(conn->ibuf, n - keep) != 0)
            return -1;
        memcpy(L.tail, conn->ibuf + n - keep, keep);
        L.ntail = keep;
    } else {
        size_t keep = nedge < EOF_MARK_LEN - 1 ? nedge : EOF_MARK_LEN - 1;
        if (write_payload(edge, nedge - keep) != 0)
            return -1;
        memmove(L.tail, edge + nedge - keep, keep);
        L.ntail = keep;
    }
    conn_input_discard(conn, n);
    return 0;
}

/* Length framing: exactly L.size bytes. */
static int len_chunk(void)
{
    conn_t *conn = L.conn;
    long long left = L.size - L.received;
    size_t n = conn->ilen < (size_t)left ? conn->ilen : (size_t)left;
    if (write_payload(conn->ibuf, n) != 0)
        return -1;
    conn_input_discard(conn, n);
    return L.received == L.size ? 1 : 0;
}

/* The payload ends with the CRC-64 of the rest (or zeros), checked before
 * the old data is dropped, so a damaged transfer leaves the replica as it
 * was. */
static int verify_payload(void)
{
    if (L.received < 17 || memcmp(L.magic, "REDIS", 5) != 0)
        return -1;
    uint64_t want = 0;
    for (int i = 7; i >= 0; i--)
        want = want << 8 | (uint8_t)L.crc_tail[i];
    return want == 0 || want == L.crc ? 0 : -1;
}

static void transfer_done(void);
static void diskless_transfer(void);

static void transfer_input(void)
{
    if (L.size == -2) {
        bool diskless = replica_load_diskless();
        if (!transfer_header(diskless))
            return;
        if (diskless) {
            diskless_transfer();
            return;
        }
        if (!open_tmpfile())
            return;
    }
    if (L.conn == NULL)
        return;
    if (L.conn->ilen == 0 && L.size != 0) {
        conn_input_want(L.conn, TRANSFER_READ);
        return;
    }
    int rc = L.eof_framing ? eof_chunk() : len_chunk();
    if (rc == 1)
        transfer_done();
    else if (rc == 0 && L.conn != NULL)
        conn_input_want(L.conn, TRANSFER_READ); /* Big reads for the payload. */
}

/* ---- loading and streaming ------------------------------------------------- */

/* The link becomes the master client: its pending input is the stream. */
static void become_connected(int db)
{
    conn_t *conn = L.conn;
    L.conn = NULL;
    conn_input_want(conn, 0);
    client_t *c = client_new(conn);
    c->flags |= CLIENT_MASTER | CLIENT_REPLY_OFF;
    c->reply.out = NULL;
    c->authenticated = true;
    c->db = &srv.dbs[db >= 0 && db < srv.ndbs ? db : 0];
    L.master = c;
    L.have_history = true;
    set_state(LINK_CONNECTED);
    L.last_ack_ms = 0;
    conn_read_start(conn);
    replica_getack(c);
    client_process_input(c);
}

static int load_synced_file(rdb_load_stats_t *st)
{
    bool aof_was_on = replica_load_quiesce();
    if (L.have_history)
        log_msg(LOG_LEVEL_NOTICE, "Discarding previously cached master state.");
    log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync: Flushing old data");
    replica_load_empty_all();
    log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync: Loading DB in memory");
    persist_loading_begin((uint64_t)L.received);
    int rc = persist_load_rdb(cfg.dbfilename, persist_load_flags(), st, NULL);
    persist_loading_end();
    if (rc != 0)
        replica_load_empty_all();
    replica_load_resume(aof_was_on);
    return rc;
}

static void transfer_done(void)
{
    if (fsync(L.fd) != 0 || close(L.fd) != 0) {
        L.fd = -1;
        link_lost("Failed trying to sync the temp DB to disk in MASTER <-> REPLICA "
                  "synchronization");
        return;
    }
    L.fd = -1;
    if (verify_payload() != 0) {
        link_lost("The snapshot from the MASTER is damaged (bad framing or checksum); "
                  "keeping the current data and retrying");
        return;
    }
    if (rename(L.tmpfile, cfg.dbfilename) != 0) {
        char msg[256];
        snprintf(msg, sizeof(msg), "Failed trying to rename the temp DB into %s in MASTER <-> "
                                   "REPLICA synchronization: %s", cfg.dbfilename, strerror(errno));
        link_lost(msg);
        return;
    }
    L.tmpfile[0] = '\0';
    (void)persist_fsync_dir(".");
    conn_read_stop(L.conn);
    rdb_load_stats_t st;
    int rc = load_synced_file(&st);
    if (srv.shutdown_after_loading) {
        /* SHUTDOWN came while loading: the stop it asked for was used up
         * by the loop runs inside the load. The partial data is not
         * saved (there is no save point on this path). */
        link_lost("Loading stopped by a shutdown request");
        loop_stop(&srv.loop);
        return;
    }
    if (rc != 0) {
        /* The old data is gone, and with it the history a partial resync
         * could continue. */
        L.have_history = false;
        link_lost("Failed trying to load the MASTER synchronization DB from disk, check server "
                  "logs.");
        return;
    }
    if (L.conn == NULL) {
        /* The primary went away while the snapshot loaded. */
        repl_adopt_history(L.new_replid, L.new_offset);
        L.have_history = true;
        link_lost("The link to the MASTER was lost while loading its snapshot");
        return;
    }
    repl_adopt_history(L.new_replid, L.new_offset);
    if (cfg.rdb_del_sync_files && cfg.save_count == 0 && !cfg.appendonly &&
        unlink(cfg.dbfilename) == 0)
        log_msg(LOG_LEVEL_NOTICE, "Removing the RDB file obtained from the master. This replica "
                                  "has persistence disabled");
    log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync: Finished with success");
    become_connected(st.repl_stream_db);
}

/* repl-diskless-load: the payload is parsed from the socket as it comes
 * (replica_load); clients are served meanwhile. */
static void diskless_transfer(void)
{
    conn_t *conn = L.conn;
    replica_load_req_t req = {
        .conn = conn,
        .eof_framing = L.eof_framing,
        .eof_mark = L.eof_mark,
        .size = L.size,
        .had_history = L.have_history,
    };
    bool swapdb = cfg.repl_diskless_load == REPL_DISKLESS_LOAD_SWAPDB;
    rdb_load_stats_t st;
    int rc = replica_load_socket(&req, &st);
    if (L.conn != conn || L.state != LINK_TRANSFER) {
        /* The replica was reconfigured while loading. */
        return;
    }
    if (rc != 0) {
        /* swapdb kept the old data and its history; otherwise the data is
         * gone, and so is the history a partial resync could continue. */
        if (!swapdb)
            L.have_history = false;
        link_lost(NULL);
        return;
    }
    repl_adopt_history(L.new_replid, L.new_offset);
    log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync: Finished with success");
    become_connected(st.repl_stream_db);
}

static void partial_resync(const char *line)
{
    const char *id = line + 9;
    while (*id == ' ')
        id++;
    if (strlen(id) >= 40 && memcmp(id, srv.replid, 40) != 0) {
        /* The primary continues our history under a new ID (it was
         * promoted): ours becomes the second one, and our replicas must
         * learn the change. */
        char newid[41];
        memcpy(newid, id, 40);
        newid[40] = '\0';
        repl_shift_replid(newid);
        repl_drop_replicas("the primary's replication ID changed");
    }
    log_msg(LOG_LEVEL_NOTICE, "Successful partial resynchronization with master.");
    log_msg(LOG_LEVEL_NOTICE, "MASTER <-> REPLICA sync: Master accepted a Partial "
                              "Resynchronization.");
    if (!repl_has_backlog())
        repl_feed_stream("", 0);
    become_connected(L.master_db);
}

/* ---- link callbacks --------------------------------------------------------- */

static void on_read(conn_t *conn)
{
    if (conn != L.conn)
        return;
    L.last_io_ms = clock_mono_ms();
    char line[LINE_MAX_LEN + 1];
    while (L.conn != NULL && L.state == LINK_HANDSHAKE) {
        if (!take_line(line, sizeof(line)))
            return;
        if (!handshake_reply(line))
            return;
    }
    if (L.conn != NULL && L.state == LINK_TRANSFER)
        transfer_input();
}

static void on_error(conn_t *conn, int status)
{
    if (conn != L.conn) {
        conn_close(conn, false);
        return;
    }
    char msg[256];
    if (status == UV_EOF)
        snprintf(msg, sizeof(msg), "Master closed the connection during the %s",
                 L.state == LINK_TRANSFER ? "transfer" : "handshake");
    else
        snprintf(msg, sizeof(msg), "Error condition on socket for SYNC: %s", uv_strerror(status));
    link_lost(msg);
}

static void on_close(conn_t *conn)
{
    if (conn == L.conn)
        L.conn = NULL;
}

/* ---- the master client --------------------------------------------------------- */

void replica_applied(client_t *c, const char *p, size_t n)
{
    if (c != L.master)
        return;
    /* A transaction enters the stream (and the offset) whole, at EXEC, so
     * a link lost halfway resumes before its MULTI. */
    if (c->flags & CLIENT_MULTI) {
        L.multi = L.multi == NULL ? str_new(p, n) : str_cat(L.multi, p, n);
        return;
    }
    if (L.multi != NULL) {
        repl_feed_stream(L.multi->buf, L.multi->len);
        str_free(L.multi);
        L.multi = NULL;
    }
    repl_feed_stream(p, n);
}

void replica_client_free(client_t *c)
{
    if (c != L.master)
        return;
    L.master_db = c->db->id;
    L.master = NULL;
    if (L.multi != NULL) {
        str_free(L.multi);
        L.multi = NULL;
    }
    if (L.state == LINK_CONNECTED) {
        log_msg(LOG_LEVEL_NOTICE, "Connection with master lost.");
        log_msg(LOG_LEVEL_NOTICE, "Caching the disconnected master state.");
        L.down_since = clock_wall_ms() / 1000;
        L.state = LINK_CONNECT;
        L.next_attempt_ms = clock_mono_ms();
    }
}

void replica_getack(client_t *c)
{
    if (c != L.master || c->conn == NULL)
        return;
    char off[32];
    snprintf(off, sizeof(off), "%lld", repl_master_offset());
    const char *argv[] = {"REPLCONF", "ACK", off};
    send_command(c->conn, 3, argv);
    L.last_ack_ms = clock_mono_ms();
}

/* ---- following and leaving a primary ----------------------------------------- */

static void follow(void)
{
    replica_following = true;
    log_set_role('S');
    db_env.replica_mode = true;
    repl_set_following(true);
    L.state = LINK_CONNECT;
    L.next_attempt_ms = 0;
}

/* Stops following: the link, the master client and any transfer go. */
static void unfollow(void)
{
    link_close();
    if (L.master != NULL) {
        client_t *m = L.master;
        replica_client_free(m);
        m->flags |= CLIENT_CLOSE_ASAP;
        client_free_async(m);
    }
    L.state = LINK_NONE;
}

void replica_start(void)
{
    if (cfg.replicaof_host != NULL)
        follow();
}

void replica_loaded_history(const rdb_load_stats_t *st)
{
    if (cfg.replicaof_host == NULL || st->repl_id[0] == '\0' || st->repl_offset < 0)
        return;
    repl_restore_history(st->repl_id, st->repl_offset);
    L.master_db = st->repl_stream_db >= 0 ? st->repl_stream_db : 0;
    L.have_history = true;
    log_msg(LOG_LEVEL_NOTICE, "Replication history restored from the RDB file: ID %s, offset "
                              "%lld", st->repl_id, st->repl_offset);
}

void replica_shutdown(void)
{
    link_close();
    if (L.multi != NULL) {
        str_free(L.multi);
        L.multi = NULL;
    }
}

static void timeout_check(int64_t now)
{
    int64_t limit = cfg.repl_timeout * 1000;
    if (L.state == LINK_CONNECTED && L.master != NULL) {
        if (now - L.master->last_interaction > limit) {
            log_msg(LOG_LEVEL_WARNING, "MASTER timeout: no data nor PING received...");
            client_t *m = L.master;
            replica_client_free(m);
            m->flags |= CLIENT_CLOSE_ASAP;
            client_free_async(m);
        }
        return;
    }
    if ((L.state == LINK_CONNECTING || L.state == LINK_HANDSHAKE) && now - L.last_io_ms > limit)
        link_lost("Timeout connecting to the MASTER...");
    else if (L.state == LINK_TRANSFER && now - L.last_io_ms > limit)
        link_lost("Timeout receiving bulk data from MASTER... If the problem persists try to set "
                  "the 'repl-timeout' parameter in redis.conf to a larger value.");
}

void replica_cron(void)
{
    if (!replica_following)
        return;
    int64_t now = clock_mono_ms();
    timeout_check(now);
    if (L.state == LINK_CONNECT && now >= L.next_attempt_ms) {
        L.next_attempt_ms = now + RETRY_MS;
        link_connect();
    }
    if (L.state == LINK_CONNECTED && L.master != NULL && now - L.last_ack_ms >= 1000)
        replica_getack(L.master);
}

/* ---- gates ------------------------------------------------------------------ */

const char *replica_refusal(const client_t *c, const cmd_t *cmd, uint64_t flags)
{
    if (!replica_following || (c->flags & CLIENT_MASTER))
        return NULL;
    if (L.state != LINK_CONNECTED && !cfg.replica_serve_stale_data && !(cmd->flags & CMD_STALE))
        return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
    if (cfg.replica_read_only && (flags & CMD_WRITE))
        return "READONLY You can't write against a read only replica.";
    return NULL;
}

/* ---- REPLICAOF -------------------------------------------------------------- */

void replica_promote(void)
{
    if (!replica_following)
        return;
    unfollow();
    replica_following = false;
    log_set_role('M');
    db_env.replica_mode = false;
    alloc_free(cfg.replicaof_host);
    cfg.replicaof_host = NULL;
    cfg.replicaof_port = 0;
    /* Our replicas continue with +CONTINUE under the new ID. */
    repl_shift_replid(NULL);
    repl_set_following(false);
    repl_drop_replicas("this instance is now a primary");
}

void replica_set_primary(const char *host, size_t n, long long port, bool keep_replicas)
{
    /* What this instance holds is a history a new primary may continue. */
    L.have_history = true;
    if (replica_following) {
        unfollow();
    } else {
        L.master_db = 0;
        log_msg(LOG_LEVEL_NOTICE, "Before turning into a replica, using my own master "
                                  "parameters to synthesize a cached master: I may be able to "
                                  "synchronize with the new master with just a partial "
                                  "transfer.");
    }
    alloc_free(cfg.replicaof_host);
    char *copy = alloc_malloc(n + 1);
    memcpy(copy, host, n);
    copy[n] = '\0';
    cfg.replicaof_host = copy;
    cfg.replicaof_port = port;
    static const char unblocked[] = "UNBLOCKED force unblock from blocking operation, "
                                    "instance state changed (master -> replica?)";
    blocking_unblock_all(unblocked);
    repl_unblock_waiters(unblocked);
    if (!keep_replicas)
        repl_drop_replicas("this instance follows a new primary");
    follow();
    /* Connect now rather than at the next cron pass: a FAILOVER holds
     * writes until the new primary accepts us. */
    L.next_attempt_ms = clock_mono_ms() + RETRY_MS;
    link_connect();
}

static void replicaof(client_t *c)
{
    if (failover_state() != FAILOVER_NONE) {
        reply_error(&c->reply, "ERR REPLICAOF not allowed while failing over.");
        return;
    }
    if (arg_is(&c->argv[1], "no") && arg_is(&c->argv[2], "one")) {
        if (replica_following) {
            replica_promote();
            str_t *info = client_info_line(str_new_cap(256), c);
            log_msg(LOG_LEVEL_NOTICE, "MASTER MODE enabled (user request from '%s')", info->buf);
            str_free(info);
        }
        reply_ok(&c->reply);
        return;
    }
    long long port;
    if (strconv_to_ll(c->argv[2].p, c->argv[2].n, &port) != 0 || port < 0 || port > 65535) {
        reply_error(&c->reply, "ERR Invalid master port");
        return;
    }
    if (replica_following && cfg.replicaof_port == port &&
        strlen(cfg.replicaof_host) == c->argv[1].n &&
        strncasecmp(cfg.replicaof_host, c->argv[1].p, c->argv[1].n) == 0) {
        log_msg(LOG_LEVEL_NOTICE, "REPLICAOF would result into synchronization with the master "
                                  "we are already connected with. No operation performed.");
        reply_status(&c->reply, "OK Already connected to specified master");
        return;
    }
    replica_set_primary(c->argv[1].p, c->argv[1].n, port, false);
    str_t *info = client_info_line(str_new_cap(256), c);
    log_msg(LOG_LEVEL_NOTICE, "REPLICAOF %s:%lld enabled (user request from '%s')",
            cfg.replicaof_host, port, info->buf);
    str_free(info);
    reply_ok(&c->reply);
}

void cmd_replicaof(client_t *c)
{
    replicaof(c);
}

void cmd_slaveof(client_t *c)
{
    replicaof(c);
}

/* ---- ROLE and INFO ---------------------------------------------------------- */

static const char *role_state(void)
{
    switch (L.state) {
    case LINK_CONNECT:
        return "connect";
    case LINK_CONNECTING:
        return "connecting";
    case LINK_HANDSHAKE:
        return "handshake";
    case LINK_TRANSFER:
        return "sync";
    case LINK_CONNECTED:
        return "connected";
    default:
        return "none";
    }
}

void replica_role(client_t *c)
{
    reply_array(&c->reply, 5);
    reply_bulk_cstr(&c->reply, "slave");
    reply_bulk_cstr(&c->reply, cfg.replicaof_host);
    reply_int(&c->reply, cfg.replicaof_port);
    reply_bulk_cstr(&c->reply, role_state());
    reply_int(&c->reply, L.master != NULL ? repl_master_offset() : -1);
}

str_t *replica_info(str_t *s)
{
    int64_t now = clock_mono_ms();
    long long io_ago = L.master != NULL ? (now - L.master->last_interaction) / 1000 : -1;
    long long off = L.have_history ? repl_master_offset() : 1;
    long long read_off = off + (L.master != NULL && L.master->conn != NULL
                                    ? (long long)L.master->conn->ilen
                                    : 0);
    s = str_catfmt(s,
                   "master_host:%s\r\nmaster_port:%lld\r\nmaster_link_status:%s\r\n"
                   "master_last_io_seconds_ago:%lld\r\nmaster_sync_in_progress:%d\r\n"
                   "slave_read_repl_offset:%lld\r\nslave_repl_offset:%lld\r\n",
                   cfg.replicaof_host, cfg.replicaof_port,
                   L.state == LINK_CONNECTED ? "up" : "down", io_ago,
                   L.state == LINK_TRANSFER, read_off, off);
    if (L.state == LINK_TRANSFER) {
        /* As Redis: -1 before the $ line, 0 with EOF framing (unknown). */
        long long total = L.size >= 0 ? L.size : (L.size == -1 ? 0 : -1);
        /* Redis divides by -1 too: "-0.00" before the $ line. */
        double perc = total != 0 ? (double)L.received * 100.0 / (double)total : 0;
        s = str_catfmt(s,
                       "master_sync_total_bytes:%lld\r\nmaster_sync_read_bytes:%lld\r\n"
                       "master_sync_left_bytes:%lld\r\nmaster_sync_perc:%.2f\r\n"
                       "master_sync_last_io_seconds_ago:%lld\r\n",
                       total, L.received, total - L.received, perc,
                       (long long)((now - L.last_io_ms) / 1000));
    }
    if (L.state != LINK_CONNECTED)
        s = str_catfmt(s, "master_link_down_since_seconds:%lld\r\n",
                       L.down_since != 0 ? (long long)(clock_wall_ms() / 1000 - L.down_since)
                                         : -1LL);
    return str_catfmt(s, "slave_priority:%lld\r\nslave_read_only:%d\r\nreplica_announced:%d\r\n",
                      cfg.replica_priority, cfg.replica_read_only ? 1 : 0,
                      cfg.replica_announced ? 1 : 0);
}
