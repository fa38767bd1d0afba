// EXPECT: error "sanenet E12 unknown-waiver:"
// An attempt to waive structural rule E6 for a hidden Sigmoid by naming the layer in sn::Allow.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Allow<sn::Sigmoid>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128>, sn::Sigmoid,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
