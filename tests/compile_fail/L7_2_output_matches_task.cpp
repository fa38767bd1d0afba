// EXPECT: error "sanenet L7.2 output-matches-task:"
// Classification ending in Sigmoid instead of Softmax.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Sigmoid>;

int main() {
    Net net;
    (void)net;
}
