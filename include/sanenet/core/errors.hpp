// The exceptions sanenet throws: every message names what was found and what was expected.
// Each derives from sn::error, so `catch (const sn::error&)` takes them all, and from the
// standard exception that says what kind of mistake it is: argument and shape mistakes are
// std::invalid_argument, file and run-time problems std::runtime_error.
#pragma once

#include <sanenet/core/config.hpp>

#include <stdexcept>
#include <string>
#include <utility>

namespace sanenet::inline SANENET_ABI {

// The common base. what() is the message of the standard exception the error also is.
class error {
public:
    virtual ~error() = default;
    virtual const char* what() const noexcept = 0;

protected:
    error() = default;
    error(const error&) = default;
    error& operator=(const error&) = default;
};

namespace detail {
// An sn::error that is also a Std exception, with "sanenet: " before the message.
template <class Std>
class error_as : public Std, public error {
public:
    explicit error_as(const std::string& what) : Std("sanenet: " + what) {}
    const char* what() const noexcept override { return Std::what(); }
};
}  // namespace detail

// An argument or option out of its range (FitOptions, LrOptions, plot and loader arguments),
// or a call out of order (Standardizer::transform before fit).
class argument_error : public detail::error_as<std::invalid_argument> {
    using error_as::error_as;
};

// Data or an argument has the wrong shape (width, row count, label range).
class shape_error : public detail::error_as<std::invalid_argument> {
    using error_as::error_as;
};

// A file could not be read or written, or its content is malformed.
class io_error : public detail::error_as<std::runtime_error> {
    using error_as::error_as;
};

// A SIMD primitive disagreed with scalar code in the first-use self-check
// (kernels/self_check.hpp): this build would compute wrong numbers on this CPU.
class simd_error : public detail::error_as<std::runtime_error> {
    using error_as::error_as;
};

// An error-level lint found at run time; id() is the catalogue ID such as "L1.1". Its message
// is the lint's whole report, which starts with the ID, not with "sanenet: ".
class lint_error : public std::runtime_error, public error {
public:
    lint_error(std::string id, const std::string& message) : std::runtime_error(message), id_(std::move(id)) {}
    const char* what() const noexcept override { return std::runtime_error::what(); }
    const std::string& id() const noexcept { return id_; }

private:
    std::string id_;
};

}  // namespace sanenet
