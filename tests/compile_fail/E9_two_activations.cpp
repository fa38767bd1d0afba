// EXPECT: error "sanenet E9 two-activations:"
// The hidden-layer habit "Dense, ReLU" carried to the output, followed by Softmax.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::ReLU, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
