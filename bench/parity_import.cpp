// parity_import DIR: the PyTorch side of `make parity`'s import check (bench/parity.py). For each
// case below, DIR/<case>/ holds the weights of a torch.nn.Sequential of the same architecture,
// saved tensor by tensor in sn::export_npy's layout, and x.npy; this program imports them with
// sn::import_npy, predicts x and writes DIR/<case>/pred.npy for parity.py to compare with torch.
#include <sanenet/sanenet.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

namespace {

namespace sn = sanenet;
namespace fs = std::filesystem;
using NoDropout = sn::Allow<sn::lint::NoRegularization>;

// The architectures of parity.py's IMPORT_CASES, under the same names.
using Regression = sn::Network<sn::Regression, NoDropout, sn::Input<5>, sn::Dense<64>, sn::ReLU, sn::Dense<64>, sn::Tanh,
                               sn::Dense<3>, sn::Identity>;
using Mlp = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;
using Norm = sn::Network<sn::Regression, NoDropout, sn::Input<7>, sn::Dense<33>, sn::LayerNorm, sn::GELU, sn::Dense<17>, sn::SiLU,
                         sn::Dense<3>, sn::Identity>;
using Tags = sn::Network<sn::MultiLabel<4>, NoDropout, sn::Input<9>, sn::Dense<24>, sn::ELU, sn::Dense<24>,
                         sn::LeakyReLUWith<0.2>, sn::Dense<4>, sn::Sigmoid>;

template <class Net>
void run(const fs::path& dir) {
    Net net{sn::Seed{1}};
    sn::import_npy(net, dir);
    const auto x = sn::detail::serial::parse_npy(sn::detail::read_file(dir / "x.npy", "NPY file"), "x.npy: ");
    if (x.shape.size() != 2 || x.shape[1] != static_cast<std::size_t>(Net::input_size))
        throw sn::io_error(dir.string() + "/x.npy: shape " + sn::detail::serial::shape_text(x.shape));
    sn::matrix m = sn::matrix::from_shape({x.shape[0], x.shape[1]});
    std::copy(x.values.begin(), x.values.end(), m.begin());
    const sn::matrix p = net.predict(m, 1);
    sn::detail::write_file_atomically(
        dir / "pred.npy", sn::detail::serial::npy_file({p.shape()[0], p.shape()[1]}, p.data(), p.size()), "parity_import");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const fs::path dir = argv[1];
    run<Regression>(dir / "regression");
    run<Regression>(dir / "regression_float64");
    run<Mlp>(dir / "mlp");
    run<Norm>(dir / "layernorm");
    run<Tags>(dir / "multilabel");
    std::printf("parity_import: 5 cases imported and predicted on %s\n", sn::kernels::arch_name());
}
