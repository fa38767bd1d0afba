// EXPECT: warning "compile_check selftest: deprecated"
// Harness self-test, independent of the library: a deprecation warning on the user's line,
// the mechanism sanenet's warning lints use.
[[deprecated("compile_check selftest: deprecated")]] inline int old_api() { return 0; }

int main() { return old_api(); }
