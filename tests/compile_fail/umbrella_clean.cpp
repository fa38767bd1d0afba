// EXPECT: clean
// The umbrella header on its own compiles without a single sanenet warning.
#include <sanenet/sanenet.hpp>

int main() {}
