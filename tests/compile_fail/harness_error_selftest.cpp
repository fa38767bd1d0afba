// EXPECT: error "compile_check selftest: first error"
// Harness self-test, independent of the library: the first error carries the expected text.
static_assert(sizeof(char) == 0, "compile_check selftest: first error");

int main() {}
