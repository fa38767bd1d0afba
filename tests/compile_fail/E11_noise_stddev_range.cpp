// EXPECT: error "sanenet E11 noise-stddev-range:"
// A sign slip: a negative standard deviation for the input noise.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>,
                        sn::GaussianNoise<-0.1>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::Identity>;

int main() {
    Net net;
    (void)net;
}
