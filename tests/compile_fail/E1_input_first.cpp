// EXPECT: error "sanenet E1 input-first:"
// No Input at all: the list starts with the first Dense.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>,
                        sn::Dense<128, sn::He>, sn::ReLU, sn::Dropout<0.9>,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net;
    (void)net;
}
