// EXPECT: clean
// Twin of L9_1_constant_init.cpp: LeCun initialization (the default), biases still zero.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<256, sn::LeCun>, sn::ELU,
                        sn::Dense<3>, sn::Identity>;

int main() {
    Net net;
    (void)net;
}
