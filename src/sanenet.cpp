// The compiled mode's one translation unit (CMake: sanenet::compiled; core/config.hpp). It
// defines every non-template function of sanenet once; the translation units that use sanenet
// are built with SANENET_COMPILED_LIB and only declare them. Without CMake: compile this file
// with the same flags as the rest of the program, -DSANENET_COMPILED_LIB included.
#ifndef SANENET_COMPILED_LIB
#define SANENET_COMPILED_LIB 1
#endif
#define SANENET_IMPLEMENTATION
#include <sanenet/sanenet.hpp>
