// EXPECT: clean
// Twin of L11_1_too_few_hidden_units.cpp: 256 hidden units for 10 classes.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
