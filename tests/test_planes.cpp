#include <catch2/catch.hpp>

#include <algorithm>

#include "entropy/huffman.hpp"
#include "planes/planes.hpp"
#include "planes/sampled_counts.hpp"
#include "test_data.hpp"

using namespace znn;

TEST_CASE("planes: bf16x split and join are inverse, packing 8 elements into 7 bytes") {
    const auto elements = test::bf16x_friendly(1000);
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16},
                          std::size_t{17}, std::size_t{31}, std::size_t{33}, std::size_t{2000}}) {
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
    for (std::size_t n :
         {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{9},
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

struct ExactCounts {
    Histogram exponents{};  // (v >> 7) & 0xFF
    Histogram x{};          // (v >> 6) & 0xFF
};

ExactCounts exact_bf16_counts(const std::vector<std::uint8_t>& elements, std::size_t k) {
    ExactCounts c;
    for (std::size_t i = 0; i < k; ++i) {
        const unsigned v = elements[2 * i] | elements[2 * i + 1] << 8;
        ++c.exponents[(v >> 7) & 0xFF];
        ++c.x[(v >> 6) & 0xFF];
    }
    return c;
}

void set_element(std::vector<std::uint8_t>& elements, std::size_t i, unsigned v) {
    elements[2 * i] = static_cast<std::uint8_t>(v);
    elements[2 * i + 1] = static_cast<std::uint8_t>(v >> 8);
}

// Sampled counts have exactly the symbols present, sum to about n, and estimate the
// dominant symbol within ~3 standard deviations of a quarter sample of 16K symbols.
void check_estimate(const Histogram& counts, const Histogram& exact, std::size_t n) {
    std::uint64_t total = 0;
    for (unsigned s = 0; s < 256; ++s) {
        INFO("symbol " << s);
        CHECK((counts[s] != 0) == (exact[s] != 0));
        total += counts[s];
    }
    CHECK(total >= n - 256);
    CHECK(total <= n + 256);
    const auto top =
        static_cast<std::size_t>(std::max_element(exact.begin(), exact.end()) - exact.begin());
    CHECK(std::abs(static_cast<double>(counts[top]) - exact[top]) < 0.1 * exact[top]);
}

}  // namespace

TEST_CASE("planes: BF16 and byte statistics are exact below the sampling size") {
    for (std::size_t k :
         {std::size_t{1}, std::size_t{7}, std::size_t{1025}, kSampledCountsMin - 1}) {
        INFO("elements " << k);
        auto elements = test::bf16_weights(2 * k, k);
        const Bf16Counts counts = count_bf16_symbols(elements.data(), k);
        CHECK(counts.fits_x);
        CHECK(counts.x == exact_bf16_counts(elements, k).x);
        CHECK(counts.exponents == exact_bf16_counts(elements, k).exponents);
        set_element(elements, k / 2, 0xC000);  // -2.0: bf16x cannot code it
        const Bf16Counts wide = count_bf16_symbols(elements.data(), k);
        CHECK_FALSE(wide.fits_x);
        CHECK(wide.exponents == exact_bf16_counts(elements, k).exponents);
        const auto bytes = test::skewed_bytes(k, k);
        CHECK(count_bytes_sampled(bytes) == count_symbols(bytes));
    }
}

TEST_CASE("planes: sampled BF16 statistics cover every symbol present and no other") {
    for (std::size_t k : {kSampledCountsMin, std::size_t{100'003}, std::size_t{131'072}}) {
        INFO("elements " << k);
        auto elements = test::bf16_weights(2 * k, 7);
        // Rare symbols where the sample does not look: the last element of a block, the
        // chunk's last (for 100 003, in the few elements past the last 32-element step),
        // one in a later block.
        set_element(elements, kSampleBlock - 1, 0x0001);       // x symbol 0 (a subnormal)
        set_element(elements, k - 1, 0x3FC0);                  // x symbol 0xFF (|v| just under 2)
        set_element(elements, 3 * kSampleBlock - 33, 0x0140);  // x symbol 5
        const Bf16Counts counts = count_bf16_symbols(elements.data(), k);
        REQUIRE(counts.fits_x);
        const ExactCounts exact = exact_bf16_counts(elements, k);
        check_estimate(counts.x, exact.x, k);
        check_estimate(counts.exponents, exact.exponents, k);
    }
}

TEST_CASE("planes: BF16 statistics see an element bf16x cannot code anywhere in the chunk") {
    for (std::size_t k : {std::size_t{5000}, 4 * kSampleBlock + 100, std::size_t{40'000}}) {
        for (std::size_t at : {std::size_t{0}, kSampleBlock - 1, 2 * kSampleBlock + 700, k - 1}) {
            INFO("elements " << k << ", 2.0 at " << at);
            auto elements = test::bf16_weights(2 * k, 3);
            REQUIRE(count_bf16_symbols(elements.data(), k).fits_x);
            set_element(elements, at, 0x4000);  // 2.0: exponent bit 7 set
            const Bf16Counts counts = count_bf16_symbols(elements.data(), k);
            CHECK_FALSE(counts.fits_x);
            // Its exponent (0x80) still gets a code, in the sample or not.
            CHECK(counts.exponents[0x80] != 0);
            const ExactCounts exact = exact_bf16_counts(elements, k);
            for (unsigned s = 0; s < 256; ++s)
                CHECK((counts.exponents[s] != 0) == (exact.exponents[s] != 0));
        }
    }
}

TEST_CASE("planes: sampled byte statistics cover every symbol present and no other") {
    for (std::size_t n : {kSampledCountsMin, std::size_t{100'003}, std::size_t{131'072}}) {
        INFO("bytes " << n);
        const auto weights = test::fp16_weights(2 * n, 5);
        std::vector<std::uint8_t> plane(n);  // FP16 high bytes: sign, exponent, 2 mantissa bits
        for (std::size_t i = 0; i < n; ++i) plane[i] = weights[2 * i + 1];
        plane[kSampleBlock - 1] = 0x7C;  // infinity's high byte
        plane[n - 1] = 0x01;
        plane[3 * kSampleBlock - 33] = 0xFF;
        check_estimate(count_bytes_sampled(plane), count_symbols(plane), n);
    }
}

TEST_CASE("planes: counts from an outside sample cover every symbol present and no other") {
    const std::size_t n = 50'000;
    const auto weights = test::fp16_weights(2 * n, 9);
    std::vector<std::uint8_t> plane(n);
    for (std::size_t i = 0; i < n; ++i) plane[i] = weights[2 * i + 1];
    // The sample: one element in 4, counted as delta coding counts it (one per element).
    Histogram sample{};
    for (std::size_t i = 0; i < n; i += 4) ++sample[plane[i]];
    plane[1] = 0x7C;  // symbols the sample misses, at both ends
    plane[n - 1] = 0x01;
    check_estimate(complete_sampled_counts(plane, sample), count_symbols(plane), n);
}
