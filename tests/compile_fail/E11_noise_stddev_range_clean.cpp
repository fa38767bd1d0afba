// EXPECT: clean
// Twin of E11_noise_stddev_range.cpp: a small positive standard deviation.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>,
                        sn::GaussianNoise<0.1>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::Identity>;

int main() {
    Net net;
    (void)net;
}
