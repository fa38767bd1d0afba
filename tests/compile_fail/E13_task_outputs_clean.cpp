// EXPECT: clean
// Twin of E13_task_outputs.cpp: a yes/no target is sn::Binary, one sigmoid output.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Binary, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::Sigmoid>;

int main() {
    Net net;
    (void)net;
}
