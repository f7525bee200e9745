/*
 * sockets: listening sockets handed over by the service manager (socket
 * activation, LISTEN_FDS with FileDescriptorName). Returns borrowed fds the
 * caller adopts; without libsystemd nothing is ever inherited.
 */
#ifndef RH_SYS_SOCKETS_H
#define RH_SYS_SOCKETS_H

#define SOCKETS_MAX 16

typedef struct inherited_socket {
    int fd;
    char name[64];  /* FileDescriptorName, "" when unnamed. */
    int is_unix;    /* AF_UNIX stream socket. */
} inherited_socket_t;

/* Fills out with up to max inherited listening sockets and returns how
 * many; 0 when not socket-activated. Clears LISTEN_* from the environment. */
int sockets_inherited(inherited_socket_t *out, int max);

#endif
