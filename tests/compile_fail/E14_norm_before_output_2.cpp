// EXPECT: error "sanenet E14 norm-before-output:"
// A classifier whose logits are layer-normalized before the Softmax (behind a Dropout).
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>,
                        sn::Dense<128, sn::He>, sn::SiLU,
                        sn::Dense<10>, sn::LayerNorm, sn::Dropout<0.9>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
