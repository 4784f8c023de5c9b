# Compile options shared by every tint target (library, CLI, tests, bench).
add_library(tint_options INTERFACE)
if(TINT_WARNINGS)
  # Torch headers trip -Wunused-parameter, so it stays off; the rest of -Wextra is on.
  target_compile_options(tint_options INTERFACE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
endif()
if(TINT_SANITIZE)
  target_compile_options(tint_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(tint_options INTERFACE -fsanitize=address,undefined)
endif()
# ATen's parallel_for is a header template: it only runs in parallel where the caller is compiled with OpenMP
# (Debian's LibTorch uses the OpenMP backend). Every target gets the flag so precompiled headers stay compatible.
find_package(OpenMP REQUIRED)
target_link_libraries(tint_options INTERFACE OpenMP::OpenMP_CXX)
