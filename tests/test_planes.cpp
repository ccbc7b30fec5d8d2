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
