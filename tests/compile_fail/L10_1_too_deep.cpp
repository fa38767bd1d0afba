// EXPECT: warning "sanenet L10.1 too-deep:"
// Nine Dense layers (eight hidden): past the article's starting range of 3-8.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
