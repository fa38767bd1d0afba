// EXPECT: clean
// Twin of E14_norm_before_output_2.cpp: LayerNorm and Dropout before the last Dense.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dense<128, sn::He>, sn::SiLU,
                        sn::LayerNorm, sn::Dropout<0.9>, sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
