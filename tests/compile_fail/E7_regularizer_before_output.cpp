// EXPECT: error "sanenet E7 regularizer-before-output:"
// "Dense, Dropout" applied to the output layer too: dropout on the logits.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Dropout<0.9>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
