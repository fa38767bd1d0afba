// EXPECT: clean
// Twin of L7_1_bounded_regression_output_2.cpp: the regression output is Identity.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::Identity>;

static_assert(sn::valid<Net>);

int main() {}
