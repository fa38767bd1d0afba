// EXPECT: error "sanenet L7.1 bounded-regression-output:"
// House prices are positive, so the regression output gets a ReLU (article item 7).
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::ReLU>;

int main() {
    Net net;
    (void)net;
}
