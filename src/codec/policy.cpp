#include "codec/policy.hpp"

#include <array>
#include <string>

#include "znn/errors.hpp"
#include "znn/znn.hpp"

namespace znn {

namespace {

constexpr std::size_t KiB = 1024;

// Chunk sizes tried on headerless input, the first winning ties. Small chunks follow
// statistics that drift (the ONNX file's many small tensors), large ones decode faster.
constexpr std::array<std::size_t, 3> kLargeTrial = {1024 * KiB, 512 * KiB, 256 * KiB};
constexpr std::array<std::size_t, 3> kDefaultTrial = {256 * KiB, 128 * KiB, 512 * KiB};
constexpr std::array<std::size_t, 5> kWideTrial = {256 * KiB, 128 * KiB, 512 * KiB, 64 * KiB,
                                                   1024 * KiB};
constexpr std::array<std::size_t, 6> kWidestTrial = {256 * KiB, 128 * KiB,  512 * KiB,
                                                     64 * KiB,  1024 * KiB, 32 * KiB};

// Level 3, the default. Its choices, measured on the shared files (see README.md):
// - 256 KiB chunks in tensors; elsewhere the best of 128, 256 and 512 KiB on the first
//   512 KiB;
// - the probe looks at 8 KiB of each chunk: 16 KiB gave the same sizes on every shared
//   file but FP16 (86.01% against 85.99%), which it compresses 11% faster;
// - bf16x where it saves 0.5%, exponent planes give up 0.5% for short codes;
// - Huffman must save 7% of a plane (on the ONNX file that rule bought 18% decoding speed
//   for 0.2 points); tANS on FP8 planes; zstd level 3 on data planes that may repeat.
constexpr CodecPolicy kLevel3 = {
    .trial_chunk_sizes = kDefaultTrial,
    .trial_bytes = 512 * KiB,
    .tensor_chunk_size = 256 * KiB,
    .probe_sample = 8 * KiB,
    .try_bf16x = true,
    .bf16x_min_gain = 0.005,
    .short_code_max_loss = 0.005,
    .sampled_counts = true,
    .huffman_min_gain = 0.07,
    .ans_fp8 = true,
    .ans_everywhere = false,
    .data_zstd_level = 3,
    .zstd_dense_planes = false,
};

// Each level changes a few of its neighbour's choices.
constexpr CodecPolicy level_1() {
    CodecPolicy p = kLevel3;
    p.trial_chunk_sizes = kLargeTrial;
    p.tensor_chunk_size = 1024 * KiB;
    p.probe_sample = 4 * KiB;
    p.try_bf16x = false;
    p.short_code_max_loss = 0.02;
    p.huffman_min_gain = 0.15;
    p.ans_fp8 = false;
    p.data_zstd_level = 1;
    return p;
}
constexpr CodecPolicy level_2() {
    CodecPolicy p = kLevel3;
    p.tensor_chunk_size = 512 * KiB;
    p.huffman_min_gain = 0.10;
    p.ans_fp8 = false;
    return p;
}
constexpr CodecPolicy level_4() {
    CodecPolicy p = kLevel3;
    p.trial_chunk_sizes = kWideTrial;
    p.trial_bytes = 2048 * KiB;
    p.tensor_chunk_size = 128 * KiB;
    p.sampled_counts = false;
    return p;
}
constexpr CodecPolicy level_5() {
    CodecPolicy p = level_4();
    p.huffman_min_gain = 0.03;
    p.short_code_max_loss = 0;
    return p;
}
constexpr CodecPolicy level_6() {
    CodecPolicy p = level_5();
    p.trial_chunk_sizes = kWidestTrial;
    p.probe_sample = 32 * KiB;
    p.huffman_min_gain = 0.01;
    return p;
}
constexpr CodecPolicy level_7() {
    CodecPolicy p = level_6();
    p.ans_everywhere = true;
    return p;
}
constexpr CodecPolicy level_8() {
    CodecPolicy p = level_7();
    p.zstd_dense_planes = true;
    p.data_zstd_level = 9;
    return p;
}
constexpr CodecPolicy level_9() {
    CodecPolicy p = level_8();
    p.data_zstd_level = 19;
    return p;
}

constexpr std::array<CodecPolicy, kMaxLevel - kMinLevel + 1> kPolicies = {
    level_1(), level_2(), kLevel3,   level_4(), level_5(),
    level_6(), level_7(), level_8(), level_9()};

}  // namespace

const CodecPolicy& codec_policy(int level) {
    if (level < kMinLevel || level > kMaxLevel)
        throw UsageError("compression level " + std::to_string(level) + " is out of range (" +
                         std::to_string(kMinLevel) + " to " + std::to_string(kMaxLevel) + ")");
    return kPolicies[static_cast<std::size_t>(level - kMinLevel)];
}

const CodecPolicy& default_codec_policy() noexcept {
    return kPolicies[kDefaultLevel - kMinLevel];
}

}  // namespace znn
