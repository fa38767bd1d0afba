// EXPECT: warning "sanenet L11.1 too-few-hidden-units:"
// Regression from 100 inputs through 128 units: fewer than 2x the inputs.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<100>,
                        sn::Dropout<0.9>, sn::Dense<128>, sn::ELU,
                        sn::Dense<3>, sn::Identity>;

int main() {
    Net net;
    (void)net;
}
