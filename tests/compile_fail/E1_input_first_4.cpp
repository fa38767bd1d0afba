// EXPECT: error "sanenet E1 input-first:"
// Each layer's input width written as an Input, Keras input_shape style: Input appears twice.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Input<128>, sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
