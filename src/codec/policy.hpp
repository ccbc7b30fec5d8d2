// What a compression level changes. Every field is a choice the codec makes anyway; a level
// only moves it between faster (to code, to decode) and smaller. The reader, the chunk plan
// and the plane coder each read the fields of their own step, so no code tests a level
// number. Every level writes the same v1 format, decoded by the same decoder.
#pragma once

#include <cstddef>
#include <span>

namespace znn {

struct CodecPolicy {
    // The reader (headerless input): the chunk sizes tried on the first trial_bytes, the
    // first one winning ties; one size means no trial.
    std::span<const std::size_t> trial_chunk_sizes;
    std::size_t trial_bytes = 0;
    // The reader (safetensors): the chunk size within a tensor.
    std::size_t tensor_chunk_size = 0;
    // The plan: bytes of each chunk the layout probe looks at.
    std::size_t probe_sample = 0;
    // The plan: whether BF16 chunks may use bf16x, and the share of the chunk it must save.
    bool try_bf16x = true;
    double bf16x_min_gain = 0;
    // The plan: the share of its size an exponent plane may give up for codes of at most
    // huffman::kShortCodeLength bits (their decoding tables build twice as fast).
    double short_code_max_loss = 0;
    // The plan and the plane coder: count the planes of 2-byte floats from a sample.
    bool sampled_counts = true;
    // The plane coder: the share of a plane Huffman (or tANS) must save to be used.
    double huffman_min_gain = 0;
    // The plane coder: tANS instead of Huffman where it codes smaller, on fp8 planes only
    // or on every plane (it decodes at about half Huffman's speed).
    bool ans_fp8 = false;
    bool ans_everywhere = false;
    // The plane coder: zstd's level for data planes (integers, bytes), and whether dense
    // float planes are tried with zstd too.
    int data_zstd_level = 0;
    bool zstd_dense_planes = false;
};

// The policy of a level in [kMinLevel, kMaxLevel] (znn/znn.hpp). Throws UsageError otherwise.
const CodecPolicy& codec_policy(int level);

// The default level's policy, for callers that give none.
const CodecPolicy& default_codec_policy() noexcept;

}  // namespace znn
