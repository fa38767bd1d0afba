// EXPECT: error "sanenet E3 dropout-keep-range:"
// A keep probability above 1.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dense<128, sn::He>, sn::ReLU, sn::Dropout<1.5>,
                        sn::Dense<10>, sn::Softmax>;

static_assert(sn::valid<Net>);

int main() {}
