// EXPECT: clean
// Twin of predict_one_wrong_size.cpp: arrays of the network's sizes take the noexcept overload,
// a wrongly sized std::vector compiles (its size is checked at run time).
#include <sanenet/sanenet.hpp>

#include <array>
#include <vector>

namespace sn = sanenet;

using Net = sn::Network<sn::Regression, sn::Input<3>, sn::Dropout<0.9>, sn::Dense<32, sn::He>, sn::ReLU, sn::Dense<2>,
                        sn::Identity>;

int main() {
    const Net net;
    const std::array<float, 3> in{};
    std::array<float, 2> out{};
    static_assert(noexcept(net.predict_one(in, out)));
    net.predict_one(in, out);
    std::vector<float> four(4), two(2);
    try {
        net.predict_one(four, two);
    } catch (const sn::shape_error&) {
    }
}
