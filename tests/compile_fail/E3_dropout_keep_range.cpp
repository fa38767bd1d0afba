// EXPECT: error "sanenet E3 dropout-keep-range:"
// Dropout<0.0> meant as "no dropout", but Keep is the probability of KEEPING a unit.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.0>, sn::Dense<128, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
