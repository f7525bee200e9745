/*
 * Prototypes of every command handler, generated from commands.def so the
 * table and the handlers cannot drift apart.
 */
#ifndef RH_SERVER_CMD_HANDLERS_H
#define RH_SERVER_CMD_HANDLERS_H

#include "server/commands.h"

#define CMD(name, proc, arity, flags, acl, group, since, keyspecs) cmd_proc proc;
#define SUB(parent, name, proc, arity, flags, acl, since, keyspecs) cmd_proc proc;
#include "server/commands.def"

#endif
