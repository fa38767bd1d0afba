// EXPECT: error "sanenet L9.1 constant-init:"
// Zero-initialized weights: every hidden unit stays a copy of the others.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<256, sn::Zeros>, sn::ELU,
                        sn::Dense<3>, sn::Identity>;

int main() {
    Net net;
    (void)net;
}
