// EXPECT: clean
// Twin of L8_3_hidden_sigmoid.cpp: the Sigmoid units are deliberate (bounded features), waived.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Allow<sn::lint::HiddenSigmoid>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128>, sn::Sigmoid,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
