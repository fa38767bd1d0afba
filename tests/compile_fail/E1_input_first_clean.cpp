// EXPECT: clean
// Twin of E1_input_first.cpp: the list starts with Input.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dense<128, sn::He>, sn::ReLU, sn::Dropout<0.9>,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
