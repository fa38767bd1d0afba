// EXPECT: clean
// Twin of L11_1_too_few_hidden_units.cpp: a small model for a microcontroller, narrow on purpose, waived.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Allow<sn::lint::TooFewHiddenUnits>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<32, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
