// SHA-256 and SHA-1 as FIPS 180-4 specifies them (sections 5.1.1 and 6): message schedule,
// rounds and padding. SHA-256 runs on the CPU's SHA extensions where simd offers them.
#include "model/sha.hpp"

#include "simd/kernels.hpp"
#include "simd/sha256_constants.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace znn {

namespace {

std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

void store_be32(std::uint8_t* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

// One block, FIPS 180-4 §6.2.2.
void sha256_block(std::uint32_t* state, const std::uint8_t* block) noexcept {
    std::array<std::uint32_t, 64> w;
    for (int t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; ++t) {
        const std::uint32_t s0 =
            std::rotr(w[t - 15], 7) ^ std::rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        const std::uint32_t s1 =
            std::rotr(w[t - 2], 17) ^ std::rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    std::uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; ++t) {
        const std::uint32_t big_s1 = std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25);
        const std::uint32_t ch = (e & f) ^ (~e & g);
        const std::uint32_t t1 = h + big_s1 + ch + kSha256Constants[t] + w[t];
        const std::uint32_t big_s0 = std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22);
        const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        const std::uint32_t t2 = big_s0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    const std::array<std::uint32_t, 8> add = {a, b, c, d, e, f, g, h};
    for (int i = 0; i < 8; ++i) state[i] += add[i];
}

}  // namespace

void sha256_blocks_portable(std::uint32_t* state, const std::uint8_t* blocks,
                            std::size_t count) noexcept {
    for (; count > 0; --count, blocks += 64) sha256_block(state, blocks);
}

void Sha256Block::compress(const std::uint8_t* blocks, std::size_t count) noexcept {
    static const simd::Sha256Blocks fast = simd::sha256_blocks();
    if (fast) return fast(state.data(), blocks, count);
    sha256_blocks_portable(state.data(), blocks, count);
}

void Sha1Block::compress(const std::uint8_t* blocks, std::size_t count) noexcept {
    for (; count > 0; --count, blocks += 64) compress_one(blocks);
}

void Sha1Block::compress_one(const std::uint8_t* block) noexcept {
    std::array<std::uint32_t, 80> w;
    for (int t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 80; ++t) w[t] = std::rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    auto [a, b, c, d, e] = state;
    for (int t = 0; t < 80; ++t) {
        std::uint32_t f;
        std::uint32_t k;
        if (t < 20) {
            f = (b & c) ^ (~b & d);
            k = 0x5a827999;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1;
        } else if (t < 60) {
            f = (b & c) ^ (b & d) ^ (c & d);
            k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }
        const std::uint32_t temp = std::rotl(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = std::rotl(b, 30);
        b = a;
        a = temp;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
}

template <class Block>
void MerkleDamgard<Block>::update(std::span<const std::uint8_t> data) noexcept {
    total_ += data.size();
    if (pending_size_ > 0) {
        const std::size_t take = std::min(data.size(), pending_.size() - pending_size_);
        std::memcpy(pending_.data() + pending_size_, data.data(), take);
        pending_size_ += take;
        data = data.subspan(take);
        if (pending_size_ < pending_.size()) return;
        block_.compress(pending_.data(), 1);
        pending_size_ = 0;
    }
    const std::size_t whole = data.size() / 64;
    block_.compress(data.data(), whole);
    data = data.subspan(64 * whole);
    std::memcpy(pending_.data(), data.data(), data.size());
    pending_size_ = data.size();
}

template <class Block>
typename MerkleDamgard<Block>::Digest MerkleDamgard<Block>::finish() noexcept {
    const std::uint64_t bits = total_ * 8;
    // A 1 bit, then zeros up to 8 bytes short of a block boundary, then the length.
    std::array<std::uint8_t, 72> tail{};
    tail[0] = 0x80;
    const std::size_t zeros = (pending_size_ < 56 ? 56 : 120) - pending_size_;
    for (int i = 0; i < 8; ++i)
        tail[zeros + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
    update({tail.data(), zeros + 8});
    Digest digest;
    for (std::size_t i = 0; i < block_.state.size(); ++i)
        store_be32(digest.data() + 4 * i, block_.state[i]);
    return digest;
}

template class MerkleDamgard<Sha256Block>;
template class MerkleDamgard<Sha1Block>;

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * bytes.size());
    for (const std::uint8_t byte : bytes) {
        hex += kDigits[byte >> 4];
        hex += kDigits[byte & 0xf];
    }
    return hex;
}

}  // namespace znn
