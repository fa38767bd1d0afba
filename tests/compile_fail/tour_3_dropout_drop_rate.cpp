// EXPECT: error "sanenet L4.2 keep-reads-as-drop-rate:"
// examples/lints_tour.cpp with mistake 3 put back; the README shows this output.
#define SANENET_TOUR 3
#include "../../examples/lints_tour.cpp"
