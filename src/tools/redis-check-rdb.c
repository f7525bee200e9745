/*
 * redis-check-rdb FILE: verifies an RDB file (tools/rdb_check.c) and exits
 * 0 for a sound file, 1 otherwise, as Redis 7.0's tool does.
 */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "tools/rdb_check.h"

/* Opens and checks the file at path, named name in the report. */
static int rdb_check_path(const char *path, const char *name, uint64_t *end)
{
    printf("[offset 0] Checking RDB file %s\n", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    int rc = rdb_check_fd(fd, end);
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "Usage: %s <rdb-file-name>\n", argv[0]);
        return 1;
    }
    uint64_t end;
    int rc = rdb_check_path(argv[1], argv[1], &end);
    fflush(stdout);
    return rc;
}
