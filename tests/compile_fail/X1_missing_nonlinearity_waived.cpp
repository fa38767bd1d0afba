// EXPECT: clean
// Twin of X1_missing_nonlinearity.cpp: the linear bottleneck is intended and waived.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Allow<sn::lint::MissingNonlinearity>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>,
                        sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
