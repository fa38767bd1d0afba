// EXPECT: error "sanenet E9 two-activations:"
// A Dense deleted from a "Dense, ReLU, Dropout" block: two activations with only a Dropout between them.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dense<256, sn::He>, sn::ReLU, sn::Dropout<0.9>,
                        sn::ReLU, sn::Dropout<0.9>,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
