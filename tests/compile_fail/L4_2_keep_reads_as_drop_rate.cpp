// EXPECT: error "sanenet L4.2 keep-reads-as-drop-rate:"
// Dropout(0.1) from a Keras model, where 0.1 is the drop rate: in sanenet it would keep only 10% of the units.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dropout<0.1>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
