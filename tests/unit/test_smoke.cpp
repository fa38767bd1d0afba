// Placeholder until the per-header tests land: the umbrella header compiles and links.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include <string>

namespace sn = sanenet;

TEST_CASE("the umbrella header exposes the version and the error types") {
    CHECK(sn::version_major == SANENET_VERSION_MAJOR);
    CHECK(sn::version_minor == SANENET_VERSION_MINOR);
    CHECK(std::string(sn::shape_error("width 3, expected 4").what()) == "sanenet: width 3, expected 4");
    CHECK(sn::lint_error("L1.1", "x").id() == "L1.1");
}
