// EXPECT: error "sanenet: predict_one: the input's type holds another number of values"
// An input array whose type says 4 values for a network of 3 inputs: refused at compile time
// (issue 15), not a shape_error at run time.
#include <sanenet/sanenet.hpp>

#include <array>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<3>, sn::Dropout<0.9>, sn::Dense<32, sn::He>, sn::ReLU, sn::Dense<2>,
                        sn::Identity>;

int main() {
    const Net net;
    const std::array<float, 4> in{};
    std::array<float, 2> out{};
    net.predict_one(in, out);
}
