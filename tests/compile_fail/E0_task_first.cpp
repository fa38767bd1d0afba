// EXPECT: error "sanenet E0 task-first:"
// The task is forgotten: the list starts with Input, as in a Keras Sequential model.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
