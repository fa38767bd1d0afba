// EXPECT: error "sanenet E13 task-outputs:"
// A yes/no classifier written as Classification<1>: a softmax over one class is always 1.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<1>, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
