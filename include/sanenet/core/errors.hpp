// The exceptions sanenet throws: every message names what was found and what was expected.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace sanenet {

// Data or an argument has the wrong shape (width, row count, label range).
class shape_error : public std::invalid_argument {
public:
    explicit shape_error(const std::string& what) : std::invalid_argument("sanenet: " + what) {}
};

// A file could not be read or written, or its content is malformed.
class io_error : public std::runtime_error {
public:
    explicit io_error(const std::string& what) : std::runtime_error("sanenet: " + what) {}
};

// An error-level lint found at run time; id() is the catalogue ID such as "L1.1".
class lint_error : public std::runtime_error {
public:
    lint_error(std::string id, const std::string& message)
        : std::runtime_error(message), id_(std::move(id)) {}
    const std::string& id() const noexcept { return id_; }

private:
    std::string id_;
};

// A SIMD primitive disagreed with scalar code in the first-use self-check
// (kernels/self_check.hpp): this build would compute wrong numbers on this CPU.
class simd_error : public std::runtime_error {
public:
    explicit simd_error(const std::string& what) : std::runtime_error("sanenet: " + what) {}
};

}  // namespace sanenet
