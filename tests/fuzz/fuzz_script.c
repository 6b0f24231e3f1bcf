/* Fuzz target: a vnca-studio --script file through its parser, which reads
 * and checks every line before the window opens. */
#include <SDL.h>
#include <stdlib.h>

#include "fuzz_input.h"
#include "script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* key names are looked up in the keyboard map that SDL's video sets up;
     * the dummy driver needs no display */
    static int ready;
    if (!ready) {
        SDL_SetHint(SDL_HINT_VIDEODRIVER, "dummy");
        if (SDL_Init(SDL_INIT_VIDEO)) abort();
        ready = 1;
    }
    char err[512];
    script_free(script_load(fuzz_input_path(data, size), err, sizeof err));
    return 0;
}
