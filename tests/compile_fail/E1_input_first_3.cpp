// EXPECT: error "sanenet E1 input-first:"
// Input dropout written before Input instead of after it.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Dropout<0.8>, sn::Input<784>,
                        sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
