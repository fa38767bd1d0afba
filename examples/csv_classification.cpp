// A CSV file from start to finish: the UCI wine data (examples/data/wine.csv: 178 wines, 13
// named chemical measurements and a class column 0, 1 or 2), loaded, split, checked,
// standardized and classified. The first part shows what the data lints say about the raw
// columns, by name; the second trains as README.md's ten-line program does. Exits with
// status 1 if L1.1 does not name proline on the raw data or the validation accuracy is below
// 0.9. Usage: csv_classification [file.csv] (default: the wine file next to this source).
#include <sanenet/sanenet.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace sn = sanenet;

using Net = sn::Network<sn::Classification<3>, sn::Input<13>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dropout<0.9>, sn::Dense<3>,
                        sn::Softmax>;
static_assert(sn::valid<Net>);

int main(int argc, char** argv) try {
    const std::filesystem::path file =
        argc > 1 ? std::filesystem::path(argv[1]) : std::filesystem::path(__FILE__).parent_path() / "data" / "wine.csv";
    const auto table = sn::data::load_csv(file);
    const sn::matrix x = table.features({.except = {"class"}});
    const sn::labels y = table.labels("class");
    const std::vector<std::string> names = table.feature_names({.except = {"class"}});
    const auto [train, val] = sn::data::split(x, y, {.validation = 0.2, .seed = 1, .stratify = true});
    std::printf("%zu rows of %zu features; %zu for training, %zu held out (each class in both)\n\n", x.shape()[0], x.shape()[1],
                train.size(), val.size());

    // What the data lints say about the raw columns: no training happens here.
    const sn::FitOptions options{.validation = sn::Validation{val.x, val.y}, .feature_names = names};
    bool named_proline = false;
    for (const sn::Diagnostic& d : sn::check_data<Net>(train.x, train.y, options)) {
        std::printf("%s\n\n", d.message.c_str());
        if (d.id == "L1.1" && d.message.find("feature 12 'proline'") != std::string::npos) named_proline = true;
    }

    // The fix: standardize on the training part, then train.
    sn::Standardizer scaler;
    scaler.fit(train.x);
    std::printf("Standardizer: %s\n", scaler.constant_report(names).c_str());
    Net net{sn::Seed{1}};
    sn::fit(net, scaler.transform(train.x), train.y,
            {.epochs = 30,
             .batch_size = 16,
             .validation = sn::Validation{scaler.transform(val.x), val.y},
             .feature_names = names,
             .threads = 1});
    const sn::matrix probabilities = net.predict(scaler.transform(val.x));
    const double accuracy = sn::accuracy(probabilities, val.y);
    std::printf("validation accuracy %.3f\n%s", accuracy,
                sn::confusion_matrix(probabilities, val.y).to_string({"class 0", "class 1", "class 2"}).c_str());

    if (!named_proline) {
        std::printf("FAIL: L1.1 on the raw features does not name feature 12 'proline'\n");
        return 1;
    }
    if (accuracy < 0.9) {
        std::printf("FAIL: validation accuracy %.3f is below 0.9\n", accuracy);
        return 1;
    }
    return 0;
} catch (const sn::error& e) {  // a bad file or column: the message names the file, line and cell
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
}
