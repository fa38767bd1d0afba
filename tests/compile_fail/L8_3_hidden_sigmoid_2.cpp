// EXPECT: warning "sanenet L8.3 hidden-sigmoid:"
// A Sigmoid gate on the inputs, before the first Dense, of a Binary network whose output is a Sigmoid too.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Binary, sn::Input<16>, sn::Sigmoid,
                        sn::Dropout<0.9>, sn::Dense<64>, sn::ELU,
                        sn::Dense<1>, sn::Sigmoid>;

int main() {
    Net net{sn::Seed{3}};
    (void)net;
}
