// EXPECT: error "sanenet E6 output-only-activation:"
// A Softmax between hidden layers, as if it were attention: Softmax belongs only after the last Dense.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128>, sn::Softmax,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
