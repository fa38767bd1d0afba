// EXPECT: warning "sanenet L4.1 no-regularization:"
// A classifier with no Dropout or GaussianNoise anywhere: it compiles, with a warning on the line that builds it.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
