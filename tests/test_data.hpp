// Deterministic test inputs: model-like floats and edge-case byte patterns.
#pragma once

#include <cstdint>
#include <vector>

namespace znn::test {

// n bytes of BF16 values drawn from normal(0, sigma), rounded to nearest even.
std::vector<std::uint8_t> bf16_weights(std::size_t n, std::uint64_t seed = 1, float sigma = 0.02f);
// n bytes of FP32 values from normal(0, sigma); with bf16_precision, the low 16 bits are zero.
std::vector<std::uint8_t> fp32_weights(std::size_t n, std::uint64_t seed = 1,
                                       bool bf16_precision = false);
// n bytes of FP16 values from normal(0, sigma).
std::vector<std::uint8_t> fp16_weights(std::size_t n, std::uint64_t seed = 1);
// `elements` BF16 values below 2 in magnitude, the top mantissa bit set in one element in
// ten: the bf16x layout codes them markedly smaller than bf16.
std::vector<std::uint8_t> bf16x_friendly(std::size_t elements);
// n FP8 E4M3 values from normal(0, 1), scaled so the largest is 448 as FP8 checkpoints
// store them: a smooth, sign-symmetric distribution over ~200 byte values.
std::vector<std::uint8_t> fp8_weights(std::size_t n, std::uint64_t seed = 1);
// n uniformly random bytes.
std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint64_t seed = 1);
// n bytes where byte value k appears with probability ~ 2^-(k+1) (very skewed).
std::vector<std::uint8_t> skewed_bytes(std::size_t n, std::uint64_t seed = 1);

}  // namespace znn::test
