/* stb_image's implementation, compiled with the fuzz build's instrumentation (see fuzz/CMakeLists.txt). */
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
