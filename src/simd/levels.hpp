// Each level's kernels, as kernels.cpp puts them into tables. A level declares only the
// kernels it specialises; the table takes the rest from the level below. Only kernels.cpp
// and the kernels_<level>.cpp files include this.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd/kernels.hpp"

namespace znn::simd {

// Plain C++: the reference every other level must match byte for byte.
namespace scalar {
void split_bf16(const std::uint8_t* src, std::size_t k, std::uint8_t* e, std::uint8_t* sm) noexcept;
void join_bf16(const std::uint8_t* e, const std::uint8_t* sm, std::size_t k,
               std::uint8_t* dst) noexcept;
void split_bf16x(const std::uint8_t* src, std::size_t k, std::uint8_t* sym,
                 std::uint8_t* packed) noexcept;
void join_bf16x(const std::uint8_t* sym, const std::uint8_t* packed, std::size_t k,
                std::uint8_t* dst) noexcept;
void split_pairs(const std::uint8_t* src, std::size_t k, std::uint8_t* lo,
                 std::uint8_t* hi) noexcept;
void join_pairs(const std::uint8_t* lo, const std::uint8_t* hi, std::size_t k,
                std::uint8_t* dst) noexcept;
void split_fp32(const std::uint8_t* src, std::size_t k, std::uint8_t* const* p) noexcept;
void join_fp32(const std::uint8_t* const* p, std::size_t k, std::uint8_t* dst) noexcept;
void split_fp8(const std::uint8_t* src, std::size_t k, std::uint8_t* magnitudes,
               std::uint8_t* signs) noexcept;
void join_fp8(const std::uint8_t* magnitudes, const std::uint8_t* signs, std::size_t k,
              std::uint8_t* dst) noexcept;
std::size_t scan_known_elements(const std::uint8_t* src, std::size_t begin, std::size_t end,
                                const ByteSet& clear, const ByteSet& set) noexcept;
std::size_t scan_known_bytes(const std::uint8_t* p, std::size_t begin, std::size_t end,
                             const ByteSet& known) noexcept;
std::uint64_t xxh3(const std::uint8_t* data, std::size_t size) noexcept;
void xxh3_update(void* state, const std::uint8_t* data, std::size_t size) noexcept;
void copy_streaming(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) noexcept;
void split_groups(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                  const std::uint8_t* src, std::size_t k, std::uint8_t** out) noexcept;
void merge_groups(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                  const std::uint8_t** in, std::size_t k, std::uint8_t* dst) noexcept;
void delta_census16(const std::uint8_t* b, std::size_t k, const DeltaFormat& f,
                    const std::uint8_t* cuts, unsigned groups, std::uint8_t* exponents,
                    DeltaCensus& c) noexcept;
void delta_encode16(const std::uint8_t* x, const std::uint8_t* b, std::size_t k,
                    const DeltaFormat& f, std::uint8_t* symbols, BitFieldWriter& low,
                    BitFieldWriter& escapes) noexcept;
void delta_decode16(const std::uint8_t* b, const std::uint8_t* symbols, std::size_t k,
                    const DeltaFormat& f, BitFieldReader& low, BitFieldReader& escapes,
                    std::uint8_t* out) noexcept;
void delta_census32(const std::uint8_t* b, std::size_t k, const DeltaFormat& f,
                    const std::uint8_t* cuts, unsigned groups, std::uint8_t* exponents,
                    DeltaCensus& c) noexcept;
void delta_encode32(const std::uint8_t* x, const std::uint8_t* b, std::size_t k,
                    const DeltaFormat& f, std::uint8_t* symbols, BitFieldWriter& low,
                    BitFieldWriter& escapes) noexcept;
void delta_decode32(const std::uint8_t* b, const std::uint8_t* symbols, std::size_t k,
                    const DeltaFormat& f, BitFieldReader& low, BitFieldReader& escapes,
                    std::uint8_t* out) noexcept;
}  // namespace scalar

// SSE2, which every x86-64 CPU has.
namespace sse2 {
void split_bf16(const std::uint8_t* src, std::size_t k, std::uint8_t* e, std::uint8_t* sm) noexcept;
void join_bf16(const std::uint8_t* e, const std::uint8_t* sm, std::size_t k,
               std::uint8_t* dst) noexcept;
void split_bf16x(const std::uint8_t* src, std::size_t k, std::uint8_t* sym,
                 std::uint8_t* packed) noexcept;
void join_bf16x(const std::uint8_t* sym, const std::uint8_t* packed, std::size_t k,
                std::uint8_t* dst) noexcept;
void split_pairs(const std::uint8_t* src, std::size_t k, std::uint8_t* lo,
                 std::uint8_t* hi) noexcept;
void join_pairs(const std::uint8_t* lo, const std::uint8_t* hi, std::size_t k,
                std::uint8_t* dst) noexcept;
void split_fp32(const std::uint8_t* src, std::size_t k, std::uint8_t* const* p) noexcept;
void join_fp32(const std::uint8_t* const* p, std::size_t k, std::uint8_t* dst) noexcept;
void split_fp8(const std::uint8_t* src, std::size_t k, std::uint8_t* magnitudes,
               std::uint8_t* signs) noexcept;
void join_fp8(const std::uint8_t* magnitudes, const std::uint8_t* signs, std::size_t k,
              std::uint8_t* dst) noexcept;
std::uint64_t xxh3(const std::uint8_t* data, std::size_t size) noexcept;
void xxh3_update(void* state, const std::uint8_t* data, std::size_t size) noexcept;
void copy_streaming(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) noexcept;
}  // namespace sse2

// SSSE3: byte shuffles.
namespace ssse3 {
void join_bf16x(const std::uint8_t* sym, const std::uint8_t* packed, std::size_t k,
                std::uint8_t* dst) noexcept;
void split_groups(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                  const std::uint8_t* src, std::size_t k, std::uint8_t** out) noexcept;
void merge_groups(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                  const std::uint8_t** in, std::size_t k, std::uint8_t* dst) noexcept;
}  // namespace ssse3

// AVX2: 32-byte vectors.
namespace avx2 {
void split_bf16(const std::uint8_t* src, std::size_t k, std::uint8_t* e, std::uint8_t* sm) noexcept;
void join_bf16(const std::uint8_t* e, const std::uint8_t* sm, std::size_t k,
               std::uint8_t* dst) noexcept;
void join_bf16x(const std::uint8_t* sym, const std::uint8_t* packed, std::size_t k,
                std::uint8_t* dst) noexcept;
std::size_t scan_known_elements(const std::uint8_t* src, std::size_t begin, std::size_t end,
                                const ByteSet& clear, const ByteSet& set) noexcept;
std::size_t scan_known_bytes(const std::uint8_t* p, std::size_t begin, std::size_t end,
                             const ByteSet& known) noexcept;
std::uint64_t xxh3(const std::uint8_t* data, std::size_t size) noexcept;
void xxh3_update(void* state, const std::uint8_t* data, std::size_t size) noexcept;
}  // namespace avx2

// AVX-512 (F, BW, VL, VBMI, VBMI2): byte permutes, compress and expand, 16-bit variable
// shifts.
namespace avx512 {
void split_groups(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                  const std::uint8_t* src, std::size_t k, std::uint8_t** out) noexcept;
void merge_groups(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                  const std::uint8_t** in, std::size_t k, std::uint8_t* dst) noexcept;
void delta_census16(const std::uint8_t* b, std::size_t k, const DeltaFormat& f,
                    const std::uint8_t* cuts, unsigned groups, std::uint8_t* exponents,
                    DeltaCensus& c) noexcept;
void delta_encode16(const std::uint8_t* x, const std::uint8_t* b, std::size_t k,
                    const DeltaFormat& f, std::uint8_t* symbols, BitFieldWriter& low,
                    BitFieldWriter& escapes) noexcept;
void delta_decode16(const std::uint8_t* b, const std::uint8_t* symbols, std::size_t k,
                    const DeltaFormat& f, BitFieldReader& low, BitFieldReader& escapes,
                    std::uint8_t* out) noexcept;
void delta_census32(const std::uint8_t* b, std::size_t k, const DeltaFormat& f,
                    const std::uint8_t* cuts, unsigned groups, std::uint8_t* exponents,
                    DeltaCensus& c) noexcept;
void delta_encode32(const std::uint8_t* x, const std::uint8_t* b, std::size_t k,
                    const DeltaFormat& f, std::uint8_t* symbols, BitFieldWriter& low,
                    BitFieldWriter& escapes) noexcept;
void delta_decode32(const std::uint8_t* b, const std::uint8_t* symbols, std::size_t k,
                    const DeltaFormat& f, BitFieldReader& low, BitFieldReader& escapes,
                    std::uint8_t* out) noexcept;
}  // namespace avx512

}  // namespace znn::simd
