// EXPECT: clean
// Twin of L4_2_keep_reads_as_drop_rate.cpp: a deliberately heavy dropout on a very wide input, waived.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Allow<sn::lint::KeepReadsAsDropRate>, sn::Input<784>,
                        sn::Dropout<0.3>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
