#include "codec/chunk_plan.hpp"

#include <utility>

#include "planes/probe.hpp"
#include "planes/sampled_counts.hpp"

namespace znn {

namespace {

// Exponent planes may give up a share of their size (the policy's) for codes of at most
// 10 bits: a table build costs as much as decoding ~12 000 symbols, and a BF16 model of
// 64-256 KiB tensors builds one per tensor. FP32 exponent planes yield twice the bytes a
// symbol, so their tables cost half as much per byte; they take short codes only when
// small, where the table's cost is spread over few symbols.
constexpr std::size_t kFp32ShortCodeMaxSymbols = std::size_t{64} << 10;

// How much plane `plane` of a chunk in `layout` may give up for short codes.
double short_code_max_loss(const CodecPolicy& policy, Layout layout, unsigned plane,
                           std::size_t symbols) {
    if (plane != 0) return 0;
    if (layout == Layout::bf16 || layout == Layout::bf16x) return policy.short_code_max_loss;
    if (layout == Layout::fp32 && symbols < kFp32ShortCodeMaxSymbols)
        return policy.short_code_max_loss;
    return 0;
}

PlaneStats plane_stats(const Histogram& counts, double max_loss) {
    return {counts, huffman::build_code_lengths(counts, max_loss)};
}

struct Bf16Choice {
    Layout layout = Layout::bf16;
    std::optional<PlaneStats> plane0;  // the chosen layout's plane-0 statistics, if counted
};

// For the k elements of a BF16 chunk: bf16x when every element fits it and it codes
// smaller by the policy's bf16x_min_gain (its exponent symbols carry a bit more, so Huffman
// decoding yields fewer of them a lookup), else bf16. One count serves both layouts' plane 0.
Bf16Choice choose_bf16_layout(std::span<const std::uint8_t> elements, std::size_t k,
                              const CodecPolicy& policy) {
    if (k == 0) return {};
    const Bf16Counts counts = count_bf16_symbols(elements.data(), k, policy.sampled_counts);
    if (!counts.fits_x || !policy.try_bf16x)
        return {Layout::bf16, PlaneStats{counts.exponents, {}}};
    PlaneStats plain = plane_stats(counts.exponents, policy.short_code_max_loss);
    PlaneStats with_x = plane_stats(counts.x, policy.short_code_max_loss);
    const auto x_size = static_cast<double>(
        huffman::estimate_size(with_x.counts, *with_x.lengths, k) + (7 * k + 7) / 8);
    const auto plain_size =
        static_cast<double>(huffman::estimate_size(plain.counts, *plain.lengths, k) + k);
    if (x_size < plain_size * (1.0 - policy.bf16x_min_gain))
        return {Layout::bf16x, std::move(with_x)};
    return {Layout::bf16, std::move(plain)};
}

}  // namespace

ChunkPlan plan_chunk(std::span<const std::uint8_t> raw, const ChunkSpec& spec) {
    const CodecPolicy& policy = *spec.policy;
    ChunkPlan plan;
    plan.layout = spec.layout;
    plan.phase = spec.phase;
    if (spec.probe) {
        const ProbeResult guess = probe_layout(raw, policy.probe_sample);
        plan.layout = guess.layout;
        plan.phase = guess.phase;
    }
    if (plan.phase >= layout_width(plan.layout)) plan.phase = 0;
    // The BF16 family: bf16x where it fits and pays, with plane 0's statistics in hand.
    if (plan.layout == Layout::bf16 || plan.layout == Layout::bf16x) {
        const PlaneShape elements = plane_shape(Layout::bf16, plan.phase, raw.size());
        Bf16Choice bf16 =
            choose_bf16_layout(raw.subspan(elements.leading), elements.elements, policy);
        plan.layout = bf16.layout;
        plan.plane0 = std::move(bf16.plane0);
    }
    plan.shape = plane_shape(plan.layout, plan.phase, raw.size());
    for (unsigned i = 0; i < plan.shape.count; ++i)
        plan.short_code_max_loss[i] =
            short_code_max_loss(policy, plan.layout, i, plan.shape.sizes[i]);
    return plan;
}

}  // namespace znn
