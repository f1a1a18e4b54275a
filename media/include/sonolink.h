/* sonolink.h — the public API of libsonolink, in one include.
 *
 * A program that uses the engine includes this header and builds with
 * `pkg-config --cflags --libs sonolink`:
 *
 *   sl-media.h        start-up, errors, the codecs' settings
 *   sl-capture.h      the probe's pipeline that feeds sessions
 *   sl-session.h      one WebRTC peer connection between two stations
 *   sl-stats.h        a session's figures as users read them
 *   sl-link-state.h   the link's health in words
 *   sl-stage.h        per-frame stage timers
 *   sl-fidelity.h     PSNR and SSIM of a picture against its source
 *   sl-guide.h        the guidance protocol's messages
 *   sl-guide-state.h  the marks a receiver holds
 *   sl-guide-render.h the one renderer of those marks
 *   sl-guide-still.h  stills: PNG encoding, chunking and reassembly
 *
 * The threading rule of each is in its header.
 */
#pragma once

#include "sl-media.h"
#include "sl-capture.h"
#include "sl-voice.h"
#include "sl-session.h"
#include "sl-stats.h"
#include "sl-link-state.h"
#include "sl-stage.h"
#include "sl-fidelity.h"
#include "sl-guide.h"
#include "sl-guide-state.h"
#include "sl-guide-render.h"
#include "sl-guide-still.h"
#include "sl-recorder.h"
