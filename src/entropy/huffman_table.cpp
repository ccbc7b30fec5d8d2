#include "entropy/huffman_table.hpp"

#include <algorithm>

namespace znn::huffman {

std::size_t table_size(const CodeLengths& lengths) noexcept {
    const auto [first, last] = used_range(lengths);
    return 2 + (last - first + 2) / 2;
}

std::size_t write_table(const CodeLengths& lengths, std::uint8_t* out) noexcept {
    const auto [first, last] = used_range(lengths);
    out[0] = static_cast<std::uint8_t>(first);
    out[1] = static_cast<std::uint8_t>(last);
    const std::size_t size = table_size(lengths);
    std::fill(out + 2, out + size, std::uint8_t{0});
    for (unsigned s = first; s <= last; ++s) {
        const unsigned k = s - first;
        out[2 + k / 2] = static_cast<std::uint8_t>(out[2 + k / 2] | (lengths[s] << (4 * (k & 1))));
    }
    return size;
}

std::size_t read_table(std::span<const std::uint8_t> in, CodeLengths& lengths) noexcept {
    lengths.fill(0);
    if (in.size() < 2) return 0;
    const unsigned first = in[0];
    const unsigned last = in[1];
    if (last < first) return 0;
    const std::size_t size = 2 + (last - first + 2) / 2;
    if (in.size() < size) return 0;
    for (unsigned s = first; s <= last; ++s) {
        const unsigned k = s - first;
        const unsigned len = (in[2 + k / 2] >> (4 * (k & 1))) & 0xF;
        if (len > kMaxCodeLength) return 0;
        lengths[s] = static_cast<std::uint8_t>(len);
    }
    // Only the canonical form is valid: the range ends on used symbols and an unused high
    // nibble is 0. Otherwise a flipped bit in `last` could add an absent symbol and leave
    // the decoded plane, and so the corruption, unnoticed.
    if (lengths[first] == 0 || lengths[last] == 0) return 0;
    if ((last - first) % 2 == 0 && (in[size - 1] >> 4) != 0) return 0;
    return size;
}

bool assign_canonical_codes(const CodeLengths& lengths,
                            std::array<std::uint16_t, 256>& codes) noexcept {
    std::array<std::uint32_t, kMaxCodeLength + 2> per_length{};
    for (unsigned s = 0; s < 256; ++s) ++per_length[lengths[s]];
    per_length[0] = 0;
    // Kraft check in units of 2^-kMaxCodeLength.
    std::uint32_t kraft = 0;
    for (unsigned len = 1; len <= kMaxCodeLength; ++len)
        kraft += per_length[len] << (kMaxCodeLength - len);
    if (kraft > (1u << kMaxCodeLength)) return false;
    std::array<std::uint32_t, kMaxCodeLength + 2> next{};
    std::uint32_t code = 0;
    for (unsigned len = 1; len <= kMaxCodeLength; ++len) {
        code = (code + per_length[len - 1]) << 1;
        next[len] = code;
    }
    for (unsigned s = 0; s < 256; ++s) {
        const unsigned len = lengths[s];
        codes[s] = len ? static_cast<std::uint16_t>(next[len]++) : 0;
    }
    return true;
}

}  // namespace znn::huffman
