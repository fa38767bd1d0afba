// EXPECT: clean
// Twin of L7_1_bounded_regression_output.cpp: the targets are raw, non-negative prices and the
// ReLU output is kept on purpose, with the waiver.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Allow<sn::lint::BoundedRegressionOutput>, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::ReLU>;

int main() {
    Net net;
    (void)net;
}
