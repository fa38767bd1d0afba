// EXPECT: clean
// Twin of E2_dense_units.cpp: the hidden width is positive.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

constexpr int features = 20;
using Net = sn::Network<sn::Classification<10>, sn::Input<features>,
                        sn::Dropout<0.9>, sn::Dense<features * 4, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
