// EXPECT: clean
// Twin of L4_1_no_regularization.cpp: the warning silenced with a pragma around the user's own line.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    Net net;
#pragma GCC diagnostic pop
    (void)net;
}
