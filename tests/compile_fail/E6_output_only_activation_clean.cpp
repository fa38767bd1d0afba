// EXPECT: clean
// Twin of E6_output_only_activation.cpp: Tanh as the hidden activation.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128>, sn::Tanh,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
