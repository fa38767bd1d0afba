// EXPECT: clean
// Control, wrong on purpose: a warning that mentions sanenet, so "clean" must be refused.
[[deprecated("sanenet selftest: a warning that mentions the library")]] inline int old_api() { return 0; }

int main() { return old_api(); }
