/* linkem-loop.h — sl-linkem's packet loop.
 *
 * One thread waits in epoll on the two TUN descriptors, a timerfd and a
 * signalfd.  A packet read from one side is offered to that direction's
 * core at once; the timer, set with microsecond resolution to the next
 * due time of either core (or of the path change, or of the kill
 * deadline), wakes the loop to write due packets to the other side.  The
 * loop ends when CMD has exited.  Signals meant for the emulator
 * (SIGINT, SIGTERM, SIGHUP) are passed on to CMD, which then has 5 s to
 * exit before it is killed.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "linkem-core.h"
#include "linkem-net.h"

G_BEGIN_DECLS

typedef struct
{
  SlLinkemNet *net;
  SlLinkemCore *up;      /* CMD → host */
  SlLinkemCore *down;    /* host → CMD */
  gint64 path_change_us; /* on CLOCK_MONOTONIC; -1: none */
  pid_t child;           /* CMD */
  int signal_fd;         /* SIGCHLD, SIGINT, SIGTERM, SIGHUP (blocked) */
} SlLinkemLoop;

/* The current time on CLOCK_MONOTONIC, in µs: the clock of the cores. */
gint64 sl_linkem_now_us (void);

/* Forwards packets until CMD exits; returns TRUE with its wait status in
 * @status_out, or FALSE with @error if the loop itself failed (then CMD
 * has been killed and reaped). */
gboolean sl_linkem_loop_run (SlLinkemLoop *loop, int *status_out,
                             GError **error);

G_END_DECLS
