// EXPECT: warning "sanenet L8.3 hidden-sigmoid:"
// A textbook MLP with Sigmoid hidden units: legal, but its units saturate and pass back little gradient.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<128>, sn::Sigmoid,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
