// EXPECT: clean
// Twin of E13_task_outputs_2.cpp: four labels.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

constexpr int labels = 4;
using Net = sn::Network<sn::MultiLabel<labels>, sn::Input<8>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<4>, sn::Sigmoid>;

static_assert(sn::valid<Net>);

int main() {}
