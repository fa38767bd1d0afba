// Fashion-MNIST loader over the Debian package dataset-fashion-mnist: fashion_mnist (a data::Dataset) and the class names.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/format.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/data/dataset.hpp>
#include <sanenet/data/idx.hpp>

#include <array>
#include <cstddef>
#include <filesystem>
#include <string_view>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>
#endif

namespace sanenet::inline SANENET_ABI::data {

inline constexpr std::array<std::string_view, 10> fashion_mnist_classes = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

// Loads split "train" (60000 samples) or "t10k" (10000): x is N x 784 raw pixels in 0..255
// (normalizing is the caller's job), y the labels 0..9. limit > 0 keeps the first `limit` samples.
SANENET_INLINE Dataset fashion_mnist(const std::filesystem::path& dir = "/usr/share/datasets/fashion-mnist",
                                     std::string_view split = "train", std::size_t limit = 0);

}  // namespace sanenet::data

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::data {

namespace detail {
SANENET_INLINE std::filesystem::path find_fashion_mnist_file(const std::filesystem::path& dir, const std::string& name) {
    const std::filesystem::path plain = dir / name;
    const std::filesystem::path gz = dir / (name + ".gz");
    std::error_code ec;
    if (std::filesystem::exists(plain, ec)) return plain;
    if (std::filesystem::exists(gz, ec)) return gz;
    throw io_error("Fashion-MNIST file not found: tried " + quoted(plain) + " and " + quoted(gz) +
                   ". Fix: apt-get install dataset-fashion-mnist, or pass the directory that holds the files");
}

}  // namespace detail

SANENET_INLINE Dataset fashion_mnist(const std::filesystem::path& dir, std::string_view split, std::size_t limit) {
    if (split != "train" && split != "t10k")
        throw argument_error("fashion_mnist split '" + std::string(split) + "' is not valid: expected \"train\" or \"t10k\"");
    const std::string prefix(split);
    const auto images =
        detail::read_idx(detail::find_fashion_mnist_file(dir, prefix + "-images-idx3-ubyte"), IdxOptions{}.max_bytes);
    const auto labels =
        detail::read_idx(detail::find_fashion_mnist_file(dir, prefix + "-labels-idx1-ubyte"), IdxOptions{}.max_bytes);

    if (images.shape.size() != 3 || images.shape[1] != 28 || images.shape[2] != 28) {
        std::string shape;
        for (auto d : images.shape) shape += (shape.empty() ? "" : " x ") + std::to_string(d);
        throw io_error("Fashion-MNIST images " + detail::quoted(images.path) + ": expected N x 28 x 28 images, found shape " +
                       shape);
    }
    if (labels.shape.size() != 1)
        throw io_error("Fashion-MNIST labels " + detail::quoted(labels.path) + ": expected a 1-dimensional label file, found " +
                       std::to_string(labels.shape.size()) + " dimensions");
    if (images.shape[0] != labels.shape[0])
        throw io_error("Fashion-MNIST " + prefix + " split: " + detail::quoted(images.path) + " has " +
                       std::to_string(images.shape[0]) + " images but " + detail::quoted(labels.path) + " has " +
                       std::to_string(labels.shape[0]) + " labels: expected the same count");

    const std::size_t n = limit == 0 ? images.shape[0] : std::min(limit, images.shape[0]);
    constexpr std::size_t pixels = 28 * 28;
    Dataset d;
    d.x = sanenet::matrix::from_shape({n, pixels});
    images.to_float(d.x.data(), 0, n * pixels);

    auto raw = xt::xtensor<float, 1>::from_shape({n});
    labels.to_float(raw.data(), 0, n);
    d.y = sanenet::labels::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) {
        const float v = raw(i);
        if (!(v >= 0.0f && v <= 9.0f) || v != static_cast<float>(static_cast<std::int32_t>(v)))
            throw io_error("Fashion-MNIST labels " + detail::quoted(labels.path) + ": label " +
                           sanenet::detail::format_shortest(v) + " of sample " + std::to_string(i) + " (element at byte " +
                           std::to_string(labels.header_size + i * detail::idx_element_size(labels.type)) +
                           ") is outside 0..9: expected an integer class index 0..9");
        d.y(i) = static_cast<std::int32_t>(v);
    }
    return d;
}

}  // namespace sanenet::data
#endif  // SANENET_DEFINITIONS
