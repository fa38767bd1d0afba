// Consumer smoke program of the compiled mode (sanenet::compiled): a network built, run and
// described through functions that only the compiled library defines.
#include <sanenet/sanenet.hpp>

#include <cmath>
#include <cstdio>

namespace sn = sanenet;

int main() {
    using Net =
        sn::Network<sn::Regression, sn::Input<2>, sn::Dropout<0.9>, sn::Dense<8, sn::He>, sn::ELU, sn::Dense<1>, sn::Identity>;
    const Net net{sn::Seed{1}};
    const float in[2] = {0.5f, -1.f};
    float out[1];
    net.predict_one(in, out);
    if (!std::isfinite(out[0]) || net.summary().empty()) return 1;
    std::printf("sanenet %d.%d.%d\n", sn::version_major, sn::version_minor, sn::version_patch);
    return 0;
}
