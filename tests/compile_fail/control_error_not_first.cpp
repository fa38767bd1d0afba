// EXPECT: error "sanenet E2 "
// Control, wrong on purpose: the expected text is in the SECOND error only, so the
// harness must report that the first error line does not match.
static_assert(sizeof(char) == 0, "an unrelated first error");
static_assert(sizeof(char) == 0, "sanenet E2 appears too late");

int main() {}
