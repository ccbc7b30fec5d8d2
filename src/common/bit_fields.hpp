// Raw bit fields, LSB-first, in the order written (delta chunks' low bits and escapes).
// Both ends are branch-free: every put stores 8 bytes and every get loads 8, so the
// writer's buffer and the reader's copy carry 8 spare bytes. A field holds up to 56 bits.
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
    explicit BitFieldWriter(Buffer& out, std::uint64_t max_bits) : out_(out) {
        out_.resize(max_bits / 8 + 16);
        at_ = out_.data();
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

// Reads fields of up to 56 bits from a copy of the stream followed by 8 zero bytes (kept
// in `copy`). The caller checks beforehand that the stream holds every bit it will ask
// for.
class BitFieldReader {
  public:
    BitFieldReader(std::span<const std::uint8_t> in, Buffer& copy) {
        copy.resize(in.size() + 8);
        if (!in.empty()) std::memcpy(copy.data(), in.data(), in.size());
        std::memset(copy.data() + in.size(), 0, 8);
        data_ = copy.data();
    }
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
