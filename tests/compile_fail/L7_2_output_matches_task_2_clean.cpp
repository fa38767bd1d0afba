// EXPECT: clean
// Twin of L7_2_output_matches_task_2.cpp: Binary ends in Sigmoid.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Binary, sn::Input<30>,
                        sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                        sn::Dense<1>, sn::Sigmoid>;

static_assert(sn::valid<Net>);

int main() {}
