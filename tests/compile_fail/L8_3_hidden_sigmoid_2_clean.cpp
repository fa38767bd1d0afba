// EXPECT: clean
// Twin of L8_3_hidden_sigmoid_2.cpp: no gate on the inputs; the output Sigmoid is not hidden.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Binary, sn::Input<16>,
                        sn::Dropout<0.9>, sn::Dense<64>, sn::ELU,
                        sn::Dense<1>, sn::Sigmoid>;

int main() {
    Net net{sn::Seed{3}};
    (void)net;
}
