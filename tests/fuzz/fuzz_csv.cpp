// Fuzz target: sn::data::load_csv. The first byte picks the options (bits 0-1 the delimiter
// ',', ';', '\t' or '|'; bits 2-3 the header: detected, yes, no); the rest is the file. A table
// it accepts must be rows x columns with a name per column, and must survive a round trip:
// written back with its delimiter and every value to 9 significant digits, it loads (without a
// header) to the same bits.
#include "fuzz_support.hpp"

#include <bit>
#include <cstdio>
#include <optional>

namespace {

const char delimiters[4] = {',', ';', '\t', '|'};

sanenet::data::CsvOptions options_of(std::uint8_t form) {
    sanenet::data::CsvOptions o;
    o.delimiter = delimiters[form & 3u];
    const unsigned h = (form >> 2) & 3u;
    o.header = h == 1 ? std::optional<bool>(true) : h == 2 ? std::optional<bool>(false) : std::nullopt;
    return o;
}

}  // namespace

void fuzz_one(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return;
    const auto options = options_of(data[0]);
    const auto table = sanenet::data::load_csv(sanenet_fuzz::scratch().write(data + 1, size - 1), options);
    const std::size_t rows = table.values.shape()[0], cols = table.values.shape()[1];
    if (rows == 0 || cols == 0 || table.columns.size() != cols) sanenet_fuzz::fail("accepted a table of a wrong shape");
    std::string text;
    char cell[64];
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) {
            std::snprintf(cell, sizeof cell, "%.9g", static_cast<double>(table.values(r, c)));
            text += cell;
            text += c + 1 < cols ? options.delimiter : '\n';
        }
    sanenet::data::CsvOptions again = options;
    again.header = false;
    const auto back = sanenet::data::load_csv(sanenet_fuzz::scratch().write(text.data(), text.size()), again);
    if (back.values.shape() != table.values.shape()) sanenet_fuzz::fail("the round trip changed the shape");
    for (std::size_t i = 0; i < table.values.size(); ++i) {
        const float a = table.values.data()[i], b = back.values.data()[i];
        if (std::bit_cast<std::uint32_t>(a) != std::bit_cast<std::uint32_t>(b) && !(a != a && b != b))
            sanenet_fuzz::fail("the round trip changed a value");
    }
}

void write_seeds(const std::filesystem::path& dir) {
    using sanenet_fuzz::seed;
    // Options byte first: 0 = ',' with the header detected.
    seed(dir, "header_rows", std::string("\x00", 1) + "a,b,c\n1,2,3\n4.5,-6e3,7\n");
    seed(dir, "no_header", std::string("\x00", 1) + "1,2\n3,4\n");
    seed(dir, "forced_header", std::string("\x04", 1) + "1,2\n3,4\n");
    seed(dir, "forced_no_header", std::string("\x08", 1) + "x,y\n3,4\n");
    seed(dir, "bom_crlf_spaces", std::string("\x00", 1) + "\xEF\xBB\xBF a , b \r\n 1 , 2 \r\n\r\n");
    seed(dir, "quoted", std::string("\x00", 1) + "\"a \"\"q\"\"\",\"b,\nc\"\n\"1\",\" 2 \"\n");
    seed(dir, "nan_inf_underflow", std::string("\x00", 1) + "nan,inf,-inf,1e-50,+3\n");
    seed(dir, "semicolon", std::string("\x01", 1) + "a;b\n1,5;2\n");
    seed(dir, "tab", std::string("\x02", 1) + "a\tb\n1\t2\n");
    seed(dir, "pipe", std::string("\x03", 1) + "a|b\n1|2\n");
    seed(dir, "ragged", std::string("\x00", 1) + "a,b\n1,2\n3\n");
    seed(dir, "empty_cell", std::string("\x00", 1) + "a,b\n1,\n");
    seed(dir, "not_a_number", std::string("\x00", 1) + "a,b\n1,x\n");
    seed(dir, "out_of_range", std::string("\x00", 1) + "1e39\n");
    seed(dir, "unterminated_quote", std::string("\x00", 1) + "a\n\"1\n");
    seed(dir, "after_quote", std::string("\x00", 1) + "\"1\"x,2\n");
    seed(dir, "header_only", std::string("\x00", 1) + "a,b\n");
    seed(dir, "blank_lines", std::string("\x00", 1) + "\n\n  \n");
    // Real data: Fashion-MNIST's first 3 test images as label,p0..p783 rows.
    const std::filesystem::path fm = "/usr/share/datasets/fashion-mnist";
    if (std::filesystem::exists(fm / "t10k-images-idx3-ubyte.gz")) {
        const auto d = sanenet::data::fashion_mnist(fm, "t10k", 3);
        std::string t = std::string("\x00", 1) + "label";
        for (std::size_t i = 0; i < d.x.shape()[1]; ++i) t += ",p" + std::to_string(i);
        t += '\n';
        for (std::size_t r = 0; r < d.x.shape()[0]; ++r) {
            t += std::to_string(d.y(r));
            for (std::size_t i = 0; i < d.x.shape()[1]; ++i) t += "," + std::to_string(static_cast<int>(d.x(r, i)));
            t += '\n';
        }
        seed(dir, "fashion_mnist_3_rows", t);
    }
}
