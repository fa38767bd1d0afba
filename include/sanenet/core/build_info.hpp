// sn::build_info(): the version, the SIMD architecture the kernels were compiled for and
// the thread count, so that a slow build (no -march flags) is visible, not silent.
#pragma once

#include <sanenet/core/config.hpp>
#include <sanenet/kernels/simd.hpp>
#include <sanenet/kernels/thread_pool.hpp>

#include <string>

namespace sanenet {

inline std::string build_info() {
    std::string s = "sanenet " + std::to_string(version_major) + "." + std::to_string(version_minor) + "." +
                    std::to_string(version_patch) + ", kernels " + kernels::arch_name() + " (" +
                    std::to_string(kernels::width) + " floats per vector), " +
                    std::to_string(kernels::thread_pool::instance().max_threads()) + " threads";
#if defined(__OPTIMIZE__)
    return s;
#else
    return s + ", built without optimization (-O2 makes it ~10x faster)";
#endif
}

}  // namespace sanenet
