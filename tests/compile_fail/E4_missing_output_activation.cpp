// EXPECT: error "sanenet E4 missing-output-activation:"
// PyTorch habit: the net ends in the logits Dense, leaving Softmax to the loss.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<10>>;

int main() {
    Net net;
    (void)net;
}
