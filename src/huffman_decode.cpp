// Huffman decoding: a multi-symbol lookup table and a 4-stream interleaved decoder.
//
// Every 11-bit window of a stream indexes a table entry that holds all the symbols
// whose codes fit entirely inside the window (up to 4), their total length and count.
// Exponent planes average under 3 bits a symbol, so one lookup usually yields 3-4
// symbols. Four streams are decoded in lockstep so their lookups overlap in the CPU.
#include <array>

#include "bitstreams.hpp"
#include "bytes_io.hpp"
#include "huffman.hpp"
#include "huffman_table.hpp"

namespace znn::huffman {

namespace {

constexpr unsigned kTableBits = kMaxCodeLength;
constexpr unsigned kWindowShift = 64 - kTableBits;

// Up to four symbols, their total length and count, and the length of the first symbol
// alone (for the careful tail decoder). Separate byte fields let the hot loop read each
// with one load instead of shifting and masking a packed word (measured: 8% faster).
struct Entry {
    std::uint32_t symbols;
    std::uint8_t total;
    std::uint8_t count;
    std::uint8_t first;
    std::uint8_t unused;
};
static_assert(sizeof(Entry) == 8);
using DecodeTable = std::array<Entry, 1u << kTableBits>;

Entry make_entry(std::uint32_t symbols, unsigned total, unsigned count, unsigned first) {
    return {symbols, static_cast<std::uint8_t>(total), static_cast<std::uint8_t>(count),
            static_cast<std::uint8_t>(first), 0};
}

// Planes shorter than this get one symbol a lookup: filling the multi-symbol table costs
// ~8 us, as much as decoding some 10 000 symbols, and files of many small tensors (the
// shared mixed-dtype file: 140 F32 exponent planes of 40 symbols) paid it on every one.
constexpr std::size_t kMultiSymbolMinSymbols = 8192;

bool build_decode_table(const CodeLengths& lengths, DecodeTable& table, bool multi_symbol) noexcept {
    std::array<std::uint16_t, 256> codes{};
    if (!assign_canonical_codes(lengths, codes)) return false;
    // single[w]: (length << 8) | symbol of the code that prefixes window w; 0 if none.
    std::array<std::uint16_t, 1u << kTableBits> single{};
    for (unsigned s = 0; s < 256; ++s) {
        const unsigned len = lengths[s];
        if (len == 0) continue;
        const unsigned first = static_cast<unsigned>(codes[s]) << (kTableBits - len);
        const unsigned span = 1u << (kTableBits - len);
        for (unsigned w = first; w < first + span; ++w) single[w] = static_cast<std::uint16_t>((len << 8) | s);
    }
    for (unsigned w = 0; w < table.size(); ++w) {
        if (!multi_symbol && single[w] != 0) {
            table[w] = make_entry(single[w] & 0xFFu, single[w] >> 8, 1, single[w] >> 8);
            continue;
        }
        if (single[w] == 0) {
            // A window no code reaches (incomplete code): consume bits so decoding ends;
            // the stream-length check then reports the corruption.
            table[w] = make_entry(0, kTableBits, 1, kTableBits);
            continue;
        }
        std::uint32_t symbols = 0;
        unsigned total = 0;
        unsigned count = 0;
        while (count < 4) {
            const unsigned e = single[(w << total) & ((1u << kTableBits) - 1)];
            const unsigned len = e >> 8;
            if (len == 0 || len > kTableBits - total) break;
            symbols |= (e & 0xFFu) << (8 * count);
            total += len;
            ++count;
        }
        table[w] = make_entry(symbols, total, count, single[w] >> 8);
    }
    return true;
}

// Decodes one symbol at a time until out reaches end; used for the last few symbols.
bool decode_tail(BackwardStream& s, const DecodeTable& table, std::uint8_t* out, std::uint8_t* end) noexcept {
    while (out < end) {
        s.reload();
        if (s.consumed >= 64) return false;
        const Entry e = table[(s.bits << s.consumed) >> kWindowShift];
        *out++ = static_cast<std::uint8_t>(e.symbols);
        s.consumed += e.first;
    }
    s.reload();
    return s.finished();
}

bool decode_block(std::span<const std::uint8_t> block, const DecodeTable& table, std::uint8_t* out,
                  std::size_t n) noexcept {
    std::array<BackwardStream, 4> s;
    if (!open_four_streams(block, s)) return false;
    std::array<std::uint8_t*, 4> op{};
    std::array<std::uint8_t*, 4> op_end{};
    for (unsigned j = 0; j < 4; ++j) {
        const auto [a, b] = stream_range(n, j);
        op[j] = out + a;
        op_end[j] = out + b;
    }

    // Fast loop: each round reloads every stream once (leaving >= 57 bits) and does five
    // lookups of <= 11 bits each, writing <= 20 symbols, so nothing needs checking inside.
    auto can_run = [&] {
        for (unsigned j = 0; j < 4; ++j) {
            if (s[j].ptr - s[j].start < 8 || op_end[j] - op[j] < 20) return false;
        }
        return true;
    };
    while (can_run()) {
        for (unsigned j = 0; j < 4; ++j) {
            s[j].ptr -= s[j].consumed >> 3;
            s[j].consumed &= 7;
            s[j].bits = load_le<std::uint64_t>(s[j].ptr);
        }
        for (unsigned k = 0; k < 5; ++k) {
            for (unsigned j = 0; j < 4; ++j) {
                const Entry& e = table[(s[j].bits << s[j].consumed) >> kWindowShift];
                store_le<std::uint32_t>(op[j], e.symbols);
                op[j] += e.count;
                s[j].consumed += e.total;
            }
        }
    }
    for (unsigned j = 0; j < 4; ++j) {
        if (!decode_tail(s[j], table, op[j], op_end[j])) return false;
    }
    return true;
}

}  // namespace

bool decode(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    CodeLengths lengths;
    std::size_t pos = read_table(in, lengths);
    if (pos == 0) return false;
    DecodeTable table;
    if (!build_decode_table(lengths, table, out.size() >= kMultiSymbolMinSymbols)) return false;
    return decode_blocks(in, pos, out, kBlockSymbols, [&](std::span<const std::uint8_t> block, std::uint8_t* at, std::size_t n) {
        return decode_block(block, table, at, n);
    });
}

}  // namespace znn::huffman
