// EXPECT: warning "sanenet L10.1 too-deep:"
// Three warnings at once (too deep, no regularization, too narrow): the one message names all three IDs.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<64>,
                        sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh,
                        sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh,
                        sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net{sn::Seed{7}};
    (void)net;
}
