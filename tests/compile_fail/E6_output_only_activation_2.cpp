// EXPECT: error "sanenet E6 output-only-activation:"
// An Identity between hidden layers: two Dense layers with no nonlinearity between them (X1 in disguise).
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<64>, sn::Identity,
                        sn::Dense<3>, sn::Identity>;

int main() {
    Net net;
    (void)net;
}
