// EXPECT: warning "sanenet selftest"
// Control, wrong on purpose: the text appears in a warning, but not in a deprecation,
// so the file still compiles with -Werror=deprecated-declarations and the harness must say so.
#pragma GCC warning "sanenet selftest: not a deprecation"

int main() {}
