// Raw bit fields, LSB-first, in the order written (delta chunks' low bits and escapes).
// Both ends are branch-free: every put stores 8 bytes and every get loads 8. The writer's
// buffer and the reader's copy carry spare bytes for vector code, which stores or loads a
// whole register at the current byte. A field holds up to 56 bits.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "common/buffer.hpp"
#include "common/bytes_io.hpp"

namespace znn {

// Appends fields of up to 56 bits, each holding nothing above its width. The constructor
// makes room for max_bits.
class BitFieldWriter {
  public:
    static constexpr std::size_t kWriterSlack = 64;

    explicit BitFieldWriter(Buffer& out, std::uint64_t max_bits) : out_(out) {
        resize_discarding(out_, max_bits / 8 + 8 + kWriterSlack);
        at_ = out_.data();
    }
    // For vector writers: the byte the next bit goes to (kWriterSlack bytes writable from
    // it), how many bits are pending in it and their value (nothing above them), which a
    // writer storing from `byte` ORs into its first byte.
    struct Position {
        std::uint8_t* byte;
        unsigned bit;
        std::uint64_t pending;
    };
    Position position() const noexcept { return {at_, used_, acc_}; }
    void set_position(const Position& p) noexcept {
        at_ = p.byte;
        used_ = p.bit;
        acc_ = p.pending;
    }
    // At most 7 bits are pending before, so at most 63 after: the shift stays under 64.
    void put(std::uint64_t value, unsigned bits) noexcept {
        acc_ |= value << used_;
        used_ += bits;
        store_le<std::uint64_t>(at_, acc_);
        at_ += used_ >> 3;
        acc_ >>= used_ & ~7u;
        used_ &= 7;
    }
    // Flushes the last partial byte and trims the buffer; returns its size.
    std::size_t finish() {
        store_le<std::uint64_t>(at_, acc_);
        const std::size_t size = static_cast<std::size_t>(at_ - out_.data()) + (used_ + 7) / 8;
        out_.resize(size);
        return size;
    }

  private:
    Buffer& out_;
    std::uint8_t* at_;
    std::uint64_t acc_ = 0;
    unsigned used_ = 0;
};

// Reads fields of up to 56 bits from a copy of the stream followed by kReaderSlack zero
// bytes (kept in `copy`). The caller checks beforehand that the stream holds every bit it
// will ask for.
class BitFieldReader {
  public:
    static constexpr std::size_t kReaderSlack = 64;

    BitFieldReader(std::span<const std::uint8_t> in, Buffer& copy) {
        copy.resize(in.size() + kReaderSlack);
        if (!in.empty()) std::memcpy(copy.data(), in.data(), in.size());
        std::memset(copy.data() + in.size(), 0, kReaderSlack);
        data_ = copy.data();
    }
    // For vector readers: the byte holding the next bit (kReaderSlack readable bytes from
    // it), the next bit's place in that byte, and a step over fields read there.
    const std::uint8_t* byte() const noexcept { return data_ + (pos_ >> 3); }
    unsigned bit() const noexcept { return static_cast<unsigned>(pos_ & 7); }
    void skip(std::uint64_t bits) noexcept { pos_ += bits; }
    // mask: the low `bits` bits set.
    std::uint64_t get(unsigned bits, std::uint64_t mask) noexcept {
        const std::uint64_t v = load_le<std::uint64_t>(data_ + (pos_ >> 3)) >> (pos_ & 7);
        pos_ += bits;
        return v & mask;
    }
    std::uint64_t get(unsigned bits) noexcept { return get(bits, (std::uint64_t{1} << bits) - 1); }

  private:
    const std::uint8_t* data_;
    std::uint64_t pos_ = 0;
};

}  // namespace znn
