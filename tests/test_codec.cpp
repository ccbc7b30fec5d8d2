#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "codec/codec.hpp"
#include "entropy/huffman.hpp"
#include "entropy/huffman_table.hpp"
#include "test_data.hpp"
#include "znn/znn.hpp"

using namespace znn;

namespace {

std::vector<std::uint8_t> chunk_round_trip(const std::vector<std::uint8_t>& raw, ChunkSpec spec,
                                           std::size_t* size = nullptr,
                                           ChunkHeader* parsed = nullptr) {
    Buffer block;
    encode_chunk(raw, spec, block);
    if (size) *size = block.size();
    const ChunkHeader header = parse_chunk_header(block);
    if (parsed) *parsed = header;
    std::vector<std::uint8_t> out(header.raw_size);
    decode_chunk(block, header, out);
    return out;
}

}  // namespace

TEST_CASE("codec: every layout and phase round-trips odd and edge sizes") {
    for (int id = 0; id < kLayoutCount; ++id) {
        const auto layout = static_cast<Layout>(id);
        for (unsigned phase = 0; phase < layout_width(layout); ++phase) {
            for (std::size_t n : {1, 2, 3, 7, 8, 9, 63, 1000, 4097, 65537}) {
                INFO(layout_name(layout) << " phase " << phase << " size " << n);
                ChunkSpec spec;
                spec.layout = layout;
                spec.phase = static_cast<std::uint8_t>(phase);
                const auto data = test::bf16_weights(n, n + phase);
                CHECK(chunk_round_trip(data, spec) == data);
                const auto noise = test::random_bytes(n, n);
                CHECK(chunk_round_trip(noise, spec) == noise);
            }
        }
    }
}

TEST_CASE("codec: BF16 weights shrink to about two thirds") {
    const auto data = test::bf16_weights(1 << 20);
    ChunkSpec spec;
    spec.layout = Layout::bf16;
    std::size_t size = 0;
    CHECK(chunk_round_trip(data, spec, &size) == data);
    CHECK(static_cast<double>(size) < 0.67 * static_cast<double>(data.size()));
}

TEST_CASE("codec: FP32 with BF16 precision codes its low planes as constants") {
    const auto data = test::fp32_weights(1 << 18, 1, true);
    ChunkSpec spec;
    spec.layout = Layout::fp32;
    Buffer block;
    encode_chunk(data, spec, block);
    const ChunkHeader h = parse_chunk_header(block);
    CHECK(h.codecs[2] == PlaneCodec::constant);
    CHECK(h.codecs[3] == PlaneCodec::constant);
    CHECK(block.size() < data.size() / 3);
}

TEST_CASE("codec: FP32 exponent planes take short codes only when small") {
    // A table build is paid per plane: under 64K symbols, codes of at most 10 bits may cost
    // 0.5% more; larger planes keep exact codes.
    for (const std::size_t elements : {std::size_t{32} << 10, std::size_t{128} << 10}) {
        INFO(elements << " elements");
        const auto data = test::fp32_weights(4 * elements, 7);
        std::vector<std::uint8_t> exponents(elements);
        for (std::size_t i = 0; i < elements; ++i)
            exponents[i] =
                static_cast<std::uint8_t>(((data[4 * i + 3] << 8 | data[4 * i + 2]) >> 7) & 0xFF);
        const auto counts = count_symbols(exponents);
        const auto exact = huffman::build_code_lengths(counts);
        const auto short_codes = huffman::build_code_lengths(counts, 0.005);
        REQUIRE(exact != short_codes);
        ChunkSpec spec;
        spec.layout = Layout::fp32;
        Buffer block;
        encode_chunk(data, spec, block);
        const ChunkHeader h = parse_chunk_header(block);
        REQUIRE(h.codecs[0] == PlaneCodec::huffman);
        huffman::CodeLengths used{};
        REQUIRE(huffman::read_table(std::span(block).subspan(h.header_size()), used) != 0);
        CHECK(used == (elements < (std::size_t{64} << 10) ? short_codes : exact));
    }
}

TEST_CASE("codec: estimated chunk sizes are the encoded sizes to a few bytes a block") {
    // The chunk-size trial compares estimates; they must track what encode_chunk makes:
    // to the bytes each block's streams round up to, and for sampled statistics (BF16
    // and FP16 exponents) to the sample's error, well under a percent.
    std::vector<std::pair<const char*, std::vector<std::uint8_t>>> inputs = {
        {"bf16", test::bf16_weights(300'000, 1)},   {"fp16", test::fp16_weights(300'000, 2)},
        {"fp32", test::fp32_weights(300'000, 3)},   {"fp8", test::fp8_weights(300'000, 4)},
        {"random", test::random_bytes(300'000, 5)}, {"skewed", test::skewed_bytes(300'000, 6)},
        {"tiny", test::bf16_weights(10, 7)},
    };
    for (const auto& [name, data] : inputs) {
        for (const bool probe : {true, false}) {
            INFO(name << (probe ? " probed" : " as bytes"));
            ChunkSpec spec;
            spec.probe = probe;
            Buffer block;
            encode_chunk(data, spec, block);
            const auto estimate = static_cast<double>(estimate_chunk_size(data, spec));
            const double blocks = static_cast<double>(data.size() / (64 << 10) + 1);
            const auto actual = static_cast<double>(block.size());
            CHECK(std::abs(estimate - actual) <= 0.002 * actual + 8 * 4 * blocks);
        }
    }
}

TEST_CASE("codec: random data is stored and grows by the header only") {
    const auto data = test::random_bytes(100'000);
    ChunkSpec spec;
    spec.layout = Layout::bf16;
    std::size_t size = 0;
    CHECK(chunk_round_trip(data, spec, &size) == data);
    CHECK(size <= data.size() + 64);
}

TEST_CASE("codec: the probe recognises BF16, FP16 and FP32 weights") {
    // The layout of the chunk, and the offset its first whole element starts at.
    const auto probed = [](const std::vector<std::uint8_t>& data, std::size_t* size = nullptr) {
        ChunkSpec spec;
        spec.probe = true;
        ChunkHeader header;
        CHECK(chunk_round_trip(data, spec, size, &header) == data);
        return std::pair{header.layout, header.phase};
    };
    const auto size_as = [](std::span<const std::uint8_t> data, Layout layout) {
        ChunkSpec spec;
        spec.layout = layout;
        Buffer block;
        encode_chunk(data, spec, block);
        return static_cast<double>(block.size());
    };
    const auto bf16 = test::bf16_weights(1 << 18);
    const auto fp16 = test::fp16_weights(1 << 18);
    const auto fp32 = test::fp32_weights(1 << 18);
    for (const auto* data : {&bf16, &fp16, &fp32}) {
        std::size_t size = 0;
        probed(*data, &size);
        CHECK(static_cast<double>(size) < 0.9 * static_cast<double>(data->size()));
    }
    // BF16: bf16, or bf16x, its variant for values below 2 in magnitude.
    const auto [bf16_layout, bf16_phase] = probed(bf16);
    CHECK((bf16_layout == Layout::bf16 || bf16_layout == Layout::bf16x));
    CHECK(bf16_phase == 0);
    CHECK(probed(fp32) == std::pair{Layout::fp32, std::uint8_t{0}});
    // FP16 of small values codes within a hair as bf16 (its top byte is then mostly the
    // exponent too): either 2-byte layout will do, no larger than fp16 by 0.5%.
    const auto [fp16_layout, fp16_phase] = probed(fp16);
    CHECK((fp16_layout == Layout::fp16 || fp16_layout == Layout::bf16 ||
           fp16_layout == Layout::bf16x));
    CHECK(fp16_phase == 0);
    CHECK(size_as(fp16, fp16_layout) <= size_as(fp16, Layout::fp16) * 1.005);
    // Without its first byte, the data's first whole element starts at offset 1 (FP32: 3).
    const auto shifted = [](const std::vector<std::uint8_t>& d) {
        return std::vector<std::uint8_t>(d.begin() + 1, d.end());
    };
    CHECK(probed(shifted(bf16)).second == 1);
    CHECK(probed(shifted(fp16)).second == 1);
    CHECK(probed(shifted(fp32)) == std::pair{Layout::fp32, std::uint8_t{3}});
}

TEST_CASE("codec: a corrupt payload is reported, never silently decoded") {
    const auto data = test::bf16_weights(50'000);
    ChunkSpec spec;
    spec.layout = Layout::bf16;
    Buffer block;
    encode_chunk(data, spec, block);
    const ChunkHeader header = parse_chunk_header(block);
    std::vector<std::uint8_t> out(header.raw_size);
    for (std::size_t pos = header.header_size(); pos < block.size(); pos += 333) {
        Buffer bad = block;
        bad[pos] ^= 0x04;
        CHECK_THROWS_AS(decode_chunk(bad, header, out), FormatError);
    }
}

TEST_CASE("codec: BF16 chunks below 2 in magnitude use bf16x where it codes smaller") {
    // Small chunks compare both codes' sizes; sampled ones (16K elements on) the entropies.
    for (const std::size_t elements : {std::size_t{5000}, std::size_t{100'000}}) {
        INFO(elements << " elements");
        auto data = test::bf16x_friendly(elements);
        ChunkSpec spec;
        spec.layout = Layout::bf16;
        Buffer block;
        encode_chunk(data, spec, block);
        CHECK(parse_chunk_header(block).layout == Layout::bf16x);
        std::size_t x_size = 0;
        CHECK(chunk_round_trip(data, spec, &x_size) == data);

        // One value of 2.0 (exponent bit 7 set) rules bf16x out for its chunk.
        data[2 * 777] = 0x00;
        data[2 * 777 + 1] = 0x40;
        encode_chunk(data, spec, block);
        CHECK(parse_chunk_header(block).layout == Layout::bf16);
        std::size_t plain_size = 0;
        CHECK(chunk_round_trip(data, spec, &plain_size) == data);
        CHECK(x_size < plain_size);

        // Plain model weights gain nothing from the extra mantissa bit: bf16.
        const auto weights = test::bf16_weights(2 * elements, 9);
        encode_chunk(weights, spec, block);
        CHECK(parse_chunk_header(block).layout == Layout::bf16);
    }
}

TEST_CASE("codec: bf16x round-trips every size and phase around its 8- and 16-element steps") {
    const auto data = test::bf16x_friendly(400);
    ChunkSpec spec;
    spec.layout = Layout::bf16x;
    for (std::size_t n = 1; n <= 2 * 300; n += 1) {
        for (const unsigned phase : {0u, 1u}) {
            INFO("size " << n << " phase " << phase);
            spec.phase = static_cast<std::uint8_t>(phase);
            const std::vector<std::uint8_t> part(data.begin(),
                                                 data.begin() + static_cast<std::ptrdiff_t>(n));
            CHECK(chunk_round_trip(part, spec) == part);
        }
    }
}

TEST_CASE("codec: FP8 weights split sign from magnitude, which tANS codes below bytes+Huffman") {
    const auto data = test::fp8_weights(100'000, 4);
    ChunkSpec fp8;
    fp8.layout = Layout::fp8;
    Buffer block;
    encode_chunk(data, fp8, block);
    const ChunkHeader header = parse_chunk_header(block);
    CHECK(header.layout == Layout::fp8);
    CHECK(header.codecs[0] == PlaneCodec::ans);
    CHECK(header.codecs[1] == PlaneCodec::stored);  // signs are a coin toss
    std::vector<std::uint8_t> out(data.size());
    decode_chunk(block, header, out);
    CHECK(out == data);
    std::size_t as_bytes = 0;
    ChunkSpec bytes;
    bytes.layout = Layout::bytes;
    CHECK(chunk_round_trip(data, bytes, &as_bytes) == data);
    CHECK(block.size() < as_bytes);
}
