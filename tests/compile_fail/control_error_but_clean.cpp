// EXPECT: error "sanenet E2 "
// Control, wrong on purpose: valid C++ that does not even include sanenet, so the
// harness must report that the expected error never came.
int main() { return 0; }
