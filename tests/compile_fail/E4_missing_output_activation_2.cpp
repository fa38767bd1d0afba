// EXPECT: error "sanenet E4 missing-output-activation:"
// Logistic regression written as Input -> Softmax, without the Dense that holds the weights.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<3>, sn::Input<4>,
                        sn::GaussianNoise<0.1>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
