// EXPECT: clean
// Twin of L4_1_no_regularization.cpp: regularization is left out on purpose and waived.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Allow<sn::lint::NoRegularization>, sn::Input<784>,
                        sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
