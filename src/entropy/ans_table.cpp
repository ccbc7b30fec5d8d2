#include "entropy/ans_table.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace znn::ans {

namespace {

// 2^31 * 2^(-r/3) for r = 0, 1, 2, rounded: a level l weighs kLevelBase[l % 3] >> (l / 3).
constexpr std::array<std::uint64_t, 3> kLevelBase = {2147483648u, 1704458901u, 1352829926u};

std::uint64_t level_weight(unsigned level) noexcept {
    return kLevelBase[level % 3] >> (level / 3);
}

unsigned zigzag(int d) noexcept {
    return d >= 0 ? static_cast<unsigned>(2 * d) : static_cast<unsigned>(-2 * d - 1);
}
int unzigzag(unsigned z) noexcept {
    return (z & 1) != 0 ? -static_cast<int>((z + 1) / 2) : static_cast<int>(z / 2);
}

// Bits of the order-1 exp-Golomb code of z: m - 1 zeros, a one, then the low m bits of
// z + 2, where m + 1 is the bit width of z + 2.
unsigned golomb_bits(unsigned z) noexcept {
    const auto m = static_cast<unsigned>(std::bit_width(z + 2)) - 1;
    return 2 * m;
}

struct BitPacker {
    std::uint8_t* out;
    std::size_t bit = 0;
    void put(unsigned value, unsigned count) noexcept {
        for (unsigned k = 0; k < count; ++k, ++bit) {
            if ((bit & 7) == 0) out[bit >> 3] = 0;
            out[bit >> 3] =
                static_cast<std::uint8_t>(out[bit >> 3] | (((value >> k) & 1u) << (bit & 7)));
        }
    }
};

struct BitUnpacker {
    std::span<const std::uint8_t> in;
    std::size_t bit = 0;
    bool get(unsigned count, unsigned& value) noexcept {
        if (bit + count > 8 * in.size()) return false;
        value = 0;
        for (unsigned k = 0; k < count; ++k, ++bit)
            value |= ((in[bit >> 3] >> (bit & 7)) & 1u) << k;
        return true;
    }
};

// Levels are chosen by a shortest path over symbols first..last: each symbol may take a
// few levels around its ideal one (-3 log2 of its probability, rounded), paying for the
// bits its level costs the data, c * l / 3 + 1.44 * n * 2^(-l/3) (a symbol's own code
// length plus the share of the code space it takes from the others), and for the
// description bits of the change from the previous level. Rare symbols thus follow their
// neighbours' levels where a change would cost more to describe than it saves, and short
// runs of absent symbols between rare ones are given a level instead of two long changes
// down to 0 and back. The shared FP8 file codes 2.1 KB smaller than with rounded levels.
constexpr unsigned kCandidates = 5;

// max(2^(-level/3), one slot): the share of the code space a level takes.
const std::array<double, kMaxLevel + 1>& level_share() {
    static const auto table = [] {
        std::array<double, kMaxLevel + 1> t{};
        for (unsigned l = 0; l <= kMaxLevel; ++l)
            t[l] = std::max(std::exp2(-static_cast<double>(l) / 3.0), 1.0 / kTableSize);
        return t;
    }();
    return table;
}

double data_bits(std::uint32_t count, std::uint64_t symbols, unsigned level) noexcept {
    if (level == 0) return count == 0 ? 0.0 : 1e30;
    return static_cast<double>(count) * level * (1.0 / 3.0) +
           1.4427 * static_cast<double>(symbols) * level_share()[level];
}

void smooth_levels(const Histogram& counts, std::uint64_t symbols, Levels& levels) noexcept {
    const auto [first, last] = used_range(levels);
    const unsigned span = last - first + 1;
    // Candidate levels per symbol: around the ideal one if present; 0 and the nearest
    // present neighbours' levels if absent.
    std::array<std::array<std::uint8_t, kCandidates>, 256> cand{};
    std::array<unsigned, 256> ncand{};
    for (unsigned k = 0; k < span; ++k) {
        const unsigned s = first + k;
        auto add = [&](int l) {
            if (l < 0 || l > static_cast<int>(kMaxLevel) || ncand[k] == kCandidates) return;
            if (counts[s] != 0 && l == 0) return;
            for (unsigned j = 0; j < ncand[k]; ++j)
                if (cand[k][j] == l) return;
            cand[k][ncand[k]++] = static_cast<std::uint8_t>(l);
        };
        if (counts[s] != 0 || k == 0 || k == span - 1) {
            for (const int d : {0, -1, 1, -2, 2}) add(levels[s] + d);
        } else {
            add(0);
            unsigned b = s;
            while (levels[b] == 0) --b;
            unsigned a = s;
            while (levels[a] == 0) ++a;
            add(levels[b]);
            add(levels[a]);
        }
    }
    static const auto change_bits = [] {
        std::array<double, 2 * kMaxLevel + 1> t{};
        for (int d = -63; d <= 63; ++d) t[static_cast<unsigned>(d + 63)] = golomb_bits(zigzag(d));
        return t;
    }();
    // cost[k][j]: cheapest bits for symbols first..first+k with symbol first+k at cand[k][j].
    std::array<std::array<double, kCandidates>, 256> cost{};
    std::array<std::array<std::uint8_t, kCandidates>, 256> from{};
    for (unsigned j = 0; j < ncand[0]; ++j)
        cost[0][j] = 6 + data_bits(counts[first], symbols, cand[0][j]);
    for (unsigned k = 1; k < span; ++k) {
        for (unsigned j = 0; j < ncand[k]; ++j) {
            double best = 1e300;
            for (unsigned i = 0; i < ncand[k - 1]; ++i) {
                const double c =
                    cost[k - 1][i] +
                    change_bits[static_cast<unsigned>(cand[k][j] - cand[k - 1][i] + 63)];
                if (c < best) {
                    best = c;
                    from[k][j] = static_cast<std::uint8_t>(i);
                }
            }
            cost[k][j] = best + data_bits(counts[first + k], symbols, cand[k][j]);
        }
    }
    unsigned j = 0;
    for (unsigned i = 1; i < ncand[span - 1]; ++i)
        if (cost[span - 1][i] < cost[span - 1][j]) j = i;
    for (unsigned k = span; k-- > 0;) {
        levels[first + k] = cand[k][j];
        j = from[k][j];
    }
}

}  // namespace

Levels choose_levels(const Histogram& counts) noexcept {
    Levels levels{};
    std::uint64_t total = 0;
    for (const auto c : counts) total += c;
    for (unsigned s = 0; s < 256; ++s) {
        if (counts[s] == 0) continue;
        const double level = std::round(
            -3.0 * std::log2(static_cast<double>(counts[s]) / static_cast<double>(total)));
        levels[s] = static_cast<std::uint8_t>(std::clamp(level, 1.0, double{kMaxLevel}));
    }
    smooth_levels(counts, total, levels);
    return levels;
}

bool normalize(const Levels& levels, Normalized& slots) noexcept {
    slots.fill(0);
    // Symbols by level, lowest (most probable) first, ties in symbol order: the order in
    // which rounding leftovers are handed out or taken back.
    std::array<std::uint16_t, kMaxLevel + 2> start{};
    for (unsigned s = 0; s < 256; ++s) ++start[levels[s] + 1u];
    for (unsigned l = 1; l <= kMaxLevel + 1; ++l) start[l] += start[l - 1];
    std::array<std::uint8_t, 256> order{};
    unsigned present = 256 - start[1];
    for (unsigned s = 0; s < 256; ++s) order[start[levels[s]]++] = static_cast<std::uint8_t>(s);
    if (present == 0) return false;
    const std::uint8_t* by_level = order.data() + (256 - present);  // level-0 symbols sort first

    std::uint64_t total = 0;
    for (unsigned k = 0; k < present; ++k) total += level_weight(levels[by_level[k]]);
    int left = static_cast<int>(kTableSize);
    for (unsigned k = 0; k < present; ++k) {
        const unsigned s = by_level[k];
        const auto share = level_weight(levels[s]) * kTableSize / total;
        slots[s] = static_cast<std::uint16_t>(std::max<std::uint64_t>(share, 1));
        left -= slots[s];
    }
    // Flooring leaves fewer than `present` slots over; a minimum of one slot for rare
    // symbols can overshoot. Either way the most probable symbols absorb the difference,
    // which changes their cost least. Each pass moves at least one slot, so this ends.
    while (left != 0) {
        for (unsigned k = 0; k < present && left != 0; ++k) {
            auto& q = slots[by_level[k]];
            if (left > 0) {
                ++q;
                --left;
            } else if (q > 1) {
                --q;
                ++left;
            }
        }
    }
    return true;
}

std::size_t description_size(const Levels& levels) noexcept {
    const auto [first, last] = used_range(levels);
    std::size_t bits = 6;
    for (unsigned s = first + 1; s <= last; ++s)
        bits += golomb_bits(zigzag(levels[s] - levels[s - 1]));
    return 2 + (bits + 7) / 8;
}

std::size_t write_description(const Levels& levels, std::uint8_t* out) noexcept {
    const auto [first, last] = used_range(levels);
    out[0] = static_cast<std::uint8_t>(first);
    out[1] = static_cast<std::uint8_t>(last);
    BitPacker bits{out + 2};
    bits.put(levels[first], 6);
    for (unsigned s = first + 1; s <= last; ++s) {
        const unsigned v = zigzag(levels[s] - levels[s - 1]) + 2;
        const auto m = static_cast<unsigned>(std::bit_width(v)) - 1;
        bits.put(0, m - 1);
        bits.put(1, 1);
        bits.put(v, m);  // the low m bits; the leading one is implied
    }
    if ((bits.bit & 7) != 0) bits.put(0, 8 - (bits.bit & 7));
    return 2 + bits.bit / 8;
}

std::size_t read_description(std::span<const std::uint8_t> in, Levels& levels) noexcept {
    levels.fill(0);
    if (in.size() < 2) return 0;
    const unsigned first = in[0];
    const unsigned last = in[1];
    if (last < first) return 0;
    BitUnpacker bits{in.subspan(2)};
    unsigned level = 0;
    if (!bits.get(6, level) || level == 0) return 0;
    levels[first] = static_cast<std::uint8_t>(level);
    for (unsigned s = first + 1; s <= last; ++s) {
        unsigned zeros = 0;
        unsigned bit = 0;
        while (true) {
            if (!bits.get(1, bit)) return 0;
            if (bit != 0) break;
            if (++zeros > 6) return 0;  // changes need at most 7 low bits
        }
        const unsigned m = zeros + 1;
        unsigned low = 0;
        if (!bits.get(m, low)) return 0;
        const int next = static_cast<int>(level) + unzigzag(((1u << m) | low) - 2);
        if (next < 0 || next > static_cast<int>(kMaxLevel)) return 0;
        level = static_cast<unsigned>(next);
        levels[s] = static_cast<std::uint8_t>(level);
    }
    if (levels[last] == 0) return 0;
    unsigned pad = 0;
    const unsigned pad_bits = static_cast<unsigned>((8 - (bits.bit & 7)) & 7);
    if (!bits.get(pad_bits, pad) || pad != 0) return 0;
    return 2 + bits.bit / 8;
}

void spread_symbols(const Normalized& slots,
                    std::array<std::uint8_t, kTableSize>& spread) noexcept {
    unsigned at = 0;
    for (unsigned s = 0; s < 256; ++s) {
        for (unsigned k = 0; k < slots[s]; ++k) {
            spread[at] = static_cast<std::uint8_t>(s);
            at = (at + kSpreadStep) & (kTableSize - 1);
        }
    }
}

}  // namespace znn::ans
