// EXPECT: clean
// Twin of L11_1_too_few_hidden_units_2.cpp: 256 hidden units for 100 inputs, over 2x the inputs.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<100>,
                        sn::Dropout<0.9>, sn::Dense<256>, sn::ELU,
                        sn::Dense<3>, sn::Identity>;

int main() {
    Net net;
    (void)net;
}
