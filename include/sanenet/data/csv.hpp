// Numeric CSV reader: CsvOptions, CsvTable and load_csv, with file:line errors.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/format.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/io/file.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <system_error>
#endif

namespace sanenet::inline SANENET_ABI::data {

struct CsvOptions {
    char delimiter = ',';
    std::optional<bool> header = std::nullopt;  // nullopt: a header if any field of the first line is not a number
    // Bounds that refuse a hostile file before it costs memory (docs/reliability.md): more
    // columns than max_columns, or a line (a record, quoted line breaks included) longer than
    // max_line_bytes, is an io_error naming the line. Raise them for a file that is right.
    std::size_t max_columns = 1'000'000;
    std::size_t max_line_bytes = std::size_t{32} << 20;
};

// Which columns are features: every column of the table but those named in `except`.
struct FeatureColumns {
    std::vector<std::string> except = {};
};

// A CSV file of numbers: column names (from the header, or "0", "1", ...) and a rows x columns matrix.
struct CsvTable {
    std::vector<std::string> columns;
    sanenet::matrix values;
    std::filesystem::path path = {};  // the file it was read from, for messages
    std::vector<std::size_t> lines = {};  // the file line of each row (1-based), for messages

    // Index of the first column called `name`; an sn::argument_error naming the known columns otherwise.
    std::size_t column(std::string_view name) const;

    // The named columns, in the order given, as a rows x names.size() matrix.
    sanenet::matrix select(const std::vector<std::string>& names) const;

    // Every column but which.except, in file order, as a rows x features matrix. An unknown name
    // in except, or an except that leaves no column, is an sn::argument_error.
    sanenet::matrix features(const FeatureColumns& which = {}) const;

    // The names of the columns features(which) returns, in the same order.
    std::vector<std::string> feature_names(const FeatureColumns& which = {}) const;

    // The column as class labels. A cell that is not a non-negative integer (2.7, -1, nan, or
    // above 2^31 - 1) is an sn::io_error naming the file, the line, the column and the cell.
    sanenet::labels labels(std::string_view column) const;

private:
    std::vector<std::size_t> feature_indices(const FeatureColumns& which) const;
};

// Loads a CSV file of numbers. Blank lines are skipped; every cell must be a float.
SANENET_INLINE CsvTable load_csv(const std::filesystem::path& path, const CsvOptions& options = {});

}  // namespace sanenet::data

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::data {

SANENET_INLINE std::size_t CsvTable::column(std::string_view name) const {
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i] == name) return i;
    std::string known;
    constexpr std::size_t shown = 20;
    for (std::size_t i = 0; i < columns.size() && i < shown; ++i) known += (i ? ", '" : "'") + columns[i] + "'";
    if (columns.size() > shown) known += ", ... (" + std::to_string(columns.size()) + " in all)";
    throw argument_error("no column '" + std::string(name) + "' in " + (path.empty() ? "the CSV table" : path.string()) +
                         ": known columns are " + (known.empty() ? std::string("none") : known));
}

SANENET_INLINE sanenet::matrix CsvTable::select(const std::vector<std::string>& names) const {
    std::vector<std::size_t> index;
    index.reserve(names.size());
    for (const auto& name : names) index.push_back(column(name));
    const std::size_t rows = values.shape()[0];
    auto out = sanenet::matrix::from_shape({rows, names.size()});
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < index.size(); ++c) out(r, c) = values(r, index[c]);
    return out;
}

SANENET_INLINE std::vector<std::size_t> CsvTable::feature_indices(const FeatureColumns& which) const {
    std::vector<bool> excluded(columns.size(), false);
    for (const auto& name : which.except) {
        (void)column(name);  // an unknown name lists the known ones
        for (std::size_t c = 0; c < columns.size(); ++c)
            if (columns[c] == name) excluded[c] = true;
    }
    std::vector<std::size_t> index;
    for (std::size_t c = 0; c < columns.size(); ++c)
        if (!excluded[c]) index.push_back(c);
    if (index.empty())
        throw argument_error("CsvTable::features: .except names every one of the " + std::to_string(columns.size()) + " columns" +
                             (path.empty() ? std::string() : " of " + path.string()) +
                             ": expected at least one column left as a feature");
    return index;
}

SANENET_INLINE sanenet::matrix CsvTable::features(const FeatureColumns& which) const {
    const std::vector<std::size_t> index = feature_indices(which);
    const std::size_t rows = values.shape()[0];
    auto out = sanenet::matrix::from_shape({rows, index.size()});
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < index.size(); ++c) out(r, c) = values(r, index[c]);
    return out;
}

SANENET_INLINE std::vector<std::string> CsvTable::feature_names(const FeatureColumns& which) const {
    std::vector<std::string> names;
    for (std::size_t c : feature_indices(which)) names.push_back(columns[c]);
    return names;
}

SANENET_INLINE sanenet::labels CsvTable::labels(std::string_view name) const {
    const std::size_t c = column(name);
    const std::size_t rows = values.shape()[0];
    auto out = sanenet::labels::from_shape({rows});
    for (std::size_t r = 0; r < rows; ++r) {
        const float v = values(r, c);
        // 2147483648 is the first float above int32's range.
        if (v >= 0.0f && v < 2147483648.0f && v == std::floor(v)) {
            out(r) = static_cast<std::int32_t>(v);
            continue;
        }
        const std::string where = (path.empty() || r >= lines.size() ? "the CSV table, row " + std::to_string(r)
                                                                     : path.string() + ":" + std::to_string(lines[r])) +
                                  ": column " + std::to_string(c + 1) + " ('" + columns[c] + "')";
        throw io_error(where + ": " + sanenet::detail::format_shortest(v) +
                       " is not a class label: expected a non-negative integer (0, 1, 2, ...) below 2^31");
    }
    return out;
}

namespace detail {

struct csv_field {
    std::string text;
    bool quoted = false;
};

struct csv_record {
    std::size_t line = 0;
    std::vector<csv_field> fields;
};

enum class number_parse { ok, not_a_number, out_of_range };

// std::from_chars accepts "nan" and "inf" (the data lints reject them later) but not a leading '+'.
SANENET_INLINE number_parse parse_float(std::string_view text, float& out) {
    if (text.size() > 1 && text[0] == '+' && text[1] != '+' && text[1] != '-') text.remove_prefix(1);
    if (text.empty()) return number_parse::not_a_number;
    const char* first = text.data();
    const char* last = first + text.size();
    auto r = std::from_chars(first, last, out);
    if (r.ec == std::errc{} && r.ptr == last) return number_parse::ok;
    if (r.ec != std::errc::result_out_of_range || r.ptr != last) return number_parse::not_a_number;
    // Out of range as float: underflow becomes 0 or a denormal, overflow is an error.
    double wide = 0;
    auto rd = std::from_chars(first, last, wide);
    if (rd.ec != std::errc{} || rd.ptr != last) return number_parse::out_of_range;
    if (wide > std::numeric_limits<float>::max() || wide < -std::numeric_limits<float>::max()) return number_parse::out_of_range;
    out = static_cast<float>(wide);
    return number_parse::ok;
}

// xtensor's xcsv reports no line numbers, so sanenet parses CSV itself: RFC 4180 quoting
// ("" inside quotes, delimiters and newlines in quoted fields), CRLF, spaces around fields.
class csv_reader {
public:
    csv_reader(std::string_view text, char delimiter, const std::filesystem::path& path, std::size_t max_columns,
               std::size_t max_line_bytes)
        : s_(text),
          delim_(delimiter),
          path_(path),
          max_columns_(max_columns),
          max_line_bytes_(max_line_bytes) {}

    std::size_t line() const { return line_; }

    // Reads the next record, skipping blank lines; false at the end of the file.
    bool next(csv_record& rec) {
        skip_blank_lines();
        if (pos_ >= s_.size()) return false;
        rec.line = line_;
        rec.fields.clear();
        record_start_ = pos_;
        for (;;) {
            if (rec.fields.size() == max_columns_)
                throw io_error(path_.string() + ":" + std::to_string(line_) + ": more than " + std::to_string(max_columns_) +
                               " columns, the most accepted (CsvOptions::max_columns; raise it if the file is right)");
            csv_field field;
            skip_spaces();
            if (pos_ < s_.size() && s_[pos_] == '"') {
                read_quoted(field, rec);
            } else {
                const std::size_t start = pos_;
                while (pos_ < s_.size() && s_[pos_] != delim_ && s_[pos_] != '\n') ++pos_;
                std::size_t end = pos_;
                while (end > start && is_space_or_cr(s_[end - 1])) --end;
                field.text.assign(s_.substr(start, end - start));
            }
            rec.fields.push_back(std::move(field));
            if (pos_ >= s_.size()) return true;
            if (s_[pos_] == '\n') {
                ++pos_;
                ++line_;
                return true;
            }
            ++pos_;  // the delimiter: another field follows, possibly empty
        }
    }

private:
    bool is_space(char c) const { return (c == ' ' || c == '\t') && c != delim_; }
    bool is_space_or_cr(char c) const { return is_space(c) || c == '\r'; }

    void skip_spaces() {
        while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
    }

    void skip_blank_lines() {
        for (;;) {
            std::size_t p = pos_;
            while (p < s_.size() && is_space_or_cr(s_[p])) ++p;
            if (p < s_.size() && s_[p] == '\n') {
                pos_ = p + 1;
                ++line_;
            } else {
                if (p >= s_.size()) pos_ = p;
                return;
            }
        }
    }

    void read_quoted(csv_field& field, const csv_record& rec) {
        field.quoted = true;
        const std::size_t open_line = line_;
        ++pos_;
        for (;;) {
            if (pos_ >= s_.size())
                throw io_error(path_.string() + ":" + std::to_string(open_line) + ": column " +
                               std::to_string(rec.fields.size() + 1) +
                               ": unterminated quote: expected a closing '\"' before the end of the file");
            const char c = s_[pos_];
            if (c == '"') {
                if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '"') {
                    field.text += '"';
                    pos_ += 2;
                    continue;
                }
                ++pos_;
                break;
            }
            if (c == '\n') ++line_;
            if (pos_ - record_start_ >= max_line_bytes_)
                throw io_error(path_.string() + ":" + std::to_string(rec.line) + ": a record longer than " +
                               std::to_string(max_line_bytes_) +
                               " bytes, the longest accepted (CsvOptions::max_line_bytes; raise it if the file is right)");
            field.text += c;
            ++pos_;
        }
        while (pos_ < s_.size() && is_space_or_cr(s_[pos_])) ++pos_;
        if (pos_ < s_.size() && s_[pos_] != delim_ && s_[pos_] != '\n')
            throw io_error(path_.string() + ":" + std::to_string(line_) + ": column " + std::to_string(rec.fields.size() + 1) +
                           ": found '" + std::string(1, s_[pos_]) + "' after a closing quote: expected the delimiter '" +
                           std::string(1, delim_) + "' or the end of the line");
        std::size_t a = 0, b = field.text.size();
        while (a < b && (field.text[a] == ' ' || field.text[a] == '\t')) ++a;
        while (b > a && (field.text[b - 1] == ' ' || field.text[b - 1] == '\t')) --b;
        field.text = field.text.substr(a, b - a);
    }

    std::string_view s_;
    char delim_;
    const std::filesystem::path& path_;
    std::size_t max_columns_, max_line_bytes_;
    std::size_t record_start_ = 0;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
};

SANENET_INLINE std::string cell_excerpt(const std::string& text) {
    constexpr std::size_t longest = 40;
    return text.size() <= longest ? text : text.substr(0, longest) + "...";
}

}  // namespace detail

SANENET_INLINE CsvTable load_csv(const std::filesystem::path& path, const CsvOptions& options) {
    const char d = options.delimiter;
    if (d == '"' || d == '\n' || d == '\r' || d == ' ')
        throw argument_error("load_csv: delimiter with character code " + std::to_string(static_cast<int>(d)) +
                             " (a quote, space or line break) is not usable: expected a character such as "
                             "',', ';' or '\\t'");
    if (options.max_columns == 0 || options.max_line_bytes == 0)
        throw argument_error("load_csv: CsvOptions::max_columns and max_line_bytes must be at least 1, found " +
                             std::to_string(options.max_columns) + " and " + std::to_string(options.max_line_bytes));
    sanenet::detail::read_limits limits;
    limits.max_line_bytes = options.max_line_bytes;
    limits.max_line_option = "CsvOptions::max_line_bytes";
    const auto bytes = sanenet::detail::read_file(path, "CSV file", limits);
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    const std::string file = path.string();
    if (text.empty()) throw io_error(file + ":1: empty file: expected a header line or a row of numbers");

    detail::csv_reader reader(text, d, path, options.max_columns, options.max_line_bytes);
    detail::csv_record first;
    if (!reader.next(first))
        throw io_error(file + ":" + std::to_string(reader.line()) +
                       ": empty file (only blank lines): expected a header line or a row of numbers");

    float scratch = 0;
    bool has_header = false;
    if (options.header) {
        has_header = *options.header;
    } else {
        for (const auto& f : first.fields)
            if (detail::parse_float(f.text, scratch) == detail::number_parse::not_a_number) has_header = true;
    }

    CsvTable table;
    const std::size_t width = first.fields.size();
    table.columns.reserve(width);
    for (std::size_t c = 0; c < width; ++c) table.columns.push_back(has_header ? first.fields[c].text : std::to_string(c));

    auto column_label = [&](std::size_t c) {
        std::string label = "column " + std::to_string(c + 1);
        if (has_header) label += " ('" + table.columns[c] + "')";
        return label;
    };

    std::vector<float> values;
    std::size_t rows = 0;
    auto add_row = [&](const detail::csv_record& rec) {
        const std::string where = file + ":" + std::to_string(rec.line) + ": ";
        if (rec.fields.size() != width)
            throw io_error(where + "expected " + std::to_string(width) + " fields as in line " + std::to_string(first.line) +
                           ", found " + std::to_string(rec.fields.size()));
        for (std::size_t c = 0; c < width; ++c) {
            const auto& cell = rec.fields[c].text;
            if (cell.empty())
                throw io_error(where + column_label(c) +
                               ": empty cell: expected a number (fill or drop missing values before loading)");
            float v = 0;
            switch (detail::parse_float(cell, v)) {
                case detail::number_parse::ok: break;
                case detail::number_parse::not_a_number:
                    throw io_error(where + column_label(c) + ": '" + detail::cell_excerpt(cell) +
                                   "' is not a number: expected a float such as 1.5, -2e3, nan or inf");
                case detail::number_parse::out_of_range:
                    throw io_error(where + column_label(c) + ": '" + detail::cell_excerpt(cell) +
                                   "' is out of the float range: expected a magnitude below 3.4e38");
            }
            values.push_back(v);
        }
        table.lines.push_back(rec.line);
        ++rows;
    };

    if (!has_header) add_row(first);
    detail::csv_record rec;
    while (reader.next(rec)) add_row(rec);
    if (rows == 0)
        throw io_error(file + ":" + std::to_string(first.line) +
                       ": a header but no data rows: expected at least one row of numbers after the header");

    table.path = path;
    table.values = sanenet::matrix::from_shape({rows, width});
    std::copy(values.begin(), values.end(), table.values.data());
    return table;
}

}  // namespace sanenet::data
#endif  // SANENET_DEFINITIONS
