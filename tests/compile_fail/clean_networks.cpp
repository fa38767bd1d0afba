// EXPECT: clean
// Ordinary, sensible networks (every task, depths 3-8 Dense layers, widths 16-1024, every
// activation and initializer) must compile without a single sanenet warning: a lint that
// fires here is a false positive, and a bug.
#include <sanenet/sanenet.hpp>

namespace sn = sanenet;

// The DESIGN.md MLP.
using FashionMlp = sn::Network<sn::Classification<10>, sn::Input<784>,
                               sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                               sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU,
                               sn::Dense<10>, sn::Softmax>;
// The pitch's regression net.
using Pitch = sn::Network<sn::Regression, sn::Input<8>,
                          sn::Dropout<0.9>, sn::Dense<256, sn::LeCun>, sn::ELU,
                          sn::Dense<3>, sn::Identity>;
// Wide and shallow: 1024 units, three Dense layers.
using Wide = sn::Network<sn::Classification<100>, sn::Input<3072>,
                         sn::Dropout<0.8>, sn::Dense<1024, sn::He>, sn::ReLU,
                         sn::Dropout<0.8>, sn::Dense<1024, sn::He>, sn::ReLU,
                         sn::Dense<100>, sn::Softmax>;
// Eight Dense layers, the top of the article's range, LeakyReLU.
using Deep8 = sn::Network<sn::Classification<10>, sn::Input<64>,
                          sn::Dropout<0.9>, sn::Dense<256, sn::HeUniform>, sn::LeakyReLU,
                          sn::Dropout<0.9>, sn::Dense<256, sn::HeUniform>, sn::LeakyReLU,
                          sn::Dropout<0.9>, sn::Dense<256, sn::HeUniform>, sn::LeakyReLU,
                          sn::Dropout<0.9>, sn::Dense<256, sn::HeUniform>, sn::LeakyReLU,
                          sn::Dropout<0.9>, sn::Dense<256, sn::HeUniform>, sn::LeakyReLU,
                          sn::Dropout<0.9>, sn::Dense<256, sn::HeUniform>, sn::LeakyReLU,
                          sn::Dropout<0.9>, sn::Dense<256, sn::HeUniform>, sn::LeakyReLU,
                          sn::Dense<10>, sn::Softmax>;
// A small binary classifier: 16 units are plenty for one output.
using TinyBinary = sn::Network<sn::Binary, sn::Input<4>,
                               sn::Dropout<0.9>, sn::Dense<16, sn::He>, sn::ReLU,
                               sn::Dropout<0.9>, sn::Dense<16, sn::He>, sn::ReLU,
                               sn::Dense<1>, sn::Sigmoid>;
// Multi-label tagging with Tanh and Xavier.
using Tags = sn::Network<sn::MultiLabel<20>, sn::Input<300>,
                         sn::Dropout<0.85>, sn::Dense<512, sn::Xavier>, sn::Tanh,
                         sn::Dropout<0.85>, sn::Dense<256, sn::XavierUniform>, sn::Tanh,
                         sn::Dense<20>, sn::Sigmoid>;
// Input noise instead of input dropout, ELU with LeCun.
using Noisy = sn::Network<sn::Regression, sn::Input<12>,
                          sn::GaussianNoise<0.1>, sn::Dense<64, sn::LeCun>, sn::ELU,
                          sn::Dropout<0.9>, sn::Dense<64, sn::LeCunUniform>, sn::ELU,
                          sn::Dense<4>, sn::Identity>;
// Character animation: pose in a local frame to joint rotations (article item 3).
using Animation = sn::Network<sn::Regression, sn::Input<93>,
                              sn::Dropout<0.8>, sn::Dense<512>, sn::ELU,
                              sn::Dropout<0.8>, sn::Dense<512>, sn::ELU,
                              sn::Dropout<0.8>, sn::Dense<512>, sn::ELU,
                              sn::Dense<124>, sn::Identity>;
// Chosen activation constants.
using Custom = sn::Network<sn::Classification<3>, sn::Input<2>,
                           sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::LeakyReLUWith<0.1>,
                           sn::Dropout<0.9>, sn::Dense<64>, sn::ELUWith<0.5>,
                           sn::Dense<3>, sn::Softmax>;
// Keep 0.75, the bottom of the article's range.
using Keep75 = sn::Network<sn::Classification<10>, sn::Input<784>,
                           sn::Dropout<0.75>, sn::Dense<512, sn::He>, sn::ReLU,
                           sn::Dropout<0.75>, sn::Dense<512, sn::He>, sn::ReLU,
                           sn::Dense<10>, sn::Softmax>;
// Four Dense layers, mixed activations.
using Mixed = sn::Network<sn::Classification<5>, sn::Input<40>,
                          sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU,
                          sn::Dropout<0.9>, sn::Dense<128>, sn::ELU,
                          sn::Dropout<0.9>, sn::Dense<64>, sn::Tanh,
                          sn::Dense<5>, sn::Softmax>;
// Regression with more outputs than inputs; widths at 2x the outputs.
using ManyOutputs = sn::Network<sn::Regression, sn::Input<6>,
                                sn::Dropout<0.9>, sn::Dense<64>, sn::ELU,
                                sn::Dropout<0.9>, sn::Dense<64>, sn::ELU,
                                sn::Dense<32>, sn::Identity>;
// Sensor fusion on a microcontroller: two outputs, 16 units.
using Embedded = sn::Network<sn::Regression, sn::Input<6>,
                             sn::Dropout<0.9>, sn::Dense<16>, sn::Tanh,
                             sn::Dropout<0.9>, sn::Dense<16>, sn::Tanh,
                             sn::Dense<2>, sn::Identity>;
// Six Dense layers, ELU, Xavier.
using Deep6 = sn::Network<sn::Regression, sn::Input<20>,
                          sn::Dropout<0.9>, sn::Dense<256, sn::Xavier>, sn::ELU,
                          sn::Dropout<0.9>, sn::Dense<256, sn::Xavier>, sn::ELU,
                          sn::Dropout<0.9>, sn::Dense<256, sn::Xavier>, sn::ELU,
                          sn::Dropout<0.9>, sn::Dense<256, sn::Xavier>, sn::ELU,
                          sn::Dropout<0.9>, sn::Dense<256, sn::Xavier>, sn::ELU,
                          sn::Dense<1>, sn::Identity>;
// A waiver placed anywhere else in the list (documented place: after the task) changes nothing else.
using Binary3 = sn::Network<sn::Binary, sn::Input<30>,
                            sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU,
                            sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                            sn::Dense<1>, sn::Sigmoid>;
// Classification of 2 classes with Softmax: 10 units would do, 32 are used.
using TwoClass = sn::Network<sn::Classification<2>, sn::Input<10>,
                             sn::GaussianNoise<0.05>, sn::Dense<32, sn::He>, sn::ReLU,
                             sn::Dropout<0.9>, sn::Dense<32, sn::He>, sn::ReLU,
                             sn::Dense<2>, sn::Softmax>;

static_assert(sn::valid<FashionMlp> && sn::valid<Pitch> && sn::valid<Wide> && sn::valid<Deep8>);

template <class... Nets>
void construct_all() {
    ((void)Nets{}, ...);
    ((void)Nets{sn::Seed{1}}, ...);
}

int main() {
    construct_all<FashionMlp, Pitch, Wide, Deep8, TinyBinary, Tags, Noisy, Animation, Custom, Keep75, Mixed, ManyOutputs,
                  Embedded, Deep6, Binary3, TwoClass>();
}
