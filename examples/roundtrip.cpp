// Compresses a buffer of BF16 weights with the znn library, decompresses it, and checks
// that the bytes came back. Build it against an installed znn (see CMakeLists.txt here,
// or: g++ -std=c++20 roundtrip.cpp $(pkg-config --cflags --libs znn)).
#include <znn/znn.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

int main() {
    // A million normally distributed weights (sigma 0.02), stored as BF16: the top 16 bits
    // of each float.
    std::mt19937 rng(42);
    std::normal_distribution<float> weight(0.0f, 0.02f);
    std::vector<std::uint8_t> raw(2 << 20);
    for (std::size_t i = 0; i < raw.size(); i += 2) {
        const float w = weight(rng);
        std::uint32_t bits;
        std::memcpy(&bits, &w, sizeof bits);
        raw[i] = static_cast<std::uint8_t>(bits >> 16);
        raw[i + 1] = static_cast<std::uint8_t>(bits >> 24);
    }

    try {
        znn::CompressOptions options;
        options.dtype = znn::DtypeChoice::bf16;
        const std::vector<std::uint8_t> packed = znn::compress_buffer(raw, options);
        const std::vector<std::uint8_t> restored = znn::decompress_buffer(packed);
        if (restored != raw) {
            std::fprintf(stderr, "roundtrip: decompressed bytes differ\n");
            return 1;
        }
        std::printf("znn %s: %zu -> %zu bytes (%.2f%%), restored exactly\n", znn::version(),
                    raw.size(), packed.size(),
                    100.0 * static_cast<double>(packed.size()) / raw.size());
    } catch (const znn::Error& e) {
        std::fprintf(stderr, "roundtrip: %s\n", e.what());
        return 1;
    }
    return 0;
}
