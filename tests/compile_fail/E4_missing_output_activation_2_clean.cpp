// EXPECT: clean
// Twin of E4_missing_output_activation_2.cpp: a Dense with one unit per class before Softmax.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<3>, sn::Input<4>,
                        sn::GaussianNoise<0.1>, sn::Dense<3>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
