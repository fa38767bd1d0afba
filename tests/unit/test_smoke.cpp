// The umbrella header compiles and links, and its error vocabulary (core/errors.hpp).
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace sn = sanenet;

TEST_CASE("the umbrella header exposes the version and the error types") {
    CHECK(sn::version_major == SANENET_VERSION_MAJOR);
    CHECK(sn::version_minor == SANENET_VERSION_MINOR);
    CHECK(std::string(sn::shape_error("width 3, expected 4").what()) == "sanenet: width 3, expected 4");
    CHECK(sn::lint_error("L1.1", "x").id() == "L1.1");
}

// Every error is one sn::error, and also the standard exception that says what kind of mistake
// it is, with the same message through either.
template <class E, class Std>
void check_error(const E& thrown, const std::string& message) {
    static_assert(std::is_base_of_v<sn::error, E> && std::is_base_of_v<Std, E>);
    try {
        throw thrown;
    } catch (const sn::error& e) {
        CHECK(std::string(e.what()) == message);
    }
    try {
        throw thrown;
    } catch (const Std& e) {
        CHECK(std::string(e.what()) == message);
    }
}

TEST_CASE("every error type is an sn::error and a standard exception, with one message") {
    check_error<sn::argument_error, std::invalid_argument>(sn::argument_error("epochs is -1"), "sanenet: epochs is -1");
    check_error<sn::shape_error, std::invalid_argument>(sn::shape_error("width 3"), "sanenet: width 3");
    check_error<sn::io_error, std::runtime_error>(sn::io_error("cannot read 'a'"), "sanenet: cannot read 'a'");
    check_error<sn::simd_error, std::runtime_error>(sn::simd_error("avx512: haddp"), "sanenet: avx512: haddp");
    check_error<sn::lint_error, std::runtime_error>(sn::lint_error("L1.1", "L1.1 raw inputs"), "L1.1 raw inputs");
    check_error<sn::divergence_error, sn::lint_error>(sn::divergence_error("L6.1 diverged", {}), "L6.1 diverged");
}
