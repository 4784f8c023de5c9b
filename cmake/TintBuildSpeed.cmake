# How tint keeps its builds fast (measured in docs/build-speed.md):
# - one precompiled <torch/torch.h>, built once in src/ and reused by every library, CLI and bench target;
# - unity builds (TINT_UNITY_BUILD): each target's sources compiled as one translation unit, so the 570 MB
#   precompiled header is loaded and LibTorch's templates are instantiated once per target, not once per file;
# - ccache, when it is installed, for rebuilds of unchanged files (a second clone, a CI rerun, a switched branch).
set(CMAKE_UNITY_BUILD ${TINT_UNITY_BUILD})
# No batch limit: a layer's files form one translation unit (the largest, analysis/, takes about 20 s).
set(CMAKE_UNITY_BUILD_BATCH_SIZE 0)

find_program(TINT_CCACHE ccache)
if(TINT_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  # With precompiled headers ccache needs these sloppiness settings, or it declines every file; -fpch-preprocess
  # (GCC) lets it hash the header's name rather than refuse the .gch.
  # CCACHE_BASEDIR makes paths inside the clone relative, so a fresh clone (a CI run) hits the cache too.
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} ${TINT_CCACHE})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(tint_options INTERFACE -fpch-preprocess)
  endif()
  message(STATUS "tint: compiling through ccache (${TINT_CCACHE})")
endif()
