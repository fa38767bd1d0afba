// EXPECT: error "sanenet E11 noise-stddev-range:"
// A standard deviation that is not finite.
#include <sanenet/sanenet.hpp>

#include <limits>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<8>,
                        sn::GaussianNoise<std::numeric_limits<double>::infinity()>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::Identity>;

static_assert(sn::valid<Net>);

int main() {}
