// EXPECT: error "sanenet E14 norm-before-output:"
// LayerNorm on the regression outputs: every sample's outputs would get the same mean and spread.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>, sn::Dropout<0.9>,
                        sn::Dense<256>, sn::GELU,
                        sn::Dense<3>, sn::LayerNorm, sn::Identity>;

int main() {
    Net net;
    (void)net;
}
