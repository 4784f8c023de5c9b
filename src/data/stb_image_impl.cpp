// stb_image's implementation, built here from Debian's header rather than taken from libstb.so. stb_image 2.27
// (Debian 12) multiplies a JPEG block's DC coefficient by its quantization value in int without a check (2.28 refuses
// such files), and a corrupt JPEG overflows it (found by fuzz/fuzz_image.cpp: fuzz/regressions/jpeg_dc_overflow.jpg).
// This file is compiled with -fwrapv (src/CMakeLists.txt), so those products wrap: such a file decodes to wrong
// pixels instead of undefined behaviour. tint's calls resolve to these definitions; stb_image_write still comes from
// libstb.so.
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
