// EXPECT: clean
// Twin of L10_1_too_deep.cpp: the depth is deliberate, waived.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Allow<sn::lint::TooDeep>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
