// EXPECT: warning "sanenet L11.1 too-few-hidden-units:"
// 32 hidden units for 10 classes: fewer than 5 per class.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<32, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
