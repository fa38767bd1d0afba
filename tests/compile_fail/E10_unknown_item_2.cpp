// EXPECT: error "sanenet E10 unknown-item:"
// A waiver tag put in the list bare, without sn::Allow<...> around it.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::lint::BoundedRegressionOutput, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::ReLU>;

static_assert(sn::valid<Net>);

int main() {}
