// EXPECT: clean
// Twin of L8_3_hidden_sigmoid.cpp: Tanh as the hidden activation.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128>, sn::Tanh,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
