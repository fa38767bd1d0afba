// Consumer smoke program: the umbrella header compiles and the version is reachable.
#include <sanenet/sanenet.hpp>

#include <cstdio>

int main() {
    std::printf("sanenet %d.%d.%d\n", sanenet::version_major, sanenet::version_minor, sanenet::version_patch);
    return 0;
}
