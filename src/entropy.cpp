#include "entropy.hpp"

#include <cmath>
#include <vector>

namespace znn {

namespace {

double c_log2_c(std::uint64_t c) noexcept {
    return c == 0 ? 0.0 : static_cast<double>(c) * std::log2(static_cast<double>(c));
}

// c log2 c for every c below kEntropyTableCounts, built once on first use.
const std::vector<double>& c_log2_c_table() {
    static const std::vector<double> table = [] {
        std::vector<double> t(kEntropyTableCounts);
        for (std::uint32_t c = 0; c < kEntropyTableCounts; ++c) t[c] = c_log2_c(c);
        return t;
    }();
    return table;
}

}  // namespace

double entropy_bits(const std::array<std::uint32_t, 256>& counts) noexcept {
    const std::vector<double>& table = c_log2_c_table();
    std::uint64_t total = 0;
    double sum = 0;
    for (const std::uint32_t c : counts) {
        total += c;
        sum += c < kEntropyTableCounts ? table[c] : c_log2_c(c);
    }
    return c_log2_c(total) - sum;
}

}  // namespace znn
