/* sl-station.h — what sonolink-township and sonolink-expert have in common.
 *
 * A station joins a room through the hub, keeps one SlSession per remote
 * peer it exchanges media with, prints a status line a second and writes
 * the same as JSON lines.  The township sends the probe to every expert and
 * trainee in the room; the expert (or trainee) views what the township
 * offers.  The programs' main() list their role's own options and hand
 * them to sl_station_main.
 */
#pragma once

#include "sl-station-options.h"

G_BEGIN_DECLS

/* The whole of a station program's main(): parses the command line into
 * @options (sl_station_options_parse: the options of every station, then
 * @role_entries, bound to fields of @options; @description ends --help),
 * initialises the engine (at the township, the probe adapters' elements
 * too) and runs the station until --duration ends, Ctrl-C, or a fatal
 * error.  Returns the exit status. */
SlExitStatus sl_station_main (SlStationOptions *options,
                              const GOptionEntry *role_entries,
                              const gchar *description, int argc, char **argv);

G_END_DECLS
