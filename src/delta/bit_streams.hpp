// Raw bit fields of a delta chunk (the low bits and the escapes): LSB-first, element order.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "common/buffer.hpp"

namespace znn::delta {

// Appends fields of up to 32 bits. reserve() must have made room for every bit first.
class BitWriter {
  public:
    explicit BitWriter(Buffer& out, std::uint64_t max_bits) : out_(out) {
        out_.resize(max_bits / 8 + 16);
        at_ = out_.data();
    }
    void put(std::uint64_t value, unsigned bits) noexcept {
        acc_ |= value << used_;
        used_ += bits;
        if (used_ >= 32) {
            std::memcpy(at_, &acc_, 8);
            at_ += 4;
            acc_ >>= 32;
            used_ -= 32;
        }
    }
    // Flushes the last partial byte and trims the buffer; returns its size.
    std::size_t finish() {
        std::memcpy(at_, &acc_, 8);
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

// Reads fields of up to 32 bits. The caller checks beforehand that the stream holds every
// bit it will ask for, so reads never pass its end.
class BitReader {
  public:
    explicit BitReader(std::span<const std::uint8_t> in) : in_(in) {}
    std::uint64_t get(unsigned bits) noexcept {
        const std::size_t byte = static_cast<std::size_t>(pos_ >> 3);
        std::uint64_t v = 0;
        if (byte + 8 <= in_.size())
            std::memcpy(&v, in_.data() + byte, 8);
        else if (byte < in_.size())
            std::memcpy(&v, in_.data() + byte, in_.size() - byte);
        v >>= pos_ & 7;
        pos_ += bits;
        return v & ((std::uint64_t{1} << bits) - 1);
    }

  private:
    std::span<const std::uint8_t> in_;
    std::uint64_t pos_ = 0;
};

}  // namespace znn::delta
