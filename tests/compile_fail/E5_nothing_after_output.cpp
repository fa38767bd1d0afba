// EXPECT: error "sanenet E5 nothing-after-output:"
// The "Dense, activation, Dropout" block copied once too often: a Dropout after Softmax.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dense<128, sn::He>, sn::ReLU, sn::Dropout<0.9>,
                        sn::Dense<10>, sn::Softmax, sn::Dropout<0.9>>;

int main() {
    Net net;
    (void)net;
}
