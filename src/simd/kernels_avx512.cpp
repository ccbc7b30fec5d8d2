// The AVX-512 kernels (built with -mavx512f -mavx512bw -mavx512vl -mavx512vbmi
// -mavx512vbmi2): delta coding's exponent groups and element passes (16- and 32-bit), the
// rest to the level below. See kernels.hpp.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <bit>

#include "simd/levels.hpp"

namespace znn::simd::avx512 {

namespace {

__m512i load(const std::uint8_t* p) noexcept {
    return _mm512_loadu_si512(p);
}

// Lanes of 64 exponents in each group: bit i of mask[g] for element i.
struct GroupMasks {
    std::array<__mmask64, 4> mask{};
};

GroupMasks group_masks(__m512i e, const std::uint8_t* cuts, unsigned groups) noexcept {
    GroupMasks m;
    __mmask64 below = ~__mmask64{0};  // lanes not yet in a group
    for (unsigned c = 0; c + 1 < groups; ++c) {
        const __mmask64 at_or_above =
            _mm512_cmpge_epu8_mask(e, _mm512_set1_epi8(static_cast<char>(cuts[c])));
        m.mask[c] = below & ~at_or_above;
        below = at_or_above;
    }
    m.mask[groups - 1] = below;
    return m;
}

// shift[e] for 64 byte lanes: the 256-entry table in four registers, two permutes of 128
// entries and a blend on bit 7.
struct ShiftTable {
    __m512i t0, t1, t2, t3;
    explicit ShiftTable(const std::uint8_t* shift) noexcept
        : t0(load(shift)), t1(load(shift + 64)), t2(load(shift + 128)), t3(load(shift + 192)) {}
    __m512i operator()(__m512i e) const noexcept {
        const __m512i lo = _mm512_permutex2var_epi8(t0, e, t1);
        const __m512i hi = _mm512_permutex2var_epi8(t2, e, t3);
        return _mm512_mask_blend_epi8(_mm512_movepi8_mask(e), lo, hi);
    }
};

// 32 two-byte elements: their base exponents as 16-bit lanes, and those exponents' shifts.
struct Exponents16 {
    __m512i magnitude;  // of the base elements
    __m512i shift;      // r per lane
};

Exponents16 exponents16(__m512i b, __m128i mantissa_bits, const ShiftTable& table) noexcept {
    const __m512i magnitude = _mm512_and_si512(b, _mm512_set1_epi16(0x7FFF));
    const __m256i e = _mm512_cvtepi16_epi8(_mm512_srl_epi16(magnitude, mantissa_bits));
    const __m512i r = table(_mm512_castsi256_si512(e));
    return {magnitude, _mm512_cvtepu8_epi16(_mm512_castsi512_si256(r))};
}

// 16 four-byte elements: their base exponents' magnitudes and shifts as 32-bit lanes.
struct Exponents32 {
    __m512i magnitude;  // of the base elements
    __m512i shift;      // r per lane
};

Exponents32 exponents32(__m512i b, __m128i mantissa_bits, const ShiftTable& table) noexcept {
    const __m512i magnitude = _mm512_and_si512(b, _mm512_set1_epi32(0x7FFFFFFF));
    const __m128i e = _mm512_cvtepi32_epi8(_mm512_srl_epi32(magnitude, mantissa_bits));
    const __m512i r = table(_mm512_castsi128_si512(e));
    return {magnitude, _mm512_cvtepu8_epi32(_mm512_castsi512_si128(r))};
}

// Inclusive prefix sum of eight 64-bit lanes.
__m512i prefix_sum(__m512i v) noexcept {
    const __m512i zero = _mm512_setzero_si512();
    v = _mm512_add_epi64(v, _mm512_alignr_epi64(v, zero, 7));
    v = _mm512_add_epi64(v, _mm512_alignr_epi64(v, zero, 6));
    return _mm512_add_epi64(v, _mm512_alignr_epi64(v, zero, 4));
}

unsigned last_lane(__m512i v) noexcept {
    return static_cast<unsigned>(_mm_extract_epi64(_mm512_extracti32x4_epi32(v, 3), 1));
}

// Eight fields read at once (lane j: width_j bits, at most 56), the first from bit `bit`
// of `byte` on; `byte` has 64 readable bytes. Each field's bit offset is a prefix sum of
// the widths, and all eight lie in the 64 bytes (at most 7 + 7 * 56 bits before the last
// one's start), so one byte permute brings each field's eight bytes into its lane.
struct Fields {
    __m512i value;
    unsigned size;  // bits, all eight
};

Fields read_fields(const std::uint8_t* byte, unsigned bit, __m512i width) noexcept {
    const __m512i byte_in_lane = _mm512_set1_epi64(0x0706050403020100);
    const __m512i first_byte_of_lane = _mm512_set_epi64(
        0x3838383838383838, 0x3030303030303030, 0x2828282828282828, 0x2020202020202020,
        0x1818181818181818, 0x1010101010101010, 0x0808080808080808, 0x0000000000000000);
    const __m512i one = _mm512_set1_epi64(1);
    const __m512i end = prefix_sum(width);
    const __m512i start = _mm512_add_epi64(_mm512_sub_epi64(end, width), _mm512_set1_epi64(bit));
    const __m512i index = _mm512_add_epi8(
        _mm512_permutexvar_epi8(first_byte_of_lane, _mm512_srli_epi64(start, 3)), byte_in_lane);
    const __m512i bytes = _mm512_permutexvar_epi8(index, load(byte));
    const __m512i mask = _mm512_sub_epi64(_mm512_sllv_epi64(one, width), one);
    return {_mm512_and_si512(
                _mm512_srlv_epi64(bytes, _mm512_and_si512(start, _mm512_set1_epi64(7))), mask),
            last_lane(end)};
}

// A census over 64 exponents at a time (byte lanes): their range, the low bits their
// shifts add up to and how many fall in each group.
class CensusLanes {
  public:
    CensusLanes(const std::uint8_t* shift, const std::uint8_t* cuts, unsigned groups) noexcept
        : table_(shift), cuts_(cuts), groups_(groups) {}
    void add(__m512i e) noexcept {
        lo_ = _mm512_min_epu8(lo_, e);
        hi_ = _mm512_max_epu8(hi_, e);
        low_bits_ = _mm512_add_epi64(low_bits_, _mm512_sad_epu8(table_(e), _mm512_setzero_si512()));
        for (unsigned g = 0; g + 1 < groups_; ++g)
            at_or_above_[g] += static_cast<std::uint64_t>(std::popcount(
                _mm512_cmpge_epu8_mask(e, _mm512_set1_epi8(static_cast<char>(cuts_[g])))));
        count_ += 64;
    }
    void finish(DeltaCensus& c) const noexcept {
        if (count_ == 0) return;
        alignas(64) std::array<std::uint8_t, 64> lanes{};
        _mm512_store_si512(lanes.data(), lo_);
        unsigned m = 255;
        for (const std::uint8_t v : lanes) m = std::min<unsigned>(m, v);
        c.min_exponent = std::min(c.min_exponent, m);
        _mm512_store_si512(lanes.data(), hi_);
        m = 0;
        for (const std::uint8_t v : lanes) m = std::max<unsigned>(m, v);
        c.max_exponent = std::max(c.max_exponent, m);
        c.low_bits += static_cast<std::uint64_t>(_mm512_reduce_add_epi64(low_bits_));
        std::uint64_t previous = count_;
        for (unsigned g = 0; g + 1 < groups_; ++g) {
            c.group_size[g] += previous - at_or_above_[g];
            previous = at_or_above_[g];
        }
        c.group_size[groups_ - 1] += previous;
    }

  private:
    ShiftTable table_;
    const std::uint8_t* cuts_;
    unsigned groups_;
    __m512i lo_ = _mm512_set1_epi8(static_cast<char>(0xFF));
    __m512i hi_ = _mm512_setzero_si512();
    __m512i low_bits_ = _mm512_setzero_si512();
    std::array<std::uint64_t, 4> at_or_above_{};
    std::uint64_t count_ = 0;
};

// Field widths of 32 16-bit lanes summed by pairs (32-bit lanes) and by fours (64-bit).
struct PairWidths {
    __m512i even;        // per 32-bit lane: the even element's width
    __m512i pair;        // per 32-bit lane: both elements'
    __m512i first_pair;  // per 64-bit lane: the first pair's
    __m512i quad;        // per 64-bit lane: all four's
};

PairWidths pair_widths(__m512i r) noexcept {
    PairWidths w;
    w.even = _mm512_and_si512(r, _mm512_set1_epi32(0xFFFF));
    w.pair = _mm512_add_epi32(w.even, _mm512_srli_epi32(r, 16));
    w.first_pair = _mm512_and_si512(w.pair, _mm512_set1_epi64(0xFFFFFFFF));
    w.quad = _mm512_add_epi64(w.first_pair, _mm512_srli_epi64(w.pair, 32));
    return w;
}

// The eight fields of a step (lane j: quad_j, below 2^width_j, widths at most 60) as one
// bit string from bit 0 of a register, and its length. Field j starts at the prefix sum of
// the widths before it: in word start_j / 64, running over into the next. The fields that
// start in one word are OR-ed together by a segmented scan, and each word's last lane is
// compressed into place: the words fields start in are 0, 1, 2, ... with no gap, since no
// field is as wide as a word.
struct PackedFields {
    __m512i bits;
    unsigned size;
};

PackedFields pack_fields(__m512i quad, __m512i width) noexcept {
    const __m512i zero = _mm512_setzero_si512();
    const __m512i none = _mm512_set1_epi64(-1);  // a word no lane is in
    const __m512i end = prefix_sum(width);
    const __m512i start = _mm512_sub_epi64(end, width);
    const __m512i word = _mm512_srli_epi64(start, 6);
    const __m512i r = _mm512_and_si512(start, _mm512_set1_epi64(63));
    __m512i lo = _mm512_sllv_epi64(quad, r);
    __m512i hi = _mm512_srlv_epi64(quad, _mm512_sub_epi64(_mm512_set1_epi64(64), r));
    const auto scan = [&](__m512i previous_word, __m512i previous_lo, __m512i previous_hi) {
        const __mmask8 same = _mm512_cmpeq_epi64_mask(word, previous_word);
        lo = _mm512_mask_or_epi64(lo, same, lo, previous_lo);
        hi = _mm512_mask_or_epi64(hi, same, hi, previous_hi);
    };
    scan(_mm512_alignr_epi64(word, none, 7), _mm512_alignr_epi64(lo, zero, 7),
         _mm512_alignr_epi64(hi, zero, 7));
    scan(_mm512_alignr_epi64(word, none, 6), _mm512_alignr_epi64(lo, zero, 6),
         _mm512_alignr_epi64(hi, zero, 6));
    scan(_mm512_alignr_epi64(word, none, 4), _mm512_alignr_epi64(lo, zero, 4),
         _mm512_alignr_epi64(hi, zero, 4));
    const __mmask8 last = _mm512_cmpneq_epi64_mask(word, _mm512_alignr_epi64(none, word, 1));
    const __m512i low_words = _mm512_maskz_compress_epi64(last, lo);
    const __m512i high_words = _mm512_maskz_compress_epi64(last, hi);
    return {_mm512_or_si512(low_words, _mm512_alignr_epi64(high_words, zero, 7)), last_lane(end)};
}

// The writer's bit stream in registers: the next byte, the bits pending in it (0-7) and
// their value in byte 0 of a register.
struct StreamAt {
    std::uint8_t* byte;
    unsigned bit;
    __m512i pending;

    explicit StreamAt(const BitFieldWriter::Position& p) noexcept
        : byte(p.byte),
          bit(p.bit),
          pending(_mm512_zextsi128_si512(_mm_cvtsi64_si128(static_cast<long long>(p.pending)))) {}
    BitFieldWriter::Position position() const noexcept {
        return {byte, bit,
                static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm512_castsi512_si128(pending)))};
    }
    // Appends a packed string (at most 480 bits): shifted past the pending bits, stored
    // whole, the new last byte kept pending.
    void append(const PackedFields& p) noexcept {
        const __m128i up = _mm_cvtsi32_si128(static_cast<int>(bit));
        const __m128i down = _mm_cvtsi32_si128(64 - static_cast<int>(bit));
        const __m512i carried =
            _mm512_srl_epi64(_mm512_alignr_epi64(p.bits, _mm512_setzero_si512(), 7), down);
        const __m512i out =
            _mm512_or_si512(_mm512_or_si512(_mm512_sll_epi64(p.bits, up), carried), pending);
        _mm512_storeu_si512(byte, out);
        const unsigned total = bit + p.size;
        pending =
            _mm512_maskz_permutexvar_epi8(1, _mm512_set1_epi8(static_cast<char>(total >> 3)), out);
        byte += total >> 3;
        bit = total & 7;
    }
};

// Escapes: the lanes of a step whose u >> r reached kDeltaEscapeHi put u >> r to the
// escape stream as a W - 1 bit field, in lane order (rare: a step holding one is not sent
// to the scalar code, which cost ten vector steps).
template <class Lane>
void put_escapes(const Lane* hi, std::uint64_t lanes, unsigned bits,
                 BitFieldWriter& escapes) noexcept {
    for (; lanes != 0; lanes &= lanes - 1) escapes.put(hi[std::countr_zero(lanes)], bits);
}

// And back: the escaped lanes' values read in lane order, to be expanded into them.
template <class Lane, std::size_t N>
void get_escapes(std::uint64_t lanes, unsigned bits, BitFieldReader& escapes,
                 std::array<Lane, N>& values) noexcept {
    for (unsigned n = 0; lanes != 0; lanes &= lanes - 1)
        values[n++] = static_cast<Lane>(escapes.get(bits));
}

}  // namespace

// 64 elements a step: each group's lanes compressed to the front of a register, stored
// whole (the slack takes the rest).
void split_groups(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                  const std::uint8_t* src, std::size_t k, std::uint8_t** out) noexcept {
    std::size_t i = 0;
    for (; i + 64 <= k; i += 64) {
        const GroupMasks m = group_masks(load(exponents + i), cuts, groups);
        const __m512i v = load(src + i);
        for (unsigned g = 0; g < groups; ++g) {
            _mm512_storeu_si512(out[g], _mm512_maskz_compress_epi8(m.mask[g], v));
            out[g] += std::popcount(m.mask[g]);
        }
    }
    scalar::split_groups(exponents + i, cuts, groups, src + i, k - i, out);
}

// 64 elements a step: each group's next bytes expanded into its lanes.
void merge_groups(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                  const std::uint8_t** in, std::size_t k, std::uint8_t* dst) noexcept {
    std::size_t i = 0;
    for (; i + 64 <= k; i += 64) {
        const GroupMasks m = group_masks(load(exponents + i), cuts, groups);
        __m512i v = _mm512_setzero_si512();
        for (unsigned g = 0; g < groups; ++g) {
            v = _mm512_mask_expand_epi8(v, m.mask[g], load(in[g]));
            in[g] += std::popcount(m.mask[g]);
        }
        _mm512_storeu_si512(dst + i, v);
    }
    scalar::merge_groups(exponents + i, cuts, groups, in, k - i, dst + i);
}

// 64 elements a step: exponents stored, their range and shifts summed, group lanes counted.
void delta_census16(const std::uint8_t* b, std::size_t k, const DeltaFormat& f,
                    const std::uint8_t* cuts, unsigned groups, std::uint8_t* exponents,
                    DeltaCensus& c) noexcept {
    const __m128i mantissa_bits = _mm_cvtsi32_si128(static_cast<int>(f.mantissa_bits));
    const __m512i magnitude = _mm512_set1_epi16(0x7FFF);
    CensusLanes census(f.shift, cuts, groups);
    std::size_t i = 0;
    for (; i + 64 <= k; i += 64) {
        const __m256i e0 = _mm512_cvtepi16_epi8(
            _mm512_srl_epi16(_mm512_and_si512(load(b + 2 * i), magnitude), mantissa_bits));
        const __m256i e1 = _mm512_cvtepi16_epi8(
            _mm512_srl_epi16(_mm512_and_si512(load(b + 2 * i + 64), magnitude), mantissa_bits));
        const __m512i e = _mm512_inserti64x4(_mm512_castsi256_si512(e0), e1, 1);
        _mm512_storeu_si512(exponents + i, e);
        census.add(e);
    }
    census.finish(c);
    scalar::delta_census16(b + 2 * i, k - i, f, cuts, groups, exponents + i, c);
}

// As delta_census16, four loads of 16 elements a step.
void delta_census32(const std::uint8_t* b, std::size_t k, const DeltaFormat& f,
                    const std::uint8_t* cuts, unsigned groups, std::uint8_t* exponents,
                    DeltaCensus& c) noexcept {
    const __m128i mantissa_bits = _mm_cvtsi32_si128(static_cast<int>(f.mantissa_bits));
    const __m512i magnitude = _mm512_set1_epi32(0x7FFFFFFF);
    const auto exponents_of = [&](const std::uint8_t* p) {
        return _mm512_cvtepi32_epi8(
            _mm512_srl_epi32(_mm512_and_si512(load(p), magnitude), mantissa_bits));
    };
    CensusLanes census(f.shift, cuts, groups);
    std::size_t i = 0;
    for (; i + 64 <= k; i += 64) {
        __m512i e = _mm512_castsi128_si512(exponents_of(b + 4 * i));
        e = _mm512_inserti32x4(e, exponents_of(b + 4 * i + 64), 1);
        e = _mm512_inserti32x4(e, exponents_of(b + 4 * i + 128), 2);
        e = _mm512_inserti32x4(e, exponents_of(b + 4 * i + 192), 3);
        _mm512_storeu_si512(exponents + i, e);
        census.add(e);
    }
    census.finish(c);
    scalar::delta_census32(b + 4 * i, k - i, f, cuts, groups, exponents + i, c);
}

// 32 elements a step; escapes in lane order (put_escapes). The low fields are merged in
// registers by pairs, then fours (at most 4 * 14 bits), then packed and appended as one
// register.
void delta_encode16(const std::uint8_t* x, const std::uint8_t* b, std::size_t k,
                    const DeltaFormat& f, std::uint8_t* symbols, BitFieldWriter& low,
                    BitFieldWriter& escapes) noexcept {
    const ShiftTable table(f.shift);
    const __m128i mantissa_bits = _mm_cvtsi32_si128(static_cast<int>(f.mantissa_bits));
    const __m512i magnitude = _mm512_set1_epi16(0x7FFF);
    const __m512i escape_hi = _mm512_set1_epi16(kDeltaEscapeHi);
    StreamAt stream(low.position());
    std::size_t i = 0;
    for (; i + 32 <= k; i += 32) {
        const __m512i xv = load(x + 2 * i);
        const __m512i bv = load(b + 2 * i);
        const Exponents16 base = exponents16(bv, mantissa_bits, table);
        const __m512i dm = _mm512_sub_epi16(_mm512_and_si512(xv, magnitude), base.magnitude);
        const __mmask32 neg = _mm512_cmplt_epi16_mask(dm, _mm512_setzero_si512());
        const __m512i u = _mm512_abs_epi16(dm);
        const __m512i hi = _mm512_srlv_epi16(u, base.shift);
        const __mmask32 escaped = _mm512_cmpge_epu16_mask(hi, escape_hi);
        if (escaped != 0) {
            alignas(64) std::array<std::uint16_t, 32> lanes{};
            _mm512_store_si512(lanes.data(), hi);
            put_escapes(lanes.data(), escaped, 15, escapes);
        }
        __m512i symbol = _mm512_or_si512(_mm512_slli_epi16(_mm512_min_epu16(hi, escape_hi), 2),
                                         _mm512_srli_epi16(_mm512_xor_si512(xv, bv), 15));
        symbol = _mm512_mask_add_epi16(symbol, neg, symbol, _mm512_set1_epi16(2));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(symbols + i), _mm512_cvtepi16_epi8(symbol));

        const __m512i field = _mm512_sub_epi16(u, _mm512_sllv_epi16(hi, base.shift));
        const PairWidths w = pair_widths(base.shift);
        const __m512i pair =
            _mm512_or_si512(_mm512_and_si512(field, _mm512_set1_epi32(0xFFFF)),
                            _mm512_sllv_epi32(_mm512_srli_epi32(field, 16), w.even));
        const __m512i quad =
            _mm512_or_si512(_mm512_and_si512(pair, _mm512_set1_epi64(0xFFFFFFFF)),
                            _mm512_sllv_epi64(_mm512_srli_epi64(pair, 32), w.first_pair));
        stream.append(pack_fields(quad, w.quad));
    }
    low.set_position(stream.position());
    scalar::delta_encode16(x + 2 * i, b + 2 * i, k - i, f, symbols + i, low, escapes);
}

// The encoder's steps backwards: the eight fields of four read at once (read_fields),
// then split by fours and pairs.
void delta_decode16(const std::uint8_t* b, const std::uint8_t* symbols, std::size_t k,
                    const DeltaFormat& f, BitFieldReader& low, BitFieldReader& escapes,
                    std::uint8_t* out) noexcept {
    const ShiftTable table(f.shift);
    const __m128i mantissa_bits = _mm_cvtsi32_si128(static_cast<int>(f.mantissa_bits));
    const __m512i magnitude = _mm512_set1_epi16(0x7FFF);
    const __m512i escape_hi = _mm512_set1_epi16(kDeltaEscapeHi);
    const __m512i one64 = _mm512_set1_epi64(1);
    const __m512i one32 = _mm512_set1_epi32(1);
    std::size_t i = 0;
    for (; i + 32 <= k; i += 32) {
        const __m512i symbol =
            _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(symbols + i)));
        __m512i hi = _mm512_srli_epi16(symbol, 2);
        const __mmask32 escaped = _mm512_cmpeq_epi16_mask(hi, escape_hi);
        if (escaped != 0) {
            alignas(64) std::array<std::uint16_t, 32> values{};
            get_escapes(escaped, 15, escapes, values);
            hi = _mm512_mask_expand_epi16(hi, escaped, _mm512_load_si512(values.data()));
        }
        const __m512i bv = load(b + 2 * i);
        const Exponents16 base = exponents16(bv, mantissa_bits, table);
        const PairWidths w = pair_widths(base.shift);
        const Fields quad = read_fields(low.byte(), low.bit(), w.quad);
        low.skip(quad.size);
        const __m512i first_mask = _mm512_sub_epi64(_mm512_sllv_epi64(one64, w.first_pair), one64);
        const __m512i pair =
            _mm512_or_si512(_mm512_and_si512(quad.value, first_mask),
                            _mm512_slli_epi64(_mm512_srlv_epi64(quad.value, w.first_pair), 32));
        const __m512i even_mask = _mm512_sub_epi32(_mm512_sllv_epi32(one32, w.even), one32);
        const __m512i field =
            _mm512_or_si512(_mm512_and_si512(pair, even_mask),
                            _mm512_slli_epi32(_mm512_srlv_epi32(pair, w.even), 16));
        const __m512i d = _mm512_or_si512(_mm512_sllv_epi16(hi, base.shift), field);
        const __mmask32 neg = _mm512_test_epi16_mask(symbol, _mm512_set1_epi16(2));
        __m512i value =
            _mm512_mask_sub_epi16(_mm512_add_epi16(base.magnitude, d), neg, base.magnitude, d);
        value = _mm512_and_si512(value, magnitude);
        const __m512i sign =
            _mm512_andnot_si512(magnitude, _mm512_xor_si512(bv, _mm512_slli_epi16(symbol, 15)));
        _mm512_storeu_si512(out + 2 * i, _mm512_or_si512(value, sign));
    }
    scalar::delta_decode16(b + 2 * i, symbols + i, k - i, f, low, escapes, out + 2 * i);
}

// 16 elements a step: fields of up to 30 bits, merged by pairs (at most 60 bits) and
// appended as one register; escapes in lane order (put_escapes).
void delta_encode32(const std::uint8_t* x, const std::uint8_t* b, std::size_t k,
                    const DeltaFormat& f, std::uint8_t* symbols, BitFieldWriter& low,
                    BitFieldWriter& escapes) noexcept {
    const ShiftTable table(f.shift);
    const __m128i mantissa_bits = _mm_cvtsi32_si128(static_cast<int>(f.mantissa_bits));
    const __m512i magnitude = _mm512_set1_epi32(0x7FFFFFFF);
    const __m512i escape_hi = _mm512_set1_epi32(kDeltaEscapeHi);
    const __m512i low_half = _mm512_set1_epi64(0xFFFFFFFF);
    StreamAt stream(low.position());
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        const __m512i xv = load(x + 4 * i);
        const __m512i bv = load(b + 4 * i);
        const Exponents32 base = exponents32(bv, mantissa_bits, table);
        const __m512i dm = _mm512_sub_epi32(_mm512_and_si512(xv, magnitude), base.magnitude);
        const __mmask16 neg = _mm512_cmplt_epi32_mask(dm, _mm512_setzero_si512());
        const __m512i u = _mm512_abs_epi32(dm);
        const __m512i hi = _mm512_srlv_epi32(u, base.shift);
        const __mmask16 escaped = _mm512_cmpge_epu32_mask(hi, escape_hi);
        if (escaped != 0) {
            alignas(64) std::array<std::uint32_t, 16> lanes{};
            _mm512_store_si512(lanes.data(), hi);
            put_escapes(lanes.data(), escaped, 31, escapes);
        }
        __m512i symbol = _mm512_or_si512(_mm512_slli_epi32(_mm512_min_epu32(hi, escape_hi), 2),
                                         _mm512_srli_epi32(_mm512_xor_si512(xv, bv), 31));
        symbol = _mm512_mask_add_epi32(symbol, neg, symbol, _mm512_set1_epi32(2));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(symbols + i), _mm512_cvtepi32_epi8(symbol));

        const __m512i field = _mm512_sub_epi32(u, _mm512_sllv_epi32(hi, base.shift));
        const __m512i w_even = _mm512_and_si512(base.shift, low_half);
        const __m512i pair =
            _mm512_or_si512(_mm512_and_si512(field, low_half),
                            _mm512_sllv_epi64(_mm512_srli_epi64(field, 32), w_even));
        const __m512i w_pair = _mm512_add_epi64(w_even, _mm512_srli_epi64(base.shift, 32));
        stream.append(pack_fields(pair, w_pair));
    }
    low.set_position(stream.position());
    scalar::delta_encode32(x + 4 * i, b + 4 * i, k - i, f, symbols + i, low, escapes);
}

// The encoder's steps backwards: each half's eight fields read at once (one field a
// 64-bit lane), then narrowed to 32-bit lanes.
void delta_decode32(const std::uint8_t* b, const std::uint8_t* symbols, std::size_t k,
                    const DeltaFormat& f, BitFieldReader& low, BitFieldReader& escapes,
                    std::uint8_t* out) noexcept {
    const ShiftTable table(f.shift);
    const __m128i mantissa_bits = _mm_cvtsi32_si128(static_cast<int>(f.mantissa_bits));
    const __m512i magnitude = _mm512_set1_epi32(0x7FFFFFFF);
    const __m512i escape_hi = _mm512_set1_epi32(kDeltaEscapeHi);
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        const __m512i symbol =
            _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(symbols + i)));
        __m512i hi = _mm512_srli_epi32(symbol, 2);
        const __mmask16 escaped = _mm512_cmpeq_epi32_mask(hi, escape_hi);
        if (escaped != 0) {
            alignas(64) std::array<std::uint32_t, 16> values{};
            get_escapes(escaped, 31, escapes, values);
            hi = _mm512_mask_expand_epi32(hi, escaped, _mm512_load_si512(values.data()));
        }
        const __m512i bv = load(b + 4 * i);
        const Exponents32 base = exponents32(bv, mantissa_bits, table);
        const Fields first = read_fields(low.byte(), low.bit(),
                                         _mm512_cvtepu32_epi64(_mm512_castsi512_si256(base.shift)));
        low.skip(first.size);
        const Fields second = read_fields(
            low.byte(), low.bit(), _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(base.shift, 1)));
        low.skip(second.size);
        const __m512i field =
            _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(first.value)),
                               _mm512_cvtepi64_epi32(second.value), 1);
        const __m512i d = _mm512_or_si512(_mm512_sllv_epi32(hi, base.shift), field);
        const __mmask16 neg = _mm512_test_epi32_mask(symbol, _mm512_set1_epi32(2));
        __m512i value =
            _mm512_mask_sub_epi32(_mm512_add_epi32(base.magnitude, d), neg, base.magnitude, d);
        value = _mm512_and_si512(value, magnitude);
        const __m512i sign =
            _mm512_andnot_si512(magnitude, _mm512_xor_si512(bv, _mm512_slli_epi32(symbol, 31)));
        _mm512_storeu_si512(out + 4 * i, _mm512_or_si512(value, sign));
    }
    scalar::delta_decode32(b + 4 * i, symbols + i, k - i, f, low, escapes, out + 4 * i);
}

}  // namespace znn::simd::avx512
