// EXPECT: clean
// Twin of E3_dropout_keep_range_2.cpp: Keep = 1, the upper end of (0, 1], is accepted.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dense<128, sn::He>, sn::ReLU, sn::Dropout<1.0>,
                        sn::Dense<10>, sn::Softmax>;

static_assert(sn::valid<Net>);

int main() {}
