// EXPECT: clean
// Twin of L4_2_keep_reads_as_drop_rate.cpp: the keep probability, 0.9.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
