/* The fuzz build's stb_image: the decoder compiled here, instrumented, in
 * place of libstb's uninstrumented copy of the same header, so that libFuzzer
 * is guided through it and ASan checks it. */
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
