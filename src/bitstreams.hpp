// The bitstreams shared by the Huffman and ANS plane coders (man/znn.5, "Stream bit
// order"): written forwards, read from the end mark down to bit 0, so a decoder can run
// several streams at once with no per-symbol bounds checks.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "bytes_io.hpp"

namespace znn {

// One bitstream being written forwards. Coders put symbols in reverse order, so the
// backward-reading decoder meets them in forward order.
struct BitWriter {
    std::uint64_t acc = 0;
    unsigned used = 0;
    std::uint8_t* out = nullptr;

    void put(std::uint32_t entry) noexcept {  // entry: code | length << 16
        acc |= std::uint64_t{entry & 0xFFFF} << used;
        used += entry >> 16;
    }
    // Needs 8 bytes of room at out. At most 7 + 4 * 11 + 1 bits are pending, so the
    // shift below is always under 64.
    void flush() noexcept {
        store_le<std::uint64_t>(out, acc);
        out += used >> 3;
        acc >>= used & ~7u;
        used &= 7;
    }
    // The 1-bit end mark, then the last partial byte. Returns the end of the stream.
    std::uint8_t* finish() noexcept {
        acc |= std::uint64_t{1} << used;
        used += 1;
        flush();
        if (used > 0) ++out;
        return out;
    }
};

// One backward bitstream. `bits` holds the 8 bytes at `ptr`; `consumed` counts the bits
// already used from its top. Streams shorter than 8 bytes are copied into `padded` behind
// zero bytes so every load stays inside memory we own; `pad_bits` says how many bits
// of that zero prefix are not part of the stream.
struct BackwardStream {
    const std::uint8_t* start = nullptr;
    const std::uint8_t* ptr = nullptr;
    std::uint64_t bits = 0;
    unsigned consumed = 0;
    unsigned pad_bits = 0;
    std::array<std::uint8_t, 8> padded{};

    bool init(const std::uint8_t* begin, std::size_t size) noexcept {
        if (size == 0 || begin[size - 1] == 0) return false;  // no end mark
        if (size >= 8) {
            start = begin;
            ptr = begin + size - 8;
        } else {
            padded.fill(0);
            for (std::size_t k = 0; k < size; ++k) padded[8 - size + k] = begin[k];
            start = ptr = padded.data();
            pad_bits = static_cast<unsigned>(8 * (8 - size));
        }
        bits = load_le<std::uint64_t>(ptr);
        consumed = static_cast<unsigned>(__builtin_clzll(bits)) + 1;  // skip zeros + end mark
        return true;
    }

    // Moves back over whole consumed bytes, never before start.
    void reload() noexcept {
        std::size_t back = consumed >> 3;
        const auto room = static_cast<std::size_t>(ptr - start);
        if (back > room) back = room;
        ptr -= back;
        consumed -= static_cast<unsigned>(back * 8);
        bits = load_le<std::uint64_t>(ptr);
    }

    // True when every bit of the stream, and no more, has been used.
    bool finished() const noexcept {
        const auto unread = static_cast<std::int64_t>(ptr - start) * 8 + 64 -
                            std::int64_t{consumed} - std::int64_t{pad_bits};
        return unread == 0;
    }
};

// The decoders' fast loops read a stream through a "marked window": the 8 bytes at ptr,
// moved back over the whole bytes already used and shifted so the next unread bit is on
// top, with a marker bit at bit 0. Decoding shifts the window left as it uses bits, so a
// peek is one constant shift; at the next reload the marker's position tells how many
// bits went, instead of a counter updated on every symbol. A window holds >= 56 usable
// bits (at most 7 bits of the first byte were used; bit 0 is the marker), and whatever
// is read from it must stay under 64 bits so the marker survives.
inline std::uint64_t load_marked_window(const std::uint8_t*& ptr, unsigned& used) noexcept {
    ptr -= used >> 3;
    const std::uint64_t window = (load_le<std::uint64_t>(ptr) << (used & 7)) | 1;
    used &= 7;
    return window;
}
// Adds the bits used from a marked window since it was loaded.
inline void count_marked_bits(std::uint64_t window, unsigned& used) noexcept {
    used += static_cast<unsigned>(__builtin_ctzll(window));
}

// A block of four streams (man/znn.5, "Block"): u32 size of the rest, three u16 stream
// sizes, then streams 0-3 back to back, the last taking what remains.
inline constexpr std::size_t kFourStreamHeaderSize = 4 + 6;

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

// The Huffman coder's writer: the same bitstream as BitWriter, built at the other end of
// the register. Pending bits sit at its top and each code enters from above, so an entry
// can hold the code already in place, (code << (64 - length)) | length: a put is then
// one shift, one OR and one add, with no masking or unpacking (7 -> 5 instructions a
// symbol; 8-bit planes 0.60 -> 0.51 ns a symbol). The length in the entry's low 6
// bits is the shift count x86 uses anyway; in `bits` it is garbage below the pending
// bits, and in `pending` the codes add garbage above bit 41 that flush() masks off.
struct TopBitWriter {
    std::uint64_t bits = 0;     // the pending bits are the top (pending & 63)
    std::uint64_t pending = 0;  // low 6 bits: how many bits are pending
    std::uint8_t* out = nullptr;

    // entry: codes << (64 - total length) | total length, the total at most 22.
    static constexpr std::uint64_t entry(std::uint64_t codes, unsigned length) noexcept {
        return (codes << (64 - length)) | length;
    }
    void put(std::uint64_t e) noexcept {
        bits = (bits >> (e & 63)) | e;
        pending += e;
    }
    // Needs 8 bytes of room at out; at most 7 + 2 * 22 + 1 bits may be pending. With none
    // pending it stores garbage and stays put: the next flush overwrites it.
    void flush() noexcept {
        const auto n = static_cast<unsigned>(pending & 63);
        store_le<std::uint64_t>(out, bits >> ((64 - n) & 63));
        out += n >> 3;
        pending = n & 7;
    }
    // The 1-bit end mark, then the last partial byte. Returns the end of the stream.
    std::uint8_t* finish() noexcept {
        put(entry(1, 1));
        flush();
        if ((pending & 63) > 0) ++out;
        return out;
    }
};

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
        return j == 0 ? block + kFourStreamHeaderSize : scratch.data() + (j - 1) * stream_bound;
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
