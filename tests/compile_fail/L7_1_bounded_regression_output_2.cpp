// EXPECT: error "sanenet L7.1 bounded-regression-output:"
// Targets min-max scaled to [0, 1], so the output gets a Sigmoid; it cannot reach 0 or 1.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::Sigmoid>;

static_assert(sn::valid<Net>);

int main() {}
