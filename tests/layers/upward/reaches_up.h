// A file of a low layer that includes a higher one: the layer check must refuse it (tests/CMakeLists.txt).
#pragma once

#include "tint/core/error.h"
#include "tint/train/config.h"
