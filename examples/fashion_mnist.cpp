// CTEST_ARGS: --quick
// The demo: the DESIGN.md MLP (784-256-128-10, dropout keep 0.9, He init, Adam) trained on
// the real Fashion-MNIST, with the inputs standardized on the training split (article item 1)
// and a validation split held out (article item 2), which also decides the weights kept:
// early stopping restores the best epoch's, and the learning rate anneals along a cosine
// (docs/training.md). Last, the accuracy of its bf16 quantization (sn::quantize). `make demo`
// runs it; --quick trains on a subset for CI.
#include <sanenet/sanenet.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <vector>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;
static_assert(sn::valid<Net>);

int main(int argc, char** argv) {
    bool quick = false;
    int epochs = 20, threads = 0;
    unsigned long seed = 1;
    float lr = 1e-3f;
    for (int i = 1; i < argc; ++i) {
        const bool has_value = i + 1 < argc;
        if (std::strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (std::strcmp(argv[i], "--epochs") == 0 && has_value)
            epochs = std::atoi(argv[++i]);
        else if (std::strcmp(argv[i], "--seed") == 0 && has_value)
            seed = std::strtoul(argv[++i], nullptr, 10);
        else if (std::strcmp(argv[i], "--lr") == 0 && has_value)
            lr = std::strtof(argv[++i], nullptr);
        else if (std::strcmp(argv[i], "--threads") == 0 && has_value)
            threads = std::atoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: %s [--quick] [--epochs N] [--seed S] [--lr RATE] [--threads T]\n", argv[0]);
            return 2;
        }
    }
    if (quick) epochs = 3;
    const auto start = std::chrono::steady_clock::now();

    const sn::data::Dataset all = sn::data::fashion_mnist("/usr/share/datasets/fashion-mnist", "train", quick ? 6000 : 0);
    const sn::data::Dataset test = sn::data::fashion_mnist("/usr/share/datasets/fashion-mnist", "t10k", quick ? 2000 : 0);
    const std::size_t n_train = all.size() - all.size() / 12;
    const sn::data::Dataset train = all.rows(0, n_train);
    const sn::data::Dataset val = all.rows(n_train, all.size());

    // Pixels are one group of features: one mean and one std for all 784, fitted on train only.
    std::vector<std::size_t> pixels(784);
    std::iota(pixels.begin(), pixels.end(), std::size_t{0});
    sn::Standardizer scaler;
    scaler.fit(train.x, {pixels});

    Net net{sn::Seed{seed}};
    std::printf("%s\n", net.summary().c_str());
    std::printf("training on %zu samples, validating on %zu (%s)\n", train.x.shape()[0], val.x.shape()[0],
                sn::build_info().c_str());

    const sn::History history = sn::fit(
        net, scaler.transform(train.x), train.y,
        sn::FitOptions{.epochs = epochs,
                       .batch_size = 32,
                       .optimizer = sn::Adam{.learning_rate = lr},
                       .validation = sn::Validation{scaler.transform(val.x), val.y},
                       .seed = seed,
                       .threads = threads,
                       .on_epoch =
                           [](const sn::EpochRecord& e) {
                               if (!sn::stderr_is_terminal())
                                   std::printf(
                                       "epoch %2d  loss %.4f  val_loss %.4f  val_accuracy %.4f  lr %.2e  %.0f samples/s\n",
                                       e.epoch, e.train_loss, *e.val_loss, *e.val_metric, e.learning_rate, e.samples_per_second);
                           },
                       .early_stopping = sn::EarlyStopping{.patience = 4},
                       .schedule = sn::CosineLR{}});

    const sn::matrix probabilities = net.predict(scaler.transform(test.x));
    const double acc = sn::accuracy(probabilities, test.y);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("\nconfusion matrix on the test set (rows: true class):\n%s",
                sn::confusion_matrix(probabilities, test.y)
                    .to_string({sn::data::fashion_mnist_classes.begin(), sn::data::fashion_mnist_classes.end()})
                    .c_str());
    std::printf("\ntest accuracy %.4f with the weights of epoch %d of %zu, %.1f s in all\n", acc, history.best_epoch,
                history.epochs.size(), seconds);

    // The deployment format with half the weight bytes (docs/deployment.md, "Reduced precision"):
    // its accuracy change on the same test set (lint L2.4 warns above 0.002).
    const sn::QuantizedNetwork bf16 =
        sn::quantize(net, sn::Precision::bf16, {.validation = sn::Validation{scaler.transform(test.x), test.y}});
    std::printf("bf16 weights: test accuracy %.4f (fp32 %.4f, change %+.4f)\n", bf16.validation_change()->reduced,
                bf16.validation_change()->fp32, bf16.validation_change()->change);

    const double target = quick ? 0.75 : 0.885;
    if (acc < target) {
        std::printf("below the expected %.3f\n", target);
        return 1;
    }
    return 0;
}
