// Huffman decoding: a multi-symbol lookup table and a 4-stream interleaved decoder.
//
// Every window of as many bits as the plane's longest code (at most 11) indexes a table
// entry that holds all the symbols whose codes fit entirely inside the window (up to 4),
// their total length and count. Exponent planes average under 3 bits a symbol, so one
// lookup usually yields 3-4 symbols. Four streams are decoded in lockstep so their
// lookups overlap in the CPU. Sizing the table by the longest code, not by the format's
// limit, makes building it (a fifth of the decoding time on a BF16 model of 64-256 KiB
// tensors) cheaper for planes whose encoder kept codes short.
#include <algorithm>
#include <array>

#include "common/bytes_io.hpp"
#include "entropy/bitstreams.hpp"
#include "entropy/huffman.hpp"
#include "entropy/huffman_table.hpp"
#include "entropy/plane_blocks.hpp"

namespace znn::huffman {

namespace {

constexpr unsigned kMaxTableBits = kMaxCodeLength;

// For each window: up to four symbols, their total length and count, and the length of
// the first symbol alone (for the careful tail decoder). One array per field: the window
// then indexes the lengths directly, with no address computation on the chain from one
// lookup to the next (faster than an array of 8-byte entries, or one packed word that
// needs shifting and masking).
struct DecodeTable {
    std::array<std::uint32_t, 1u << kMaxTableBits> symbols;
    std::array<std::uint8_t, 1u << kMaxTableBits> total;
    std::array<std::uint8_t, 1u << kMaxTableBits> count;
    std::array<std::uint8_t, 1u << kMaxTableBits> first;

    void set(unsigned w, std::uint32_t s, unsigned t, unsigned c, unsigned f) noexcept {
        symbols[w] = s;
        total[w] = static_cast<std::uint8_t>(t);
        count[w] = static_cast<std::uint8_t>(c);
        first[w] = static_cast<std::uint8_t>(f);
    }
};

// Planes shorter than this get one symbol a lookup: filling the multi-symbol table costs
// ~5 us at 10 bits and twice that at 11, as much as decoding 15 000-30 000 symbols, and
// files of many small tensors (the shared mixed-dtype file: 140 F32 exponent planes of 40
// symbols) paid it on every one.
constexpr std::size_t kMultiSymbolMinSymbols = 8192;

// Fills the first 2^table_bits entries; table_bits is at least the longest code.
bool build_decode_table(const CodeLengths& lengths, unsigned table_bits, DecodeTable& table,
                        bool multi_symbol) noexcept {
    std::array<std::uint16_t, 256> codes{};
    if (!assign_canonical_codes(lengths, codes)) return false;
    const unsigned windows = 1u << table_bits;
    // single[w]: (length << 8) | symbol of the code that prefixes window w; 0 if none.
    std::array<std::uint16_t, 1u << kMaxTableBits> single{};
    for (unsigned s = 0; s < 256; ++s) {
        const unsigned len = lengths[s];
        if (len == 0) continue;
        const unsigned first = static_cast<unsigned>(codes[s]) << (table_bits - len);
        const unsigned span = 1u << (table_bits - len);
        for (unsigned w = first; w < first + span; ++w)
            single[w] = static_cast<std::uint16_t>((len << 8) | s);
    }
    for (unsigned w = 0; w < windows; ++w) {
        if (!multi_symbol && single[w] != 0) {
            table.set(w, single[w] & 0xFFu, single[w] >> 8, 1, single[w] >> 8);
            continue;
        }
        if (single[w] == 0) {
            // A window no code reaches (incomplete code): consume bits so decoding ends;
            // the stream-length check then reports the corruption.
            table.set(w, 0, table_bits, 1, table_bits);
            continue;
        }
        std::uint32_t symbols = 0;
        unsigned total = 0;
        unsigned count = 0;
        while (count < 4) {
            const unsigned e = single[(w << total) & ((1u << table_bits) - 1)];
            const unsigned len = e >> 8;
            if (len == 0 || len > table_bits - total) break;
            symbols |= (e & 0xFFu) << (8 * count);
            total += len;
            ++count;
        }
        table.set(w, symbols, total, count, single[w] >> 8);
    }
    return true;
}

// Decodes one symbol at a time until out reaches end; used for the last few symbols.
template <unsigned TableBits>
bool decode_tail(BackwardStream& s, const DecodeTable& table, std::uint8_t* out,
                 std::uint8_t* end) noexcept {
    while (out < end) {
        s.reload();
        if (s.consumed >= 64) return false;
        const auto w = static_cast<unsigned>((s.bits << s.consumed) >> (64 - TableBits));
        *out++ = static_cast<std::uint8_t>(table.symbols[w]);
        s.consumed += table.first[w];
    }
    s.reload();
    return s.finished();
}

// Where one stream of a block stands while decoding.
struct StreamCursor {
    const std::uint8_t* start;  // the stream's first byte (reading goes backwards to it)
    const std::uint8_t* ptr;    // the 8 bytes loaded next
    unsigned used;              // bits of them already used, from the top
    std::uint8_t* op;           // next symbol out
    std::uint8_t* op_end;       // end of this stream's symbols
};

// Fast rounds on N streams at once, while every one of them surely has room. A round
// loads each stream's marked window (bitstreams.hpp) and does five lookups of <= 11 bits,
// writing <= 20 symbols, so nothing needs checking inside. The table's size is a
// template parameter so that a lookup's shift is a constant.
template <unsigned TableBits, std::size_t N>
void fast_rounds(const DecodeTable& table, std::array<StreamCursor, N>& cursors) noexcept {
    static_assert(5 * TableBits <= 56);
    // Locals, not the cursors' fields, so the compiler keeps them in registers.
    std::array<const std::uint8_t*, N> ptr{};
    std::array<unsigned, N> used{};
    std::array<std::uint8_t*, N> op{};
    for (std::size_t j = 0; j < N; ++j) {
        ptr[j] = cursors[j].ptr;
        used[j] = cursors[j].used;
        op[j] = cursors[j].op;
    }
    // Rounds that surely fit: each moves a stream back at most 7 bytes and writes at most
    // 20 symbols. Recounted until none fits, as rounds usually take less.
    auto safe_rounds = [&] {
        std::size_t rounds = SIZE_MAX;
        for (std::size_t j = 0; j < N; ++j)
            rounds = std::min({rounds, static_cast<std::size_t>(ptr[j] - cursors[j].start) / 7,
                               static_cast<std::size_t>(cursors[j].op_end - op[j]) / 20});
        return rounds;
    };
    for (std::size_t rounds = safe_rounds(); rounds > 0; rounds = safe_rounds()) {
        for (; rounds > 0; --rounds) {
            std::array<std::uint64_t, N> window{};
            for (std::size_t j = 0; j < N; ++j) window[j] = load_marked_window(ptr[j], used[j]);
            for (unsigned k = 0; k < 5; ++k) {
                for (std::size_t j = 0; j < N; ++j) {
                    const auto w = static_cast<unsigned>(window[j] >> (64 - TableBits));
                    store_le<std::uint32_t>(op[j], table.symbols[w]);
                    op[j] += table.count[w];
                    window[j] <<= table.total[w];
                }
            }
            for (std::size_t j = 0; j < N; ++j) count_marked_bits(window[j], used[j]);
        }
    }
    for (std::size_t j = 0; j < N; ++j) {
        cursors[j].ptr = ptr[j];
        cursors[j].used = used[j];
        cursors[j].op = op[j];
    }
}

template <unsigned TableBits>
bool decode_block(std::span<const std::uint8_t> block, const DecodeTable& table, std::uint8_t* out,
                  std::size_t n) noexcept {
    std::array<BackwardStream, 4> s;
    if (!open_four_streams(block, s)) return false;
    std::array<StreamCursor, 4> cursors{};
    for (unsigned j = 0; j < 4; ++j) {
        const auto [a, b] = stream_range(n, j);
        cursors[j] = {s[j].start, s[j].ptr, s[j].consumed, out + a, out + b};
    }
    // All four streams together while each has room; then, as one usually ends hundreds
    // of symbols before the others (their quarters differ in entropy), each on its own
    // rather than in the one-symbol tail.
    fast_rounds<TableBits>(table, cursors);
    for (unsigned j = 0; j < 4; ++j) {
        std::array<StreamCursor, 1> one{cursors[j]};
        fast_rounds<TableBits>(table, one);
        s[j].ptr = one[0].ptr;
        s[j].consumed = one[0].used;
        if (!decode_tail<TableBits>(s[j], table, one[0].op, one[0].op_end)) return false;
    }
    return true;
}

}  // namespace

bool decode(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    CodeLengths lengths;
    std::size_t pos = read_table(in, lengths);
    if (pos == 0) return false;
    const unsigned longest = *std::max_element(lengths.begin(), lengths.end());
    // Tables under 2^8 entries would save little more to build, and each size is a copy
    // of the decoding loop.
    const unsigned table_bits = std::max(longest, 8u);
    DecodeTable table;
    if (!build_decode_table(lengths, table_bits, table, out.size() >= kMultiSymbolMinSymbols))
        return false;
    auto walk = [&](auto decode_one) {
        return decode_blocks(in, pos, out, kBlockSymbols,
                             [&](std::span<const std::uint8_t> block, std::uint8_t* at,
                                 std::size_t n) { return decode_one(block, table, at, n); });
    };
    switch (table_bits) {
        case 8:
            return walk(decode_block<8>);
        case 9:
            return walk(decode_block<9>);
        case 10:
            return walk(decode_block<10>);
        default:
            return walk(decode_block<11>);
    }
}

}  // namespace znn::huffman
