// EXPECT: error "sanenet E8 output-width:"
// Two output units for a Binary task (the two-class softmax habit); Binary has one output.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Binary, sn::Input<30>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<2>, sn::Sigmoid>;

static_assert(sn::valid<Net>);

int main() {}
