// tANS encoding. A stream's state X lives in [kTableSize, 2 kTableSize). Coding symbol s
// writes the low nb bits of X, where nb is the one shift that brings X >> nb into
// [slots[s], 2 slots[s]), then moves to the slot holding s's (X >> nb - slots[s])-th
// occurrence in the spread. Symbols are coded last to first, so the decoder, reading the
// stream backwards, meets them first to last; the final state goes in last.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "entropy/ans.hpp"
#include "entropy/ans_table.hpp"
#include "entropy/bitstreams.hpp"
#include "entropy/plane_blocks.hpp"

namespace znn::ans {

namespace {

// Bits a symbol given q of the kTableSize slots costs: kTableLog - log2(q).
const std::array<float, kTableSize + 1>& slot_cost() {
    static const auto table = [] {
        std::array<float, kTableSize + 1> t{};
        for (unsigned q = 1; q <= kTableSize; ++q)
            t[q] = static_cast<float>(kTableLog - std::log2(double(q)));
        return t;
    }();
    return table;
}

// Per stream: the final state (kTableLog bits) and the end mark, at most 3 bytes.
constexpr std::size_t kStreamOverhead = 3;

// Per symbol, what coding it needs: nb = (x + nb_delta) >> 16 is its shift for state x
// (one less below the threshold q << shift, as x - threshold is then negative and above
// -65536), and its next state is next_state[state_delta + (x >> nb)].
struct SymbolCoder {
    std::uint32_t nb_delta;
    std::int32_t state_delta;
};

struct EncodeTables {
    std::array<SymbolCoder, 256> symbols;
    std::array<std::uint16_t, kTableSize>
        next_state;  // kTableSize + slot, by symbol, then occurrence
};

void build_encode_tables(const Normalized& slots, EncodeTables& t) noexcept {
    std::array<std::uint8_t, kTableSize> spread{};
    spread_symbols(slots, spread);
    std::array<std::uint16_t, 256> fill{};
    unsigned at = 0;
    for (unsigned s = 0; s < 256; ++s) {
        const unsigned q = slots[s];
        fill[s] = static_cast<std::uint16_t>(at);
        if (q == 0) {
            t.symbols[s] = {};
            continue;
        }
        const unsigned shift = kTableLog + 1 - static_cast<unsigned>(std::bit_width(q));
        t.symbols[s] = {(shift << 16) - (q << shift),
                        static_cast<std::int32_t>(at) - static_cast<std::int32_t>(q)};
        at += q;
    }
    for (unsigned u = 0; u < kTableSize; ++u)
        t.next_state[fill[spread[u]]++] = static_cast<std::uint16_t>(kTableSize + u);
}

inline void encode_symbol(const EncodeTables& t, std::uint8_t s, std::uint32_t& x,
                          BitWriter& w) noexcept {
    const SymbolCoder c = t.symbols[s];
    const std::uint32_t nb = (x + c.nb_delta) >> 16;
    w.put((x & ((1u << nb) - 1)) | (nb << 16));
    x = t.next_state[static_cast<std::uint32_t>(c.state_delta +
                                                static_cast<std::int32_t>(x >> nb))];
}

void finish_stream(std::uint32_t x, BitWriter& w) noexcept {
    w.put((x - kTableSize) | (kTableLog << 16));
    w.flush();
}

// One block's four streams, interleaved so their dependency chains overlap. Stream 0 is
// written in place; streams 1-3 go to scratch and are moved behind it.
std::uint8_t* encode_block(const std::uint8_t* data, std::size_t n, const EncodeTables& t,
                           std::uint8_t* block) noexcept {
    thread_local std::vector<std::uint8_t> scratch;
    FourStreamWriter<BitWriter> streams(block, scratch, ((n + 3) / 4) * kTableLog / 8 + 16);
    auto& w = streams.w;
    std::array<const std::uint8_t*, 4> begin{};
    std::array<const std::uint8_t*, 4> p{};
    std::array<std::uint32_t, 4> x{kTableSize, kTableSize, kTableSize, kTableSize};
    std::size_t common = SIZE_MAX;
    for (unsigned j = 0; j < 4; ++j) {
        const auto [a, b] = stream_range(n, j);
        begin[j] = data + a;
        p[j] = data + b;
        common = std::min(common, (b - a) / 4);
    }
    // Four symbols of at most kTableLog bits each between flushes keep under 64 pending bits.
    for (std::size_t round = 0; round < common; ++round) {
#pragma GCC unroll 4
        for (unsigned k = 1; k <= 4; ++k) {
#pragma GCC unroll 4
            for (unsigned j = 0; j < 4; ++j)
                encode_symbol(t, p[j][-static_cast<int>(k)], x[j], w[j]);
        }
#pragma GCC unroll 4
        for (unsigned j = 0; j < 4; ++j) {
            p[j] -= 4;
            w[j].flush();
        }
    }
    for (unsigned j = 0; j < 4; ++j) {
        while (p[j] > begin[j]) {
            encode_symbol(t, *--p[j], x[j], w[j]);
            w[j].flush();
        }
        finish_stream(x[j], w[j]);
    }
    return streams.finish();
}

}  // namespace

std::size_t estimate_size(const Histogram& counts, const Levels& levels,
                          std::size_t symbols) noexcept {
    Normalized slots{};
    if (!normalize(levels, slots)) return SIZE_MAX;
    const auto& cost = slot_cost();
    double bits = 0;
    for (unsigned s = 0; s < 256; ++s)
        if (counts[s] != 0) bits += static_cast<double>(counts[s]) * cost[slots[s]];
    const std::size_t blocks = (symbols + kBlockSymbols - 1) / kBlockSymbols;
    return description_size(levels) + blocks * (kBlockHeaderSize + 4 * kStreamOverhead) +
           static_cast<std::size_t>(bits / 8);
}

std::size_t encode_bound(std::size_t symbols) noexcept {
    const std::size_t blocks = (symbols + kBlockSymbols - 1) / kBlockSymbols;
    return kMaxDescriptionSize + blocks * (kBlockHeaderSize + 4 * kStreamOverhead + 8) +
           symbols * kTableLog / 8 + 16;
}

std::size_t encode(std::span<const std::uint8_t> symbols, const Levels& levels,
                   std::uint8_t* out) noexcept {
    Normalized slots{};
    normalize(levels, slots);
    thread_local EncodeTables tables;
    build_encode_tables(slots, tables);
    std::uint8_t* p = out + write_description(levels, out);
    for (std::size_t start = 0; start < symbols.size(); start += kBlockSymbols) {
        const std::size_t n = std::min(kBlockSymbols, symbols.size() - start);
        p = encode_block(symbols.data() + start, n, tables, p);
    }
    return static_cast<std::size_t>(p - out);
}

}  // namespace znn::ans
