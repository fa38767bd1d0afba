// A tour of what sanenet rejects at compile time. As written, this program compiles and
// prints the three fixed networks. Build it with -DSANENET_TOUR=1, 2 or 3 to put one of
// Holden's mistakes back and see the compiler refuse it:
//   1  a ReLU on the output of a regression network (article item 7, lint L7.1)
//   2  weights initialized to zero (article item 9, lint L9.1)
//   3  Dropout<0.1> meant as a drop rate (article item 4, lint L4.2)
// tests/compile_fail/tour_*.cpp compile exactly that, and the README shows their output.
#include <sanenet/sanenet.hpp>

#include <cstdio>

namespace sn = sanenet;

#ifndef SANENET_TOUR
#define SANENET_TOUR 0
#endif

// 1. Regression of joint positions: the targets are standardized, so about half are negative.
#if SANENET_TOUR == 1
using Motion = sn::Network<sn::Regression, sn::Input<48>, sn::Dropout<0.9>, sn::Dense<256>, sn::ELU, sn::Dense<12>,
                           sn::ReLU>;  // mistake: a ReLU output never goes below 0
#else
using Motion = sn::Network<sn::Regression, sn::Input<48>, sn::Dropout<0.9>, sn::Dense<256>, sn::ELU, sn::Dense<12>, sn::Identity>;
#endif

// 2. A digit classifier.
#if SANENET_TOUR == 2
using Digits = sn::Network<sn::Classification<10>, sn::Input<64>, sn::Dropout<0.9>, sn::Dense<256, sn::Zeros>,
                           sn::ReLU,  // mistake: all units identical forever
                           sn::Dense<10>, sn::Softmax>;
#else
using Digits = sn::Network<sn::Classification<10>, sn::Input<64>, sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                           sn::Dense<10>, sn::Softmax>;
#endif

// 3. A model ported from Keras, where Dropout(0.1) drops 10% of the units.
#if SANENET_TOUR == 3
using Ported = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.1>, sn::Dense<512, sn::He>,
                           sn::ReLU,  // mistake: sanenet takes the KEEP probability
                           sn::Dense<10>, sn::Softmax>;
#else
using Ported = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.9>, sn::Dense<512, sn::He>, sn::ReLU,
                           sn::Dense<10>, sn::Softmax>;
#endif

static_assert(sn::valid<Motion> && sn::valid<Digits> && sn::valid<Ported>);

int main() { std::printf("%s\n%s\n%s", Motion{}.summary().c_str(), Digits{}.summary().c_str(), Ported{}.summary().c_str()); }
