#include "test_data.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

namespace znn::test {

namespace {

std::uint16_t to_bf16(float f) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    bits += 0x7FFF + ((bits >> 16) & 1);  // round to nearest even
    return static_cast<std::uint16_t>(bits >> 16);
}

}  // namespace

std::vector<std::uint8_t> fp8_weights(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> values(n);
    float largest = 1e-6f;
    for (auto& v : values) largest = std::max(largest, std::fabs(v = normal(rng)));
    std::vector<std::uint8_t> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        const float a = std::fabs(values[i]) * 448.0f / largest;
        int e = a > 0 ? static_cast<int>(std::floor(std::log2(a))) : -7;
        unsigned code = 0;
        if (e < -6) {  // subnormal: steps of 2^-9
            code = std::min(7u, static_cast<unsigned>(std::lround(a * 512.0f)));
        } else {
            auto m = static_cast<unsigned>(std::lround((a / std::ldexp(1.0f, e) - 1.0f) * 8.0f));
            if (m == 8) m = 0, ++e;
            code = std::min(0x7Eu, static_cast<unsigned>((e + 7) << 3) | m);
        }
        out[i] = static_cast<std::uint8_t>(code | (values[i] < 0 ? 0x80u : 0u));
    }
    return out;
}

std::vector<std::uint8_t> bf16_weights(std::size_t n, std::uint64_t seed, float sigma) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, sigma);
    std::vector<std::uint8_t> out(n);
    for (std::size_t i = 0; i + 1 < n; i += 2) {
        const std::uint16_t v = to_bf16(normal(rng));
        std::memcpy(out.data() + i, &v, 2);
    }
    if (n % 2) out[n - 1] = 0x3C;
    return out;
}

std::vector<std::uint8_t> fp32_weights(std::size_t n, std::uint64_t seed, bool bf16_precision) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<std::uint8_t> out(n);
    for (std::size_t i = 0; i + 3 < n; i += 4) {
        float f = normal(rng);
        if (bf16_precision) {
            const std::uint32_t bits = std::uint32_t{to_bf16(f)} << 16;
            std::memcpy(&f, &bits, 4);
        }
        std::memcpy(out.data() + i, &f, 4);
    }
    return out;
}

std::vector<std::uint8_t> fp16_weights(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<std::uint8_t> out(n);
    for (std::size_t i = 0; i + 1 < n; i += 2) {
        // Float to half by hand (normals and flush-to-zero are enough for test data).
        const float f = normal(rng);
        std::uint32_t b;
        std::memcpy(&b, &f, 4);
        const std::uint32_t sign = (b >> 16) & 0x8000;
        const int exp = static_cast<int>((b >> 23) & 0xFF) - 127 + 15;
        std::uint16_t h = static_cast<std::uint16_t>(sign);
        if (exp > 0 && exp < 31)
            h = static_cast<std::uint16_t>(sign | (static_cast<std::uint32_t>(exp) << 10) |
                                           ((b >> 13) & 0x3FF));
        std::memcpy(out.data() + i, &h, 2);
    }
    return out;
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::uint8_t> out(n);
    for (auto& b : out) b = static_cast<std::uint8_t>(rng());
    return out;
}

std::vector<std::uint8_t> skewed_bytes(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::uint8_t> out(n);
    for (auto& b : out) {
        const std::uint64_t r = rng();
        b = static_cast<std::uint8_t>(r == 0 ? 63 : __builtin_ctzll(r));
    }
    return out;
}

std::vector<std::uint8_t> bf16x_friendly(std::size_t elements) {
    std::vector<std::uint8_t> data(2 * elements);
    std::uint32_t x = 12345;
    for (std::size_t i = 0; i < elements; ++i) {
        x = x * 1664525u + 1013904223u;
        const unsigned exponent = 118 + (x >> 28) % 6;
        const unsigned top = i % 10 == 0 ? 1 : 0;
        const unsigned v = ((x >> 8) & 1u) << 15 | exponent << 7 | top << 6 | ((x >> 16) & 0x3Fu);
        data[2 * i] = static_cast<std::uint8_t>(v);
        data[2 * i + 1] = static_cast<std::uint8_t>(v >> 8);
    }
    return data;
}

}  // namespace znn::test
