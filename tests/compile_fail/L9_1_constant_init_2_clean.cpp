// EXPECT: clean
// Twin of L9_1_constant_init_2.cpp: the output layer with the default LeCun initialization.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dense<3>, sn::Identity>;

int main() {
    Net net;
    (void)net;
}
