// The framing the Huffman and tANS plane formats share (man/znn.5, "Block"): a plane's
// symbols in blocks of up to kBlockSymbols, each block four interleaved backward streams
// behind a small header; and the range of symbols a code description covers.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

#include "common/bytes_io.hpp"
#include "entropy/bitstreams.hpp"

namespace znn {

// Symbols per block: the jump table's 16-bit stream sizes must hold a quarter of a block.
inline constexpr std::size_t kBlockSymbols = std::size_t{64} << 10;

// Symbols [first, second) of a block of n symbols belong to stream j (0..3).
inline std::pair<std::size_t, std::size_t> stream_range(std::size_t n, unsigned j) noexcept {
    const std::size_t quarter = (n + 3) / 4;
    const std::size_t a = std::min(n, quarter * j);
    const std::size_t b = std::min(n, quarter * (j + 1));
    return {a, b};
}

// The lowest and highest symbols with a nonzero entry (code length, tANS level); (255,
// 255) when there is none. Both coders' code descriptions cover just this range.
inline std::pair<unsigned, unsigned> used_range(
    const std::array<std::uint8_t, 256>& per_symbol) noexcept {
    unsigned first = 0;
    while (first < 255 && per_symbol[first] == 0) ++first;
    unsigned last = 255;
    while (last > first && per_symbol[last] == 0) --last;
    return {first, last};
}

// A block of four streams (man/znn.5, "Block"): u32 size of the rest, three u16 stream
// sizes, then streams 0-3 back to back, the last taking what remains.
inline constexpr std::size_t kBlockHeaderSize = 4 + 6;

// Opens the four streams of a block given without its u32 size. False if malformed.
inline bool open_four_streams(std::span<const std::uint8_t> block,
                              std::array<BackwardStream, 4>& s) noexcept {
    if (block.size() < 6) return false;
    std::array<std::size_t, 4> sizes{};
    std::size_t known = 6;
    for (unsigned j = 0; j < 3; ++j) {
        sizes[j] = load_le<std::uint16_t>(block.data() + 2 * j);
        known += sizes[j];
    }
    if (known >= block.size()) return false;
    sizes[3] = block.size() - known;
    const std::uint8_t* p = block.data() + 6;
    for (unsigned j = 0; j < 4; ++j) {
        if (!s[j].init(p, sizes[j])) return false;
        p += sizes[j];
    }
    return true;
}

// Walks a plane's blocks from in[pos] on: each a u32 size, then that many bytes holding
// the next block_symbols symbols of out (the last block the rest), decoded by
// decode_block(block, first output byte, symbols). True when every block decoded and in
// ends exactly after the last; the Huffman and tANS planes share this framing.
template <class DecodeBlock>
bool decode_blocks(std::span<const std::uint8_t> in, std::size_t pos, std::span<std::uint8_t> out,
                   std::size_t block_symbols, DecodeBlock&& decode_block) noexcept {
    for (std::size_t start = 0; start < out.size(); start += block_symbols) {
        const std::size_t n = std::min(block_symbols, out.size() - start);
        if (in.size() - pos < 4) return false;
        const std::size_t size = load_le<std::uint32_t>(in.data() + pos);
        pos += 4;
        if (size > in.size() - pos) return false;
        if (!decode_block(in.subspan(pos, size), out.data() + start, n)) return false;
        pos += size;
    }
    return pos == in.size();
}

// Writes a block's four streams at once: stream 0 in place behind the block header,
// streams 1-3 into scratch, moved behind stream 0 by finish(). Each stream may take up
// to stream_bound bytes (including the writer's 8-byte flush overhang).
template <class Writer>
struct FourStreamWriter {
    std::array<Writer, 4> w;
    std::uint8_t* block;
    std::vector<std::uint8_t>& scratch;
    std::size_t stream_bound;

    FourStreamWriter(std::uint8_t* block_start, std::vector<std::uint8_t>& scratch_buffer,
                     std::size_t bound) noexcept
        : block(block_start), scratch(scratch_buffer), stream_bound(bound) {
        if (scratch.size() < 3 * stream_bound) scratch.resize(3 * stream_bound);
        for (unsigned j = 0; j < 4; ++j) w[j].out = stream_start(j);
    }
    std::uint8_t* stream_start(unsigned j) noexcept {
        return j == 0 ? block + kBlockHeaderSize : scratch.data() + (j - 1) * stream_bound;
    }
    // Ends every stream with its end mark, assembles the block; returns its end.
    std::uint8_t* finish() noexcept {
        std::array<std::size_t, 4> sizes{};
        std::uint8_t* end = nullptr;
        for (unsigned j = 0; j < 4; ++j) {
            std::uint8_t* start = stream_start(j);
            sizes[j] = static_cast<std::size_t>(w[j].finish() - start);
            if (j == 0) {
                end = start + sizes[0];
            } else {
                std::memcpy(end, start, sizes[j]);
                end += sizes[j];
            }
        }
        store_le<std::uint32_t>(block, static_cast<std::uint32_t>(end - block - 4));
        for (unsigned j = 0; j < 3; ++j)
            store_le<std::uint16_t>(block + 4 + 2 * j, static_cast<std::uint16_t>(sizes[j]));
        return end;
    }
};

}  // namespace znn
