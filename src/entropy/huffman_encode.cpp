// Huffman encoding: histogram, length-limited code lengths, and the 4-stream bit writer.
#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <numeric>
#include <vector>

#include "common/bytes_io.hpp"
#include "entropy/bitstreams.hpp"
#include "entropy/huffman.hpp"
#include "entropy/huffman_table.hpp"
#include "entropy/plane_blocks.hpp"

namespace znn::huffman {

namespace {

struct Leaf {
    std::uint32_t count;
    std::uint8_t symbol;
};

// Plain Huffman depths by the two-queue method over leaves sorted by count. Fixed-size
// arrays: a code is built per plane per chunk, and heap allocations were a third of it.
void compute_depths(std::span<const Leaf> leaves, CodeLengths& lengths) {
    const std::size_t n = leaves.size();
    std::array<std::uint64_t, 2 * 256 - 1> weight{};
    std::array<std::uint32_t, 2 * 256 - 1> parent{};
    for (std::size_t k = 0; k < n; ++k) weight[k] = leaves[k].count;
    std::size_t next_leaf = 0;
    std::size_t next_inner = n;
    auto take_smallest = [&](std::size_t created) {
        if (next_leaf < n && (next_inner >= created || weight[next_leaf] <= weight[next_inner]))
            return next_leaf++;
        return next_inner++;
    };
    for (std::size_t node = n; node < 2 * n - 1; ++node) {
        const std::size_t a = take_smallest(node);
        const std::size_t b = take_smallest(node);
        weight[node] = weight[a] + weight[b];
        parent[a] = parent[b] = static_cast<std::uint32_t>(node);
    }
    std::array<std::uint32_t, 2 * 256 - 1> depth{};
    for (std::size_t node = 2 * n - 1; node-- > 0;) {
        if (node != 2 * n - 2) depth[node] = depth[parent[node]] + 1;
    }
    for (std::size_t k = 0; k < n; ++k)
        lengths[leaves[k].symbol] =
            static_cast<std::uint8_t>(std::min<std::uint32_t>(depth[k], 255));
}

// Caps lengths at kMaxCodeLength and restores the Kraft inequality by lengthening the
// cheapest codes, then spends any slack on shortening the most frequent ones.
void limit_lengths(std::span<const Leaf> by_count, unsigned L, CodeLengths& lengths) {
    const std::uint32_t kFull = 1u << L;
    std::uint32_t kraft = 0;
    for (const Leaf& leaf : by_count) {
        auto& len = lengths[leaf.symbol];
        if (len > L) len = static_cast<std::uint8_t>(L);
        kraft += 1u << (L - len);
    }
    // Repay the excess by lengthening the longest code still short of L (it costs the
    // fewest bits), the least frequent first. levels[l] is the set of leaf indices (in
    // ascending count) with length l: a 256-symbol FP8 plane used to spend a fifth of its
    // compression time rescanning every leaf for each step.
    std::array<std::array<std::uint64_t, 4>, kMaxCodeLength + 1> levels{};
    for (std::size_t k = 0; k < by_count.size(); ++k) {
        const unsigned len = lengths[by_count[k].symbol];
        levels[len][k / 64] |= std::uint64_t{1} << (k % 64);
    }
    while (kraft > kFull) {
        unsigned l = L - 1;
        while (l > 0 && levels[l][0] == 0 && levels[l][1] == 0 && levels[l][2] == 0 &&
               levels[l][3] == 0)
            --l;
        unsigned word = 0;
        while (levels[l][word] == 0) ++word;
        const auto k = 64 * word + static_cast<unsigned>(std::countr_zero(levels[l][word]));
        levels[l][word] &= levels[l][word] - 1;
        levels[l + 1][word] |= std::uint64_t{1} << (k % 64);
        kraft -= 1u << (L - l - 1);
        ++lengths[by_count[k].symbol];
    }
    for (std::size_t k = by_count.size(); k-- > 0;) {  // most frequent first
        auto& len = lengths[by_count[k].symbol];
        while (len > 1 && kraft + (1u << (L - len)) <= kFull) {
            kraft += 1u << (L - len);
            --len;
        }
    }
}

}  // namespace

CodeLengths build_code_lengths(const Histogram& counts, double short_code_max_loss) noexcept {
    CodeLengths lengths{};
    // Leaves by count, ties in symbol order: sorted as one integer key each, count above
    // symbol (sorting structs with a two-field comparison was a third of this function).
    std::array<std::uint64_t, 256> keys;
    std::size_t used = 0;
    for (unsigned s = 0; s < 256; ++s)
        if (counts[s] != 0) keys[used++] = (std::uint64_t{counts[s]} << 8) | s;
    if (used == 0) return lengths;
    if (used == 1) {
        lengths[keys[0] & 0xFF] = 1;
        return lengths;
    }
    std::sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(used));
    std::array<Leaf, 256> storage;
    for (std::size_t k = 0; k < used; ++k)
        storage[k] = {static_cast<std::uint32_t>(keys[k] >> 8),
                      static_cast<std::uint8_t>(keys[k] & 0xFF)};
    const std::span<Leaf> leaves(storage.data(), used);
    compute_depths(leaves, lengths);
    const auto longest = *std::max_element(lengths.begin(), lengths.end());
    if (longest > kMaxCodeLength) limit_lengths(leaves, kMaxCodeLength, lengths);
    if (longest <= kShortCodeLength || short_code_max_loss <= 0) return lengths;
    CodeLengths short_lengths = lengths;
    limit_lengths(leaves, kShortCodeLength, short_lengths);
    auto bits = [&](const CodeLengths& l) {
        std::uint64_t total = 0;
        for (const Leaf& leaf : leaves) total += std::uint64_t{leaf.count} * l[leaf.symbol];
        return static_cast<double>(total);
    };
    return bits(short_lengths) <= bits(lengths) * (1 + short_code_max_loss) ? short_lengths
                                                                            : lengths;
}

std::size_t estimate_size(const Histogram& counts, const CodeLengths& lengths,
                          std::size_t symbols) noexcept {
    std::uint64_t bits = 0;
    for (unsigned s = 0; s < 256; ++s) bits += std::uint64_t{counts[s]} * lengths[s];
    const std::size_t blocks = (symbols + kBlockSymbols - 1) / kBlockSymbols;
    return table_size(lengths) + blocks * (kBlockHeaderSize + 4) +
           static_cast<std::size_t>(bits / 8);
}

std::size_t encode_bound(std::size_t symbols) noexcept {
    const std::size_t blocks = (symbols + kBlockSymbols - 1) / kBlockSymbols;
    return kMaxTableSize + blocks * (kBlockHeaderSize + 4) + symbols * kMaxCodeLength / 8 + 16;
}

namespace {

// Codes symbols [begin, p) backwards into w, four per flush.
void encode_rest(const std::uint8_t* begin, const std::uint8_t* p, const std::uint64_t* code_table,
                 TopBitWriter& w) noexcept {
    while (p - begin >= 4) {
        w.put(code_table[p[-1]]);
        w.put(code_table[p[-2]]);
        w.put(code_table[p[-3]]);
        w.put(code_table[p[-4]]);
        p -= 4;
        w.flush();
    }
    while (p > begin) w.put(code_table[*--p]);
}

// Two symbols per lookup: entry (hi << 8 | lo) holds the code of hi, then the code of
// lo, as two puts would emit them for the pair `lo hi` read backwards. Exponent planes
// use a few dozen symbols, so only those rows are filled and the hot entries stay cached.
using PairTable = std::array<std::uint64_t, 1u << 16>;
constexpr std::size_t kMaxPairSymbols = 64;

void fill_pair_table(const std::array<std::uint16_t, 256>& codes, const CodeLengths& lengths,
                     PairTable& pairs) noexcept {
    std::array<std::uint8_t, 256> present{};
    unsigned k = 0;
    for (unsigned sym = 0; sym < 256; ++sym)
        if (lengths[sym] != 0) present[k++] = static_cast<std::uint8_t>(sym);
    for (unsigned a = 0; a < k; ++a) {
        const unsigned hi = present[a];
        for (unsigned b = 0; b < k; ++b) {
            const unsigned lo = present[b];
            const std::uint64_t both = codes[hi] | (std::uint64_t{codes[lo]} << lengths[hi]);
            pairs[(hi << 8) | lo] = TopBitWriter::entry(both, lengths[hi] + lengths[lo]);
        }
    }
}

// Runs `rounds` rounds of put_four (four symbols ending at a stream's input pointer) and a
// flush on streams 0 and 1 together, then on 2 and 3: two streams' bit-packing chains
// overlap well enough, and the state of four (accumulator, bit count, output and input
// pointers) does not fit x86-64's registers; spilling it cost 18% of encoding time.
template <class PutFour>
void encode_two_streams_at_a_time(std::array<TopBitWriter, 4>& w,
                                  std::array<const std::uint8_t*, 4>& p, std::size_t rounds,
                                  PutFour put_four) noexcept {
    for (unsigned first = 0; first < 4; first += 2) {
        TopBitWriter a = w[first];
        TopBitWriter b = w[first + 1];
        const std::uint8_t* pa = p[first];
        const std::uint8_t* pb = p[first + 1];
        for (std::size_t round = 0; round < rounds; ++round) {
            put_four(a, pa);
            put_four(b, pb);
            pa -= 4;
            pb -= 4;
            a.flush();
            b.flush();
        }
        w[first] = a;
        w[first + 1] = b;
        p[first] = pa;
        p[first + 1] = pb;
    }
}

// Encodes one block's four streams, interleaved so their bit-packing dependency chains
// overlap in the CPU. Stream 0 is written in place; streams 1-3 go to scratch and are
// moved behind it. With a pair table, four symbols cost two lookups. Returns the block's end.
std::uint8_t* encode_block(const std::uint8_t* data, std::size_t n, const std::uint64_t* code_table,
                           const PairTable* pairs, std::uint8_t* block) noexcept {
    thread_local std::vector<std::uint8_t> scratch;
    FourStreamWriter<TopBitWriter> streams(block, scratch, ((n + 3) / 4) * kMaxCodeLength / 8 + 16);
    auto& w = streams.w;
    std::array<const std::uint8_t*, 4> begin{};
    std::array<const std::uint8_t*, 4> p{};
    std::size_t common = SIZE_MAX;
    for (unsigned j = 0; j < 4; ++j) {
        const auto [a, b] = stream_range(n, j);
        begin[j] = data + a;
        p[j] = data + b;
        common = std::min(common, (b - a) / 4);
    }
    if (pairs != nullptr) {
        const std::uint64_t* pt = pairs->data();
        encode_two_streams_at_a_time(w, p, common, [pt](TopBitWriter& out, const std::uint8_t* at) {
            out.put(pt[load_le<std::uint16_t>(at - 2)]);
            out.put(pt[load_le<std::uint16_t>(at - 4)]);
        });
    } else {
        encode_two_streams_at_a_time(w, p, common,
                                     [code_table](TopBitWriter& out, const std::uint8_t* at) {
                                         out.put(code_table[at[-1]]);
                                         out.put(code_table[at[-2]]);
                                         out.put(code_table[at[-3]]);
                                         out.put(code_table[at[-4]]);
                                     });
    }
    for (unsigned j = 0; j < 4; ++j) encode_rest(begin[j], p[j], code_table, w[j]);
    return streams.finish();
}

}  // namespace

std::size_t encode(std::span<const std::uint8_t> symbols, const CodeLengths& lengths,
                   std::uint8_t* out) noexcept {
    std::array<std::uint16_t, 256> codes{};
    assign_canonical_codes(lengths, codes);
    std::array<std::uint64_t, 256> code_table{};
    for (unsigned s = 0; s < 256; ++s)
        if (lengths[s] != 0) code_table[s] = TopBitWriter::entry(codes[s], lengths[s]);

    // The pair table pays off when filling its k*k entries is small next to the plane,
    // and while its used entries (8 bytes each) stay in L1: at k = 65-128 (FP16 planes)
    // lookups from L2 made pairs slower than single symbols.
    const auto k = static_cast<std::size_t>(256 - std::count(lengths.begin(), lengths.end(), 0));
    const PairTable* pairs = nullptr;
    if (k <= kMaxPairSymbols && k * k * 4 <= symbols.size()) {
        // Not zeroed: only the rows of present symbols are filled and read, so only their
        // pages are touched (make_unique zeroed all 512 KiB: 128 page faults per process).
        thread_local const std::unique_ptr<PairTable> pair_table(new PairTable);
        fill_pair_table(codes, lengths, *pair_table);
        pairs = pair_table.get();
    }

    std::uint8_t* p = out + write_table(lengths, out);
    for (std::size_t start = 0; start < symbols.size(); start += kBlockSymbols) {
        const std::size_t n = std::min(kBlockSymbols, symbols.size() - start);
        p = encode_block(symbols.data() + start, n, code_table.data(), pairs, p);
    }
    return static_cast<std::size_t>(p - out);
}

}  // namespace znn::huffman
