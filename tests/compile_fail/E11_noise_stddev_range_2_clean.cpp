// EXPECT: clean
// Twin of E11_noise_stddev_range_2.cpp: a finite standard deviation.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>,
                        sn::GaussianNoise<0.1>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::Identity>;

static_assert(sn::valid<Net>);

int main() {}
