// EXPECT: clean
// Control, wrong on purpose: a plain C++ error, so the harness must refuse "clean".
int main() { return undeclared_variable; }
