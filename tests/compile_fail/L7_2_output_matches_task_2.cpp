// EXPECT: error "sanenet L7.2 output-matches-task:"
// Binary ending in Softmax: over a single unit it always outputs 1.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Binary, sn::Input<30>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::Softmax>;

static_assert(sn::valid<Net>);

int main() {}
