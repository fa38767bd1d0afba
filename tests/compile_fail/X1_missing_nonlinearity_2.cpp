// EXPECT: error "sanenet X1 missing-nonlinearity:"
// Dense, Dropout, Dense: the Dropout between them is not a nonlinearity.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dense<256, sn::He>, sn::Dropout<0.9>,
                        sn::Dense<128, sn::He>, sn::ReLU, sn::Dropout<0.9>,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
