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

#include "common/bytes_io.hpp"

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

// The Huffman coder's writer: the same bitstream as BitWriter, built at the other end of
// the register. Pending bits sit at its top and each code enters from above, so an entry
// can hold the code already in place, (code << (64 - length)) | length: a put is then
// one shift, one OR and one add, with no masking or unpacking (5 instructions a
// symbol instead of 7). The length in the entry's low 6
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

}  // namespace znn
