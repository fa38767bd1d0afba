// EXPECT: clean
// Control, registered WILL_FAIL: a plain C++ error, so the harness must refuse "clean".
int main() { return undeclared_variable; }
