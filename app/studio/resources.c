/* Finding the shipped files. The build passes VNCA_SOURCE_DIR (the source
 * tree) and VNCA_DATA_DIR (prefix/share/vnca) as defines. */
#include "resources.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <SDL.h>

int resource_find(const char *folder, const char *name, char *path, size_t path_len, char *err,
                  size_t err_len)
{
    char *base = SDL_GetBasePath(); /* the executable's folder, with a trailing slash */
    char beside[2][4096];
    snprintf(beside[0], sizeof beside[0], "%s%s/%s", base ? base : "./", folder, name);
    snprintf(beside[1], sizeof beside[1], "%s%s", base ? base : "./", name);
    SDL_free(base);
    char source[4096], installed[4096];
    snprintf(source, sizeof source, "%s/%s/%s", VNCA_SOURCE_DIR, folder, name);
    snprintf(installed, sizeof installed, "%s/%s/%s", VNCA_DATA_DIR, folder, name);
    const char *candidates[] = {beside[0], beside[1], source, installed};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (access(candidates[i], R_OK) == 0) {
            snprintf(path, path_len, "%s", candidates[i]);
            return 0;
        }
    }
    snprintf(err, err_len, "cannot find %s: looked for %s, %s, %s and %s", name, candidates[0],
             candidates[1], candidates[2], candidates[3]);
    return -1;
}
