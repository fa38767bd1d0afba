// EXPECT: error "sanenet E2 dense-units:"
// A hidden width computed by integer division comes out as 0: Dense<0> as the third layer.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

constexpr int features = 20;
using Net = sn::Network<sn::Classification<10>, sn::Input<features>,
                        sn::Dropout<0.9>, sn::Dense<features / 32, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
