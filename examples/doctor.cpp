// CTEST_ARGS: --quick
// The doctor on a deliberately broken Fashion-MNIST setup: raw 0-255 pixels (article item 1
// skipped) and a learning rate of 1.0 (item 6). Instead of training and wondering why the
// loss is NaN, ask sn::doctor what is wrong. The second run shows the fixed setup.
#include <sanenet/sanenet.hpp>

#include <cstdio>
#include <cstring>
#include <numeric>
#include <vector>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;
static_assert(sn::valid<Net>);

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const sn::data::Dataset all = sn::data::fashion_mnist("/usr/share/datasets/fashion-mnist", "train", quick ? 3000 : 12000);
    const std::size_t n_train = all.size() - all.size() / 6;
    const sn::data::Dataset train = all.rows(0, n_train), val = all.rows(n_train, all.size());
    Net net{sn::Seed{1}};

    std::printf("== the broken setup: raw pixels, learning rate 1.0 ==\n\n");
    const sn::Report broken =
        sn::doctor(net, train.x, train.y,
                   sn::FitOptions{.optimizer = sn::Adam{.learning_rate = 1.0f}, .validation = sn::Validation{val.x, val.y}});

    std::printf("\n== fixed: pixels standardized as one group, Adam at its usual 1e-3 ==\n\n");
    std::vector<std::size_t> pixels(784);
    std::iota(pixels.begin(), pixels.end(), std::size_t{0});
    sn::Standardizer scaler;
    scaler.fit(train.x, {pixels});
    const sn::matrix x = scaler.transform(train.x);
    const sn::Report fixed = sn::doctor(net, x, train.y,
                                        sn::FitOptions{.optimizer = sn::Adam{.learning_rate = 1e-3f},
                                                       .validation = sn::Validation{scaler.transform(val.x), val.y}});

    // The example checks itself: the doctor must catch both mistakes and clear the fix.
    const bool ok = broken.found("L1.1") && broken.found("L6.1") && fixed.healthy();
    std::printf("\n%s\n", ok ? "the doctor found both mistakes and cleared the fixed setup"
                             : "UNEXPECTED: the doctor missed a mistake or flagged the fixed setup");
    return ok ? 0 : 1;
}
