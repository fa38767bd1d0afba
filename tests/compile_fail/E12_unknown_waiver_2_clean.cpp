// EXPECT: clean
// Twin of E12_unknown_waiver_2.cpp: structural rules cannot be waived, so the structure is fixed.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128>, sn::Tanh,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
