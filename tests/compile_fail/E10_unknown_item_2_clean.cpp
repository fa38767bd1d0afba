// EXPECT: clean
// Twin of E10_unknown_item_2.cpp: the tag is wrapped in sn::Allow<...>.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Allow<sn::lint::BoundedRegressionOutput>, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::ReLU>;

static_assert(sn::valid<Net>);

int main() {}
