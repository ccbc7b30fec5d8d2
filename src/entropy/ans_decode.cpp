// tANS decoding: slot u (the state minus kTableSize) holds the symbol spread there and
// its sub-state x, the occurrence count of that symbol so far plus its slot count; the
// next slot is (x << nb) - kTableSize + the next nb bits, with nb = kTableLog - floor(log2 x).
// Four streams are decoded in lockstep so their table lookups overlap in the CPU.
#include <algorithm>
#include <array>
#include <bit>

#include "entropy/ans.hpp"
#include "entropy/ans_table.hpp"
#include "entropy/bitstreams.hpp"
#include "entropy/plane_blocks.hpp"

namespace znn::ans {

namespace {

// The slot's nb is stored as kTableLog - nb, the shift that takes a kTableLog-bit peek
// down to nb bits: the peek then needs no subtraction on the slot-to-slot dependency chain.
struct Entry {
    std::uint16_t base;  // next slot, before adding the nb bits read
    std::uint8_t shift;  // kTableLog - nb
    std::uint8_t symbol;
};
static_assert(sizeof(Entry) == 4);
using DecodeTable = std::array<Entry, kTableSize>;

void build_decode_table(const Normalized& slots, DecodeTable& table) noexcept {
    std::array<std::uint8_t, kTableSize> spread{};
    spread_symbols(slots, spread);
    std::array<std::uint16_t, 256> next = slots;
    for (unsigned u = 0; u < kTableSize; ++u) {
        const unsigned s = spread[u];
        const unsigned x = next[s]++;
        const unsigned nb = kTableLog - (static_cast<unsigned>(std::bit_width(x)) - 1);
        table[u] = {static_cast<std::uint16_t>((x << nb) - kTableSize),
                    static_cast<std::uint8_t>(kTableLog - nb), static_cast<std::uint8_t>(s)};
    }
}

// Reads nb (<= kTableLog) bits with every check, for the stream's start and tail.
bool read_checked(BackwardStream& s, unsigned nb, unsigned& value) noexcept {
    s.reload();
    if (s.consumed + nb > 64) return false;
    value = nb == 0 ? 0 : static_cast<unsigned>((s.bits << s.consumed) >> (64 - nb));
    s.consumed += nb;
    return true;
}

bool decode_block(std::span<const std::uint8_t> block, const DecodeTable& table, std::uint8_t* out,
                  std::size_t n) noexcept {
    std::array<BackwardStream, 4> s;
    if (!open_four_streams(block, s)) return false;
    std::array<unsigned, 4> u{};
    std::array<std::uint8_t*, 4> op{};
    std::array<std::uint8_t*, 4> op_end{};
    for (unsigned j = 0; j < 4; ++j) {
        if (!read_checked(s[j], kTableLog, u[j])) return false;
        const auto [a, b] = stream_range(n, j);
        op[j] = out + a;
        op_end[j] = out + b;
    }

    // Fast loop: a marked window (bitstreams.hpp) holds enough for four symbols of <= 13
    // bits; the state lives in locals the compiler can keep in registers.
    constexpr unsigned kPeekShift = 64 - kTableLog;
    static_assert(4 * kTableLog <= 56);
    std::array<const std::uint8_t*, 4> ptr{};
    std::array<unsigned, 4> used{};
    for (unsigned j = 0; j < 4; ++j) {
        ptr[j] = s[j].ptr;
        used[j] = s[j].consumed;
    }
    // Rounds that surely fit: each moves a stream back at most 7 bytes and writes 4 symbols.
    auto safe_rounds = [&] {
        std::size_t rounds = SIZE_MAX;
        for (unsigned j = 0; j < 4; ++j)
            rounds = std::min({rounds, static_cast<std::size_t>(ptr[j] - s[j].start) / 7,
                               static_cast<std::size_t>(op_end[j] - op[j]) / 4});
        return rounds;
    };
    for (std::size_t rounds = safe_rounds(); rounds > 0; rounds = safe_rounds()) {
        for (; rounds > 0; --rounds) {
            std::array<std::uint64_t, 4> window{};
            for (unsigned j = 0; j < 4; ++j) window[j] = load_marked_window(ptr[j], used[j]);
            for (unsigned k = 0; k < 4; ++k) {
                for (unsigned j = 0; j < 4; ++j) {
                    const Entry e = table[u[j]];
                    op[j][k] = e.symbol;
                    u[j] = e.base + static_cast<unsigned>((window[j] >> kPeekShift) >> e.shift);
                    window[j] <<= kTableLog - e.shift;
                }
            }
            for (unsigned j = 0; j < 4; ++j) {
                op[j] += 4;
                count_marked_bits(window[j], used[j]);
            }
        }
    }
    for (unsigned j = 0; j < 4; ++j) {
        s[j].ptr = ptr[j];
        s[j].consumed = used[j];
    }
    for (unsigned j = 0; j < 4; ++j) {
        while (op[j] < op_end[j]) {
            const Entry e = table[u[j]];
            *op[j]++ = e.symbol;
            unsigned bits = 0;
            if (!read_checked(s[j], kTableLog - e.shift, bits)) return false;
            u[j] = e.base + bits;
        }
        s[j].reload();
        // The encoder starts every stream in slot 0, so a decoder that used every bit and
        // made every symbol is back there; anything else is corruption.
        if (!s[j].finished() || u[j] != 0) return false;
    }
    return true;
}

}  // namespace

bool decode(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    Levels levels;
    std::size_t pos = read_description(in, levels);
    if (pos == 0) return false;
    Normalized slots{};
    if (!normalize(levels, slots)) return false;
    thread_local DecodeTable table;
    build_decode_table(slots, table);
    return decode_blocks(in, pos, out, kBlockSymbols,
                         [&](std::span<const std::uint8_t> block, std::uint8_t* at, std::size_t n) {
                             return decode_block(block, table, at, n);
                         });
}

}  // namespace znn::ans
