/* sl-fuzz.h — the libFuzzer entry point every fuzz target defines.
 *
 * Built with -fsanitize=fuzzer, libFuzzer provides main(); in an ordinary
 * build replay-main.c does, running the committed corpus through the
 * target once so that `meson test --suite fuzz` keeps the seeds passing.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
