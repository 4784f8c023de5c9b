// The translation unit that compiles tint's shared precompiled header (<torch/torch.h>, see src/CMakeLists.txt).
