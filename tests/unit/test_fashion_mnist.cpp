// fashion_mnist: the real data set from dataset-fashion-mnist (checked against values read
// independently), limits, and bad directories.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

const fs::path real_dir = "/usr/share/datasets/fashion-mnist";

// A plain (not gzipped) IDX ubyte file.
void write_idx(const fs::path& p, const std::vector<std::uint32_t>& dims, const bytes& data) {
    bytes b = idx_header(0x08, dims);
    b.insert(b.end(), data.begin(), data.end());
    write_file(p, b);
}

bytes pixels(std::size_t images, std::size_t rows = 28, std::size_t cols = 28) {
    bytes out(images * rows * cols);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<unsigned char>(i % 256);
    return out;
}

std::string io_error_of(const fs::path& dir, std::string_view split = "train") {
    return message_of<sn::io_error>([&] { (void)sn::data::fashion_mnist(dir, split); }, "fashion_mnist accepted " + dir.string());
}

#if SANENET_WITH_ZLIB
void check_real_split(const sn::data::Dataset& d, std::size_t n) {
    REQUIRE(d.x.shape()[0] == n);
    REQUIRE(d.x.shape()[1] == 784);
    REQUIRE(d.y.shape()[0] == n);
    float lo = d.x.data()[0], hi = lo;
    bool integral = true;
    for (std::size_t i = 0; i < d.x.size(); ++i) {
        const float v = d.x.data()[i];
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        integral = integral && v == static_cast<float>(static_cast<int>(v));
    }
    // Raw, unscaled pixels: normalizing is the user's job.
    CHECK(lo == 0.0f);
    CHECK(hi == 255.0f);
    CHECK(integral);
    std::array<std::size_t, 10> per_class{};
    bool labels_in_range = true;
    for (std::size_t i = 0; i < n; ++i) {
        const auto label = d.y(i);
        labels_in_range = labels_in_range && label >= 0 && label <= 9;
        if (label >= 0 && label <= 9) ++per_class[static_cast<std::size_t>(label)];
    }
    CHECK(labels_in_range);
    for (std::size_t k = 0; k < 10; ++k) {
        INFO("class " << k);
        CHECK(per_class[k] == n / 10);
    }
}

// The data set's own values, read with Python's gzip module (not sanenet's inflate): the first
// twelve labels, the sum of every pixel and of the first image's, six pixels of the first image.
struct known_split {
    std::array<std::int32_t, 12> first_labels;
    double pixel_sum, first_image_sum;
    std::array<float, 6> first_image_300;
};
const known_split known_train{{9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9}, 3431114169.0, 76247.0, {210, 211, 213, 223, 220, 243}};
const known_split known_t10k{{9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5}, 573469082.0, 33456.0, {157, 166, 135, 154, 168, 140}};

void check_known_values(const sn::data::Dataset& d, const known_split& k) {
    for (std::size_t i = 0; i < k.first_labels.size(); ++i) {
        INFO("label " << i);
        CHECK(d.y(i) == k.first_labels[i]);
    }
    double all = 0.0, first = 0.0;
    for (std::size_t i = 0; i < d.x.size(); ++i) all += d.x.data()[i];
    for (std::size_t i = 0; i < 784; ++i) first += d.x.data()[i];
    CHECK(all == k.pixel_sum);
    CHECK(first == k.first_image_sum);
    for (std::size_t i = 0; i < k.first_image_300.size(); ++i) CHECK(d.x(0, 300 + i) == k.first_image_300[i]);
}
#endif

}  // namespace

TEST_CASE("fashion_mnist_classes names the ten classes in label order") {
    CHECK(sn::data::fashion_mnist_classes.size() == 10);
    CHECK(sn::data::fashion_mnist_classes[0] == "T-shirt/top");
    CHECK(sn::data::fashion_mnist_classes[5] == "Sandal");
    CHECK(sn::data::fashion_mnist_classes[9] == "Ankle boot");
}

TEST_CASE("fashion_mnist rejects an unknown split, naming the valid ones") {
    try {
        (void)sn::data::fashion_mnist(real_dir, "test");
        FAIL("fashion_mnist accepted split 'test'");
    } catch (const sn::argument_error& e) {
        const std::string msg = e.what();
        CHECK(contains(msg, "'test'"));
        CHECK(contains(msg, "\"train\""));
        CHECK(contains(msg, "\"t10k\""));
    }
}

TEST_CASE("fashion_mnist names the paths it tried and the package to install") {
    temp_dir dir;
    const auto msg = io_error_of(dir.path / "absent");
    CHECK(contains(msg, (dir.path / "absent" / "train-images-idx3-ubyte").string()));
    CHECK(contains(msg, (dir.path / "absent" / "train-images-idx3-ubyte.gz").string()));
    CHECK(contains(msg, "apt-get install dataset-fashion-mnist"));
}

TEST_CASE("fashion_mnist reads plain IDX files and checks them") {
    temp_dir dir;
    const fs::path images = dir.path / "t10k-images-idx3-ubyte";
    const fs::path labels = dir.path / "t10k-labels-idx1-ubyte";
    SUBCASE("a valid small split, with and without a limit") {
        write_idx(images, {3, 28, 28}, pixels(3));
        write_idx(labels, {3}, {4, 0, 9});
        const auto d = sn::data::fashion_mnist(dir.path, "t10k");
        REQUIRE(d.x.shape()[0] == 3);
        REQUIRE(d.x.shape()[1] == 784);
        CHECK(d.x(0, 255) == 255.0f);
        CHECK(d.x(2, 783) == static_cast<float>((2 * 784 + 783) % 256));
        CHECK(d.y(0) == 4);
        CHECK(d.y(2) == 9);
        const auto two = sn::data::fashion_mnist(dir.path, "t10k", 2);
        CHECK(two.x.shape()[0] == 2);
        CHECK(two.y.shape()[0] == 2);
        CHECK(two.x(1, 10) == d.x(1, 10));
        CHECK(sn::data::fashion_mnist(dir.path, "t10k", 50).x.shape()[0] == 3);
    }
    SUBCASE("image count differs from label count") {
        write_idx(images, {3, 28, 28}, pixels(3));
        write_idx(labels, {2}, {1, 2});
        const auto msg = io_error_of(dir.path, "t10k");
        CHECK(contains(msg, images.string()));
        CHECK(contains(msg, "3 images"));
        CHECK(contains(msg, "2 labels"));
    }
    SUBCASE("images that are not 28 x 28") {
        write_idx(images, {2, 27, 28}, pixels(2, 27, 28));
        write_idx(labels, {2}, {1, 2});
        const auto msg = io_error_of(dir.path, "t10k");
        CHECK(contains(msg, images.string()));
        CHECK(contains(msg, "expected N x 28 x 28"));
        CHECK(contains(msg, "2 x 27 x 28"));
    }
    SUBCASE("a label outside 0..9") {
        write_idx(images, {3, 28, 28}, pixels(3));
        write_idx(labels, {3}, {1, 2, 10});
        const auto msg = io_error_of(dir.path, "t10k");
        CHECK(contains(msg, labels.string()));
        CHECK(contains(msg, "label 10 of sample 2"));
        CHECK(contains(msg, "outside 0..9"));
    }
    SUBCASE("a label file with two dimensions") {
        write_idx(images, {2, 28, 28}, pixels(2));
        write_idx(labels, {2, 1}, {1, 2});
        const auto msg = io_error_of(dir.path, "t10k");
        CHECK(contains(msg, labels.string()));
        CHECK(contains(msg, "1-dimensional"));
    }
    SUBCASE("a corrupt image file is an IDX error naming it") {
        write_idx(images, {3, 28, 28}, pixels(2));
        write_idx(labels, {3}, {1, 2, 3});
        const auto msg = io_error_of(dir.path, "t10k");
        CHECK(contains(msg, images.string()));
        CHECK(contains(msg, "expected 2352 bytes of data after the 16-byte header, found 1568"));
    }
}

#if SANENET_WITH_ZLIB

TEST_CASE("fashion_mnist train: the real 60000 x 784 raw pixels, 6000 per class, the data set's own values") {
    const auto d = sn::data::fashion_mnist();
    check_real_split(d, 60000);
    check_known_values(d, known_train);
}

TEST_CASE("fashion_mnist t10k: 10000 samples, 1000 per class, and limit keeps the first ones") {
    const auto d = sn::data::fashion_mnist(real_dir, "t10k");
    check_real_split(d, 10000);
    check_known_values(d, known_t10k);
    const auto first = sn::data::fashion_mnist(real_dir, "t10k", 100);
    REQUIRE(first.x.shape()[0] == 100);
    REQUIRE(first.y.shape()[0] == 100);
    bool same = true;
    for (std::size_t i = 0; i < 100; ++i) {
        same = same && first.y(i) == d.y(i);
        for (std::size_t j = 0; j < 784; ++j) same = same && first.x(i, j) == d.x(i, j);
    }
    CHECK(same);
}

#else

TEST_CASE("fashion_mnist without zlib says how to read the .gz files") {
    const auto msg = io_error_of(real_dir, "t10k");
    CHECK(contains(msg, "-lz"));
    CHECK(contains(msg, "gunzip"));
}

#endif
