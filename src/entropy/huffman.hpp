// Our canonical Huffman coder for byte planes.
//
// Codes are limited to kMaxCodeLength (11) bits so a decoder table has at most 2^11
// entries and stays in L1; the decoder sizes it by the plane's longest code. A plane is
// coded as: a code-length table, then blocks of up to kBlockSymbols symbols. Each block
// follows the shape of RFC 8878 §4.2.1: a 6-byte jump table of three 16-bit stream
// sizes, then four interleaved bitstreams, each holding a quarter of the block. Streams
// are written forwards and read backwards, the last byte carrying a 1 bit that marks
// where the data ends, so a decoder can run four streams at once with no per-symbol
// bounds checks. The exact byte layout is in man/znn.5.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "entropy/histogram.hpp"

namespace znn::huffman {

inline constexpr unsigned kMaxCodeLength = 11;

using CodeLengths = std::array<std::uint8_t, 256>;  // 0: symbol absent

// Length-limited Huffman code lengths for a histogram with at least one nonzero count.
// With short_code_max_loss > 0, codes of at most kShortCodeLength bits are taken when
// they cost at most that share more bits: the decoder sizes its table by the longest
// code, so they halve the time to build it.
inline constexpr unsigned kShortCodeLength = 10;
CodeLengths build_code_lengths(const Histogram& counts, double short_code_max_loss = 0) noexcept;

// Bytes encode() writes for `symbols` symbols with these counts and lengths, to within
// a few bytes per block (stream padding); used to choose between codecs.
std::size_t estimate_size(const Histogram& counts, const CodeLengths& lengths,
                          std::size_t symbols) noexcept;

// A buffer of this many bytes always holds encode()'s output.
std::size_t encode_bound(std::size_t symbols) noexcept;

// Encodes symbols (all of which must have a nonzero length) into out, which must hold
// encode_bound(symbols.size()) bytes. Returns the bytes written.
std::size_t encode(std::span<const std::uint8_t> symbols, const CodeLengths& lengths,
                   std::uint8_t* out) noexcept;

// Decodes exactly out.size() symbols from in. Returns false if in is malformed or does not
// hold exactly that many symbols; never reads outside in or writes outside out.
bool decode(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept;

// Shared by encoder and decoder: canonical codes from lengths (shorter codes first, ties in
// symbol order). Returns false when the lengths over-subscribe the code space.
bool assign_canonical_codes(const CodeLengths& lengths,
                            std::array<std::uint16_t, 256>& codes) noexcept;

}  // namespace znn::huffman
