// EXPECT: error "sanenet L9.1 constant-init:"
// A constant (non-zero) initializer on the output layer is just as symmetric.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dense<3, sn::Constant<0.01>>, sn::Identity>;

int main() {
    Net net;
    (void)net;
}
