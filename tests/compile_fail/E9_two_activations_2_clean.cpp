// EXPECT: clean
// Twin of E9_two_activations_2.cpp: the Dense between the two activations is back.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dense<256, sn::He>, sn::ReLU, sn::Dropout<0.9>,
                        sn::Dense<128, sn::He>, sn::ReLU, sn::Dropout<0.9>,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
