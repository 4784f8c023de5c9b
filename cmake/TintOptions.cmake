# Compile options shared by every tint target (library, CLI, tests, bench).
add_library(tint_options INTERFACE)
if(TINT_WARNINGS)
  # Torch headers trip -Wunused-parameter, so it stays off; the rest of -Wextra is on.
  target_compile_options(tint_options INTERFACE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
  # -Wpsabi's note ("the ABI for passing parameters with 64-byte alignment has changed in GCC 4.6") is about calls
  # between objects built by GCC before and after 4.6. The fused kernels (src/ops) pass 64-byte GCC vector types only
  # between always-inlined helpers of one file, never across objects, so the note can say nothing about tint.
  target_compile_options(tint_options INTERFACE -Wno-psabi)
endif()
# CI (.ci/run, through scripts/test) builds with TINT_WARNINGS_AS_ERRORS=ON: a clean build prints nothing that looks
# like a problem, and a new warning fails CI instead of scrolling by. Off by default so that a newer compiler's new
# warnings never stop a user's build.
option(TINT_WARNINGS_AS_ERRORS "Compile tint's own code with -Werror" OFF)
if(TINT_WARNINGS_AS_ERRORS)
  target_compile_options(tint_options INTERFACE -Werror)
endif()
if(TINT_SANITIZE)
  target_compile_options(tint_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(tint_options INTERFACE -fsanitize=address,undefined)
endif()
if(TINT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TINT_FUZZ needs clang (libFuzzer): configure a separate build with CC=clang-14 CXX=clang++-14")
  endif()
  # Coverage instrumentation for libFuzzer in everything (library included); the harnesses add -fsanitize=fuzzer.
  target_compile_options(tint_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                                                -fno-sanitize-recover=undefined)
  target_link_options(tint_options INTERFACE -fsanitize=address,undefined)
endif()
# ATen's parallel_for is a header template: it only runs in parallel where the caller is compiled with OpenMP
# (Debian's LibTorch uses the OpenMP backend). Every target gets the flag so precompiled headers stay compatible.
find_package(OpenMP REQUIRED)
target_link_libraries(tint_options INTERFACE OpenMP::OpenMP_CXX)
