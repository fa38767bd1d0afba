// EXPECT: error "sanenet E8 output-width:"
// Copied from a 5-class example: Classification<10> ends in Dense<5>.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<5>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
