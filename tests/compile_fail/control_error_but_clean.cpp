// EXPECT: error "sanenet E2 "
// Control, registered WILL_FAIL: valid C++ that does not even include sanenet, so the
// harness must report that the expected error never came.
int main() { return 0; }
