// EXPECT: clean
// Twin of E14_norm_before_output.cpp: the LayerNorm normalizes the hidden features instead.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>, sn::Dropout<0.9>,
                        sn::Dense<256>, sn::LayerNorm, sn::GELU,
                        sn::Dense<3>, sn::Identity>;

int main() {
    Net net;
    (void)net;
}
