// The kernel tables and the choice of one (see kernels.hpp). The only place that asks the
// CPU what it has.
#include "simd/kernels.hpp"

#include <cstdio>
#include <cstdlib>

#include "simd/levels.hpp"

namespace znn::simd {

namespace {

constexpr Kernels scalar_table() noexcept {
    Kernels k;
    k.isa = Isa::scalar;
    k.split_bf16 = scalar::split_bf16;
    k.join_bf16 = scalar::join_bf16;
    k.split_bf16x = scalar::split_bf16x;
    k.join_bf16x = scalar::join_bf16x;
    k.split_pairs = scalar::split_pairs;
    k.join_pairs = scalar::join_pairs;
    k.split_fp32 = scalar::split_fp32;
    k.join_fp32 = scalar::join_fp32;
    k.split_fp8 = scalar::split_fp8;
    k.join_fp8 = scalar::join_fp8;
    k.scan_known_elements = scalar::scan_known_elements;
    k.scan_known_bytes = scalar::scan_known_bytes;
    k.xxh3 = scalar::xxh3;
    k.xxh3_update = scalar::xxh3_update;
    k.copy_streaming = scalar::copy_streaming;
    k.split_groups = scalar::split_groups;
    k.merge_groups = scalar::merge_groups;
    k.delta16 = {scalar::delta_census16, scalar::delta_encode16, scalar::delta_decode16};
    k.delta32 = {scalar::delta_census32, scalar::delta_encode32, scalar::delta_decode32};
    return k;
}

constexpr Kernels kScalar = scalar_table();

#if defined(ZNN_SIMD_X86)

constexpr Kernels sse2_table() noexcept {
    Kernels k = kScalar;
    k.isa = Isa::sse2;
    k.split_bf16 = sse2::split_bf16;
    k.join_bf16 = sse2::join_bf16;
    k.split_bf16x = sse2::split_bf16x;
    k.join_bf16x = sse2::join_bf16x;
    k.split_pairs = sse2::split_pairs;
    k.join_pairs = sse2::join_pairs;
    k.split_fp32 = sse2::split_fp32;
    k.join_fp32 = sse2::join_fp32;
    k.split_fp8 = sse2::split_fp8;
    k.join_fp8 = sse2::join_fp8;
    k.xxh3 = sse2::xxh3;
    k.xxh3_update = sse2::xxh3_update;
    k.copy_streaming = sse2::copy_streaming;
    return k;
}

constexpr Kernels kSse2 = sse2_table();

constexpr Kernels ssse3_table() noexcept {
    Kernels k = kSse2;
    k.isa = Isa::ssse3;
    k.join_bf16x = ssse3::join_bf16x;
    k.split_groups = ssse3::split_groups;
    k.merge_groups = ssse3::merge_groups;
    return k;
}

constexpr Kernels kSsse3 = ssse3_table();

constexpr Kernels avx2_table() noexcept {
    Kernels k = kSsse3;
    k.isa = Isa::avx2;
    k.split_bf16 = avx2::split_bf16;
    k.join_bf16 = avx2::join_bf16;
    k.join_bf16x = avx2::join_bf16x;
    k.scan_known_elements = avx2::scan_known_elements;
    k.scan_known_bytes = avx2::scan_known_bytes;
    k.xxh3 = avx2::xxh3;
    k.xxh3_update = avx2::xxh3_update;
    return k;
}

constexpr Kernels kAvx2 = avx2_table();

constexpr Kernels avx512_table() noexcept {
    Kernels k = kAvx2;
    k.isa = Isa::avx512;
    k.split_groups = avx512::split_groups;
    k.merge_groups = avx512::merge_groups;
    k.delta16 = {avx512::delta_census16, avx512::delta_encode16, avx512::delta_decode16};
    k.delta32 = {avx512::delta_census32, avx512::delta_encode32, avx512::delta_decode32};
    return k;
}

constexpr Kernels kAvx512 = avx512_table();

bool cpu_has(Isa isa) noexcept {
    __builtin_cpu_init();
    switch (isa) {
        case Isa::scalar:
            return true;
        case Isa::sse2:
            return __builtin_cpu_supports("sse2");
        case Isa::ssse3:
            return __builtin_cpu_supports("ssse3");
        case Isa::avx2:
            return __builtin_cpu_supports("avx2");
        case Isa::avx512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi") &&
                   __builtin_cpu_supports("avx512vbmi2");
    }
    return false;
}

const Kernels& table(Isa isa) noexcept {
    switch (isa) {
        case Isa::scalar:
            break;
        case Isa::sse2:
            return kSse2;
        case Isa::ssse3:
            return kSsse3;
        case Isa::avx2:
            return kAvx2;
        case Isa::avx512:
            return kAvx512;
    }
    return kScalar;
}

#else

bool cpu_has(Isa isa) noexcept {
    return isa == Isa::scalar;
}

const Kernels& table(Isa) noexcept {
    return kScalar;
}

#endif

// Levels are ordered: a CPU with one has every level below it.
Isa best_level() noexcept {
    Isa best = Isa::scalar;
    for (const Isa isa : kIsas)
        if (cpu_has(isa)) best = isa;
    return best;
}

const Kernels& choose() noexcept {
    const Isa best = best_level();
    const char* forced = std::getenv("ZNN_FORCE_ISA");
    if (forced == nullptr || *forced == '\0') return table(best);
    for (const Isa isa : kIsas) {
        if (isa_name(isa) != forced) continue;
        if (cpu_has(isa)) return table(isa);
        std::fprintf(stderr, "znn: ZNN_FORCE_ISA=%s: this CPU lacks it; using %s\n", forced,
                     isa_name(best).data());
        return table(best);
    }
    std::fprintf(stderr,
                 "znn: ZNN_FORCE_ISA=%s: unknown (scalar, sse2, ssse3, avx2 or avx512); using %s\n",
                 forced, isa_name(best).data());
    return table(best);
}

}  // namespace

std::string_view isa_name(Isa isa) noexcept {
    switch (isa) {
        case Isa::scalar:
            return "scalar";
        case Isa::sse2:
            return "sse2";
        case Isa::ssse3:
            return "ssse3";
        case Isa::avx2:
            return "avx2";
        case Isa::avx512:
            return "avx512";
    }
    return "?";
}

const Kernels& kernels() noexcept {
    static const Kernels& chosen = choose();
    return chosen;
}

const Kernels* kernels_for(Isa isa) noexcept {
    return cpu_has(isa) ? &table(isa) : nullptr;
}

#if defined(ZNN_SIMD_X86)
void sha256_blocks_shani(std::uint32_t* state, const std::uint8_t* blocks,
                         std::size_t count) noexcept;  // sha256_shani.cpp
#endif

Sha256Blocks sha256_blocks() noexcept {
#if defined(ZNN_SIMD_X86)
    static const Sha256Blocks chosen = kernels().isa != Isa::scalar &&
                                               __builtin_cpu_supports("sha") &&
                                               __builtin_cpu_supports("sse4.1")
                                           ? sha256_blocks_shani
                                           : nullptr;
    return chosen;
#else
    return nullptr;
#endif
}

}  // namespace znn::simd
