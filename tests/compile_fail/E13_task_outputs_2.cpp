// EXPECT: error "sanenet E13 task-outputs:"
// MultiLabel<0>: the number of labels came out as zero.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

constexpr int labels = 0;
using Net = sn::Network<sn::MultiLabel<labels>, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<4>, sn::Sigmoid>;

static_assert(sn::valid<Net>);

int main() {}
