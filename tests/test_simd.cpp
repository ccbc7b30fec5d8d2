// Every instruction-set level of the kernel table against the scalar reference, byte for
// byte, on tails and whole vector steps. A level this CPU cannot run is reported as
// skipped (CTest reads "SKIPPED:" in the output), never as passed.
#include <xxhash.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/bit_fields.hpp"
#include "simd/kernels.hpp"
#include "test_data.hpp"

using namespace znn;
using simd::Isa;
using simd::Kernels;

namespace {

// Element counts around every vector width (16, 32), their multiples and odd tails.
constexpr std::array<std::size_t, 21> kCounts = {
    0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 1000, 4096, 4099, 70001};
// Misalignments of inputs and outputs against 16 and 32 bytes.
constexpr std::array<std::size_t, 3> kPhases = {0, 1, 7};
// Bytes past each output that no kernel may touch.
constexpr std::size_t kSlack = 2 * simd::kGroupSlack;
constexpr std::uint8_t kCanary = 0xCD;

const Kernels& reference() {
    return *simd::kernels_for(Isa::scalar);
}

std::vector<std::uint8_t> random_input(std::size_t n, std::uint64_t seed) {
    return test::random_bytes(n, seed);
}

// Up to four outputs of a kernel, each `phase` bytes into a canary-filled buffer.
struct Outputs {
    std::array<std::vector<std::uint8_t>, 4> bytes;
    std::array<std::uint8_t*, 4> at{};

    Outputs(const std::array<std::size_t, 4>& sizes, std::size_t phase) {
        for (std::size_t i = 0; i < 4; ++i) {
            bytes[i].assign(phase + sizes[i] + kSlack, kCanary);
            at[i] = bytes[i].data() + phase;
        }
    }
};

using Run = std::function<void(const Kernels&, Outputs&)>;

// Runs a kernel through the reference and through `level` and compares every output byte,
// slack included; the reference must leave the slack alone.
void check_same(const Kernels& level, const std::array<std::size_t, 4>& sizes, std::size_t phase,
                const Run& run) {
    Outputs want(sizes, phase);
    Outputs got(sizes, phase);
    run(reference(), want);
    run(level, got);
    for (std::size_t i = 0; i < 4; ++i) {
        INFO("output " << i);
        CHECK(got.bytes[i] == want.bytes[i]);
        CHECK(std::all_of(want.bytes[i].end() - static_cast<std::ptrdiff_t>(kSlack),
                          want.bytes[i].end(), [](std::uint8_t b) { return b == kCanary; }));
    }
}

// A phase-shifted copy of data, so the kernel sees it at an odd address.
struct Input {
    std::vector<std::uint8_t> bytes;
    const std::uint8_t* at;
    Input(const std::vector<std::uint8_t>& data, std::size_t phase) : bytes(phase, 0x5A) {
        bytes.insert(bytes.end(), data.begin(), data.end());
        at = bytes.data() + phase;
    }
};

void check_splits_and_joins(const Kernels& level) {
    for (const std::size_t k : kCounts) {
        for (const std::size_t phase : kPhases) {
            INFO("elements " << k << ", phase " << phase);
            const std::uint64_t seed = k * 31 + phase;
            const Input two(random_input(2 * k, seed), phase);
            const Input four(random_input(4 * k, seed + 1), phase);
            const Input a(random_input(k, seed + 2), phase);
            const Input b(random_input(k, seed + 3), phase);
            const Input c(random_input(k, seed + 4), phase);
            const Input d(random_input(k, seed + 5), phase);
            const std::size_t k7 = simd::packed7_size(k);
            const std::size_t k8 = simd::packed_signs_size(k);

            {
                INFO("kernels: bf16");
                check_same(level, {k, k}, phase, [&](const Kernels& t, Outputs& o) {
                    t.split_bf16(two.at, k, o.at[0], o.at[1]);
                });
                check_same(level, {2 * k}, phase, [&](const Kernels& t, Outputs& o) {
                    t.join_bf16(a.at, b.at, k, o.at[0]);
                });
            }
            {
                INFO("kernels: bf16x");
                auto fits = random_input(2 * k, seed + 6);  // exponent bit 7 clear
                for (std::size_t i = 1; i < fits.size(); i += 2) fits[i] &= 0xBF;
                const Input x(fits, phase);
                check_same(level, {k, k7}, phase, [&](const Kernels& t, Outputs& o) {
                    t.split_bf16x(x.at, k, o.at[0], o.at[1]);
                });
                const Input packed(random_input(k7, seed + 7), phase);
                check_same(level, {2 * k}, phase, [&](const Kernels& t, Outputs& o) {
                    t.join_bf16x(a.at, packed.at, k, o.at[0]);
                });
            }
            {
                INFO("kernels: pairs");
                check_same(level, {k, k}, phase, [&](const Kernels& t, Outputs& o) {
                    t.split_pairs(two.at, k, o.at[0], o.at[1]);
                });
                check_same(level, {2 * k}, phase, [&](const Kernels& t, Outputs& o) {
                    t.join_pairs(a.at, b.at, k, o.at[0]);
                });
            }
            {
                INFO("kernels: fp32");
                check_same(level, {k, k, k, k}, phase, [&](const Kernels& t, Outputs& o) {
                    t.split_fp32(four.at, k, o.at.data());
                });
                const std::array<const std::uint8_t*, 4> planes = {a.at, b.at, c.at, d.at};
                check_same(level, {4 * k}, phase, [&](const Kernels& t, Outputs& o) {
                    t.join_fp32(planes.data(), k, o.at[0]);
                });
            }
            {
                INFO("kernels: fp8");
                check_same(level, {k, k8}, phase, [&](const Kernels& t, Outputs& o) {
                    t.split_fp8(a.at, k, o.at[0], o.at[1]);
                });
                auto low7 = random_input(k, seed + 8);  // as the split writes magnitudes
                for (auto& m : low7) m &= 0x7F;
                const Input magnitudes(low7, phase);
                const Input signs(random_input(k8, seed + 9), phase);
                check_same(level, {k}, phase, [&](const Kernels& t, Outputs& o) {
                    t.join_fp8(magnitudes.at, signs.at, k, o.at[0]);
                });
            }
            {
                INFO("kernels: streaming copy");
                check_same(level, {k}, phase, [&](const Kernels& t, Outputs& o) {
                    t.copy_streaming(o.at[0], a.at, k);
                });
            }
        }
    }
}

// Every split followed by its join gives the input back.
void check_round_trips(const Kernels& level) {
    for (const std::size_t k : kCounts) {
        INFO("elements " << k);
        const auto raw2 = random_input(2 * k, k + 11);
        const auto raw4 = random_input(4 * k, k + 12);
        auto x = test::bf16x_friendly(k);
        std::vector<std::uint8_t> p0(k + 1), p1(k + 1), p2(k + 1), p3(k + 1), back(4 * k + 1);
        level.split_bf16(raw2.data(), k, p0.data(), p1.data());
        level.join_bf16(p0.data(), p1.data(), k, back.data());
        CHECK(std::equal(raw2.begin(), raw2.end(), back.begin()));
        level.split_bf16x(x.data(), k, p0.data(), p1.data());
        level.join_bf16x(p0.data(), p1.data(), k, back.data());
        CHECK(std::equal(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(2 * k), back.begin()));
        level.split_pairs(raw2.data(), k, p0.data(), p1.data());
        level.join_pairs(p0.data(), p1.data(), k, back.data());
        CHECK(std::equal(raw2.begin(), raw2.end(), back.begin()));
        std::array<std::uint8_t*, 4> out = {p0.data(), p1.data(), p2.data(), p3.data()};
        level.split_fp32(raw4.data(), k, out.data());
        const std::array<const std::uint8_t*, 4> in = {p0.data(), p1.data(), p2.data(), p3.data()};
        level.join_fp32(in.data(), k, back.data());
        CHECK(std::equal(raw4.begin(), raw4.end(), back.begin()));
        level.split_fp8(raw2.data(), k, p0.data(), p1.data());
        level.join_fp8(p0.data(), p1.data(), k, back.data());
        CHECK(
            std::equal(raw2.begin(), raw2.begin() + static_cast<std::ptrdiff_t>(k), back.begin()));
    }
}

// The membership scans stop where the reference does: at the step holding the first
// symbol missing from the set, or where whole steps run out.
void check_scans(const Kernels& level) {
    std::mt19937_64 rng(5);
    for (int round = 0; round < 200; ++round) {
        const std::size_t n = 1 + rng() % 3000;
        // Symbols from a small alphabet, all known but one, which appears at most once.
        std::vector<unsigned> alphabet(1 + rng() % 40);
        for (auto& s : alphabet) s = static_cast<unsigned>(rng() % 512);
        simd::ByteSet clear, set, bytes;
        for (std::size_t i = 1; i < alphabet.size(); ++i) {
            (alphabet[i] < 256 ? clear : set).add(alphabet[i] & 0xFF);
            bytes.add(alphabet[i] & 0xFF);
        }
        const bool plant = rng() % 4 != 0;
        const std::size_t at = rng() % n;
        std::vector<std::uint8_t> elements(2 * n);
        std::vector<std::uint8_t> plane(n);
        for (std::size_t i = 0; i < n; ++i) {
            const bool missing = alphabet.size() == 1 || (plant && i == at);
            const unsigned s = missing ? alphabet[0] : alphabet[1 + rng() % (alphabet.size() - 1)];
            // Random sign and low mantissa bits around the 9-bit symbol (v >> 6) & 0x1FF.
            const auto v = static_cast<unsigned>((rng() & 0x8000) | (s << 6) | (rng() & 0x3F));
            elements[2 * i] = static_cast<std::uint8_t>(v);
            elements[2 * i + 1] = static_cast<std::uint8_t>(v >> 8);
            plane[i] = static_cast<std::uint8_t>(s);
        }
        const std::size_t begin = rng() % (n + 1);
        for (const std::size_t end : {n, begin + (n - begin) / 2, begin}) {
            INFO("round " << round << ", n " << n << ", begin " << begin << ", end " << end);
            CHECK(level.scan_known_elements(elements.data(), begin, end, clear, set) ==
                  reference().scan_known_elements(elements.data(), begin, end, clear, set));
            CHECK(level.scan_known_bytes(plane.data(), begin, end, bytes) ==
                  reference().scan_known_bytes(plane.data(), begin, end, bytes));
        }
    }
}

// XXH3 as xxHash's own library computes it, at every size class and alignment.
void check_checksums(const Kernels& level) {
    const auto data = random_input(300'000, 77);
    for (std::size_t size = 0; size < 300'000; size = size < 300 ? size + 1 : size * 3 + 7) {
        for (const std::size_t phase : kPhases) {
            INFO("size " << size << ", phase " << phase);
            CHECK(level.xxh3(data.data() + phase, size) == XXH3_64bits(data.data() + phase, size));
        }
    }
    // The stream, fed in pieces of sizes that cross the 256-byte internal buffer and the
    // 1 KiB stripe blocks at every phase.
    for (const std::size_t piece : {std::size_t{1}, std::size_t{63}, std::size_t{255},
                                    std::size_t{1000}, std::size_t{4097}, std::size_t{65536}}) {
        XXH3_state_t* state = XXH3_createState();
        XXH3_64bits_reset(state);
        for (std::size_t at = 0; at < data.size(); at += piece)
            level.xxh3_update(state, data.data() + at, std::min(piece, data.size() - at));
        INFO("piece " << piece);
        CHECK(XXH3_64bits_digest(state) == XXH3_64bits(data.data(), data.size()));
        XXH3_freeState(state);
    }
}

// The exponent-group kernels, for one to four groups (adjacent cuts too): each group's
// bytes and each pointer's advance as the reference gives them, writes at most
// kGroupSlack bytes past a group's last byte, and a merge of the split planes gives back the input.
void check_groups(const Kernels& level) {
    constexpr std::array<std::array<std::uint8_t, 3>, 4> kCuts = {
        {{0, 0, 0}, {100, 0, 0}, {50, 150, 0}, {40, 41, 200}}};
    for (const std::size_t k : kCounts) {
        for (unsigned groups = 1; groups <= 4; ++groups) {
            INFO("k " << k << ", groups " << groups);
            const auto exponents = random_input(k, 7 * k + groups);
            const auto src = random_input(k, k + 99);
            const std::uint8_t* cuts = kCuts[groups - 1].data();
            std::array<std::size_t, 4> sizes{};
            for (std::size_t i = 0; i < k; ++i) {
                unsigned g = 0;
                for (unsigned c = 0; c + 1 < groups; ++c) g += exponents[i] >= cuts[c];
                ++sizes[g];
            }
            Outputs want(sizes, 0), got(sizes, 0);
            std::array<std::uint8_t*, 4> want_at = want.at, got_at = got.at;
            reference().split_groups(exponents.data(), cuts, groups, src.data(), k, want_at.data());
            level.split_groups(exponents.data(), cuts, groups, src.data(), k, got_at.data());
            for (unsigned g = 0; g < groups; ++g) {
                CHECK(want_at[g] == want.at[g] + sizes[g]);
                CHECK(got_at[g] == got.at[g] + sizes[g]);
                CHECK(std::equal(want.at[g], want_at[g], got.at[g]));
                const auto& bytes = got.bytes[g];
                CHECK(std::all_of(
                    bytes.begin() + static_cast<std::ptrdiff_t>(sizes[g] + simd::kGroupSlack),
                    bytes.end(), [](std::uint8_t b) { return b == kCanary; }));
            }
            std::array<const std::uint8_t*, 4> in{};
            for (unsigned g = 0; g < 4; ++g) in[g] = got.at[g];
            std::vector<std::uint8_t> merged(k + kSlack, kCanary);
            level.merge_groups(exponents.data(), cuts, groups, in.data(), k, merged.data());
            CHECK(std::equal(src.begin(), src.end(), merged.begin()));
            CHECK(std::all_of(merged.begin() + static_cast<std::ptrdiff_t>(k), merged.end(),
                              [](std::uint8_t b) { return b == kCanary; }));
            for (unsigned g = 0; g < groups; ++g) CHECK(in[g] == got.at[g] + sizes[g]);
        }
    }
}

// Elements moved by a fine-tune: mostly a few units in the last place, some far (escapes),
// some with the sign flipped; shifts of 0 to W - 2 bits, as the delta coder chooses them.
template <class T>
void make_delta_input(std::size_t k, std::uint64_t seed, std::vector<std::uint8_t>& x,
                      std::vector<std::uint8_t>& b, std::array<std::uint8_t, 256>& shift) {
    std::mt19937_64 rng(seed);
    constexpr unsigned w = 8 * sizeof(T);
    x.assign(k * sizeof(T), 0);
    b.assign(k * sizeof(T), 0);
    for (std::size_t i = 0; i < k; ++i) {
        const auto bv = static_cast<T>(rng());
        T xv = bv;
        switch (rng() % 8) {
            case 0:  // far away: an escape for most shifts
                xv = static_cast<T>(rng());
                break;
            case 1:  // sign flipped
                xv = static_cast<T>(bv ^ (T{1} << (w - 1)));
                break;
            default:
                xv = static_cast<T>(bv + static_cast<T>(rng() % 64) - 32);
        }
        std::memcpy(&b[i * sizeof(T)], &bv, sizeof(T));
        std::memcpy(&x[i * sizeof(T)], &xv, sizeof(T));
    }
    for (auto& r : shift) r = static_cast<std::uint8_t>(rng() % (w - 1));
}

// The delta element passes: the census's counts, the symbols and both bit streams as the
// reference gives them, and decoding gives the elements back.
template <class T>
void check_delta_width(const Kernels& level) {
    constexpr bool narrow = sizeof(T) == 2;
    const simd::DeltaKernels& passes = level.delta(sizeof(T));
    const simd::DeltaKernels& want_passes = reference().delta(sizeof(T));
    constexpr unsigned w = 8 * sizeof(T);
    for (const std::size_t k : kCounts) {
        for (const unsigned mantissa_bits :
             narrow ? std::vector<unsigned>{7, 10} : std::vector<unsigned>{23}) {
            INFO("k " << k << ", mantissa bits " << mantissa_bits);
            std::vector<std::uint8_t> x, b;
            std::array<std::uint8_t, 256> shift{};
            make_delta_input<T>(k, k * 31 + mantissa_bits, x, b, shift);
            const simd::DeltaFormat f{mantissa_bits, shift.data()};
            constexpr std::array<std::uint8_t, 3> kCuts = {20, 90, 140};
            for (unsigned groups = 1; groups <= 4; ++groups) {
                simd::DeltaCensus want, got;
                std::vector<std::uint8_t> want_e(k + 1, kCanary), got_e(k + 1, kCanary);
                want_passes.census(b.data(), k, f, kCuts.data(), groups, want_e.data(), want);
                passes.census(b.data(), k, f, kCuts.data(), groups, got_e.data(), got);
                CHECK(want_e == got_e);
                CHECK(want.low_bits == got.low_bits);
                CHECK(want.group_size == got.group_size);
                CHECK(want.min_exponent == got.min_exponent);
                CHECK(want.max_exponent == got.max_exponent);
            }
            Buffer want_low, want_esc, got_low, got_esc;
            std::vector<std::uint8_t> want_sym(k), got_sym(k);
            BitFieldWriter wl(want_low, std::uint64_t{k} * (w - 2)),
                we(want_esc, std::uint64_t{k} * (w - 1));
            BitFieldWriter gl(got_low, std::uint64_t{k} * (w - 2)),
                ge(got_esc, std::uint64_t{k} * (w - 1));
            want_passes.encode(x.data(), b.data(), k, f, want_sym.data(), wl, we);
            passes.encode(x.data(), b.data(), k, f, got_sym.data(), gl, ge);
            CHECK(wl.finish() == gl.finish());
            CHECK(we.finish() == ge.finish());
            CHECK(want_sym == got_sym);
            CHECK(want_low == got_low);
            CHECK(want_esc == got_esc);
            Buffer low_copy, esc_copy;
            BitFieldReader low(got_low, low_copy), esc(got_esc, esc_copy);
            std::vector<std::uint8_t> out(k * sizeof(T) + kSlack, kCanary);
            passes.decode(b.data(), got_sym.data(), k, f, low, esc, out.data());
            CHECK(std::equal(x.begin(), x.end(), out.begin()));
            CHECK(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(x.size()), out.end(),
                              [](std::uint8_t v) { return v == kCanary; }));
        }
    }
}

void check_delta(const Kernels& level) {
    check_delta_width<std::uint16_t>(level);
    check_delta_width<std::uint32_t>(level);
}

// The level's table, or nullptr with a note that this CPU cannot run it.
const Kernels* level_or_skip(Isa isa) {
    const Kernels* level = simd::kernels_for(isa);
    if (level == nullptr)
        WARN("SKIPPED: " << simd::isa_name(isa) << " kernels: this CPU (or build) lacks them");
    return level;
}

void check_level(Isa isa) {
    const Kernels* level = level_or_skip(isa);
    if (level == nullptr) return;
    CHECK(level->isa == isa);
    check_splits_and_joins(*level);
    check_round_trips(*level);
    check_scans(*level);
    check_checksums(*level);
    check_groups(*level);
    check_delta(*level);
}

}  // namespace

TEST_CASE("simd: the scalar reference round-trips, computes XXH3 and splits groups") {
    check_round_trips(reference());
    check_scans(reference());
    check_checksums(reference());
    check_groups(reference());
    check_delta(reference());
}

TEST_CASE("simd: sse2 kernels match the scalar reference") {
    check_level(Isa::sse2);
}

TEST_CASE("simd: ssse3 kernels match the scalar reference") {
    check_level(Isa::ssse3);
}

TEST_CASE("simd: avx2 kernels match the scalar reference") {
    check_level(Isa::avx2);
}

TEST_CASE("simd: avx512 kernels match the scalar reference") {
    check_level(Isa::avx512);
}

TEST_CASE("simd: the table in use is the best level this CPU has, or the one forced") {
    // ZNN_FORCE_ISA is read once per process; the CLI tests run it at every level.
    const Kernels& chosen = simd::kernels();
    std::string levels;
    for (const Isa isa : simd::kIsas) {
        if (simd::kernels_for(isa) == nullptr) continue;
        levels += std::string(levels.empty() ? "" : ", ") + std::string(simd::isa_name(isa));
    }
    WARN("levels this CPU runs: " << levels << "; in use: " << simd::isa_name(chosen.isa));
    CHECK(simd::kernels_for(chosen.isa) == &chosen);
    if (std::getenv("ZNN_FORCE_ISA") == nullptr) {
        for (const Isa isa : simd::kIsas)
            if (simd::kernels_for(isa) != nullptr) CHECK(chosen.isa >= isa);
    }
}
