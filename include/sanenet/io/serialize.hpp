// PLACEHOLDER while io is being written: save/load are not implemented yet.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/train/engine.hpp>

#include <filesystem>

namespace sanenet::detail {
inline void save_model(const model&, const std::filesystem::path&) { throw io_error("save: not implemented yet"); }
inline void load_model(model&, const std::filesystem::path&) { throw io_error("load: not implemented yet"); }
}  // namespace sanenet::detail
