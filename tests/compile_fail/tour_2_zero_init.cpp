// EXPECT: error "sanenet L9.1 constant-init:"
// examples/lints_tour.cpp with mistake 2 put back; the README shows this output.
#define SANENET_TOUR 2
#include "../../examples/lints_tour.cpp"
