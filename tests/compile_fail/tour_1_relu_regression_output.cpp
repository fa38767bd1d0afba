// EXPECT: error "sanenet L7.1 bounded-regression-output:"
// examples/lints_tour.cpp with mistake 1 put back; the README shows this output.
#define SANENET_TOUR 1
#include "../../examples/lints_tour.cpp"
