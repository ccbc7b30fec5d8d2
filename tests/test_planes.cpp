#include <catch2/catch.hpp>

#include <algorithm>

#include "planes.hpp"
#include "test_data.hpp"

using namespace znn;

TEST_CASE("planes: bf16x split and join are inverse, packing 8 elements into 7 bytes") {
    const auto elements = test::bf16x_friendly(1000);
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17},
                          std::size_t{31}, std::size_t{33}, std::size_t{2000}}) {
        for (unsigned phase : {0u, 1u}) {
            INFO("size " << n << " phase " << phase);
            // `phase` leading bytes, then whole elements that all fit bf16x.
            std::vector<std::uint8_t> data(phase, 0xA5);
            data.insert(data.end(), elements.begin(), elements.end());
            const std::span<const std::uint8_t> raw(data.data(), n);
            const PlaneShape shape = plane_shape(Layout::bf16x, phase, n);
            CHECK(shape.sizes[1] == (7 * shape.elements + 7) / 8 + n - 2 * shape.elements);
            std::vector<std::uint8_t> p0(shape.sizes[0] + 1), p1(shape.sizes[1] + 1);
            split_planes(Layout::bf16x, shape, raw, {p0.data(), p1.data()});
            std::vector<std::uint8_t> back(n);
            join_planes(Layout::bf16x, shape, {p0.data(), p1.data()}, back);
            CHECK(std::equal(back.begin(), back.end(), raw.begin()));
        }
    }
}

TEST_CASE("planes: fp8 splits signs from magnitudes and joins them back") {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{9},
                          std::size_t{15}, std::size_t{16}, std::size_t{17}, std::size_t{33}, std::size_t{1001}}) {
        INFO("size " << n);
        const auto raw = test::random_bytes(n, n + 1);
        const PlaneShape shape = plane_shape(Layout::fp8, 0, n);
        REQUIRE(shape.count == 2);
        CHECK(shape.sizes[0] == n);
        CHECK(shape.sizes[1] == (n + 7) / 8);
        std::vector<std::uint8_t> p0(shape.sizes[0] + 1), p1(shape.sizes[1] + 1);
        split_planes(Layout::fp8, shape, raw, {p0.data(), p1.data()});
        for (std::size_t i = 0; i < n; ++i) {
            CHECK(p0[i] == (raw[i] & 0x7F));
            CHECK(((p1[i / 8] >> (i % 8)) & 1) == raw[i] >> 7);
        }
        CHECK(planes_well_formed(Layout::fp8, shape, {p0.data(), p1.data()}));
        std::vector<std::uint8_t> back(n);
        join_planes(Layout::fp8, shape, {p0.data(), p1.data()}, back);
        CHECK(back == raw);
        if (n == 0) continue;
        // join would drop a magnitude's bit 7 or a padding bit: both make the planes malformed.
        auto bad = p0;
        bad[n / 2] |= 0x80;
        CHECK_FALSE(planes_well_formed(Layout::fp8, shape, {bad.data(), p1.data()}));
        if (n % 8 != 0) {
            auto pad = p1;
            pad[n / 8] = static_cast<std::uint8_t>(pad[n / 8] | 0x80);
            CHECK_FALSE(planes_well_formed(Layout::fp8, shape, {p0.data(), pad.data()}));
        }
    }
}

namespace {

std::array<std::uint32_t, 256> exact_bf16x_counts(const std::vector<std::uint8_t>& elements) {
    std::array<std::uint32_t, 256> counts{};
    for (std::size_t i = 0; i + 1 < elements.size(); i += 2) ++counts[(elements[i] | elements[i + 1] << 8) >> 6 & 0xFF];
    return counts;
}

void set_element(std::vector<std::uint8_t>& elements, std::size_t i, unsigned v) {
    elements[2 * i] = static_cast<std::uint8_t>(v);
    elements[2 * i + 1] = static_cast<std::uint8_t>(v >> 8);
}

}  // namespace

TEST_CASE("planes: bf16x statistics are exact below the sampling size") {
    for (std::size_t k : {std::size_t{1}, std::size_t{7}, std::size_t{1025}, kBf16xExactStatsElements - 1}) {
        const auto elements = test::bf16_weights(2 * k, k);
        std::array<std::uint32_t, 256> counts{};
        CHECK(count_bf16x_symbols(elements.data(), k, counts));
        CHECK(counts == exact_bf16x_counts(elements));
    }
}

TEST_CASE("planes: sampled bf16x statistics cover every symbol present and no other") {
    for (std::size_t k : {kBf16xExactStatsElements, std::size_t{100'003}, std::size_t{131'072}}) {
        INFO("elements " << k);
        auto elements = test::bf16_weights(2 * k, 7);
        // Rare symbols where the sample does not look: the last element of a block, the
        // chunk's last (for 100 003, in the few elements past the last 32-element step),
        // one in a later block.
        set_element(elements, kBf16xSampleBlock - 1, 0x0001);       // symbol 0 (a subnormal)
        set_element(elements, k - 1, 0x3FC0);                      // symbol 0xFF (|v| just under 2)
        set_element(elements, 3 * kBf16xSampleBlock - 33, 0x0140);  // symbol 5
        const auto exact = exact_bf16x_counts(elements);
        std::array<std::uint32_t, 256> counts{};
        REQUIRE(count_bf16x_symbols(elements.data(), k, counts));
        std::uint64_t total = 0;
        for (unsigned s = 0; s < 256; ++s) {
            INFO("symbol " << s);
            CHECK((counts[s] != 0) == (exact[s] != 0));
            total += counts[s];
        }
        // Scaled to the chunk: the sample's counts sum to k, less rounding, plus the
        // symbols it missed.
        CHECK(total >= k - 256);
        CHECK(total <= k + 256);
        // The dominant symbol's estimate is close to its true count (within ~3 standard
        // deviations of a quarter sample of the smallest sampled chunk).
        const auto top = static_cast<std::size_t>(std::max_element(exact.begin(), exact.end()) - exact.begin());
        CHECK(std::abs(static_cast<double>(counts[top]) - exact[top]) < 0.1 * exact[top]);
    }
}

TEST_CASE("planes: bf16x statistics see an element that does not fit anywhere in the chunk") {
    for (std::size_t k : {std::size_t{5000}, 4 * kBf16xSampleBlock + 100, std::size_t{40'000}}) {
        for (std::size_t at : {std::size_t{0}, kBf16xSampleBlock - 1, 2 * kBf16xSampleBlock + 700, k - 1}) {
            INFO("elements " << k << ", 2.0 at " << at);
            auto elements = test::bf16_weights(2 * k, 3);
            std::array<std::uint32_t, 256> counts{};
            REQUIRE(count_bf16x_symbols(elements.data(), k, counts));
            set_element(elements, at, 0x4000);  // 2.0: exponent bit 7 set
            CHECK_FALSE(count_bf16x_symbols(elements.data(), k, counts));
        }
    }
}
