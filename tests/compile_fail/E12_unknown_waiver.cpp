// EXPECT: error "sanenet E12 unknown-waiver:"
// A linear bottleneck meant to be waived, but sn::Allow is given something that is not a lint tag.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Allow<int>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>,
                        sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
