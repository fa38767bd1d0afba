// EXPECT: clean
// Twin of L9_1_constant_init.cpp: a test fixture that wants exact weights, waived.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Allow<sn::lint::ConstantInit>, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<256, sn::Zeros>, sn::ELU,
                        sn::Dense<3>, sn::Identity>;

int main() {
    Net net;
    (void)net;
}
