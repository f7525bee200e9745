#include <config.h>
#include "sys/sockets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

int sockets_inherited(inherited_socket_t *out, int max)
{
#ifdef HAVE_SYSTEMD
    char **names = NULL;
    int n = sd_listen_fds_with_names(1, &names);
    if (n <= 0) {
        free(names);
        return 0;
    }
    int k = 0;
    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        if (k < max) {
            out[k].fd = fd;
            snprintf(out[k].name, sizeof(out[k].name), "%s",
                     names && names[i] ? names[i] : "");
            out[k].is_unix = sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0;
            k++;
        }
        if (names)
            free(names[i]);
    }
    free(names);
    return k;
#else
    (void)out;
    (void)max;
    return 0;
#endif
}
