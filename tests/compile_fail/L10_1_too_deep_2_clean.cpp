// EXPECT: clean
// Twin of L10_1_too_deep_2.cpp: eight Dense layers, 64 units (over 5 per class), Dropout before each hidden Dense.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<64>,
                        sn::Dropout<0.9>, sn::Dense<64>, sn::Tanh, sn::Dropout<0.9>, sn::Dense<64>, sn::Tanh,
                        sn::Dropout<0.9>, sn::Dense<64>, sn::Tanh, sn::Dropout<0.9>, sn::Dense<64>, sn::Tanh,
                        sn::Dropout<0.9>, sn::Dense<64>, sn::Tanh, sn::Dropout<0.9>, sn::Dense<64>, sn::Tanh,
                        sn::Dropout<0.9>, sn::Dense<64>, sn::Tanh,
                        sn::Dense<10>, sn::Softmax>;

int main() {
    Net net{sn::Seed{7}};
    (void)net;
}
