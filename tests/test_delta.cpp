// Delta coding against a base model: round trips, fallbacks and every way a base can be
// wrong. The models are small safetensors files made here: a "base" of random weights
// and a "fine-tune" that moved each weight by a relative step of about 1e-3.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "common/bit_fields.hpp"
#include "format/checksum.hpp"
#include "pipeline/base_hasher.hpp"
#include "znn/base.hpp"
#include "znn/errors.hpp"
#include "znn/inspect.hpp"
#include "znn/safetensors.hpp"
#include "znn/znn.hpp"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

struct Tensor {
    std::string name;
    std::string dtype;  // BF16, F16, F32 or I64
    std::vector<std::uint64_t> shape;
    std::vector<float> values;
};

std::uint16_t to_bf16(float v) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, 4);
    return static_cast<std::uint16_t>((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}

std::uint16_t to_f16(float v) {
    const _Float16 h = static_cast<_Float16>(v);
    std::uint16_t bits = 0;
    std::memcpy(&bits, &h, 2);
    return bits;
}

Bytes encode_values(const Tensor& t) {
    Bytes out;
    for (const float v : t.values) {
        std::uint8_t b[8] = {};
        std::size_t n = 0;
        if (t.dtype == "BF16") {
            const std::uint16_t x = to_bf16(v);
            std::memcpy(b, &x, n = 2);
        } else if (t.dtype == "F16") {
            const std::uint16_t x = to_f16(v);
            std::memcpy(b, &x, n = 2);
        } else if (t.dtype == "F32") {
            std::memcpy(b, &v, n = 4);
        } else {
            const auto x = static_cast<std::int64_t>(v * 1000);
            std::memcpy(b, &x, n = 8);
        }
        out.insert(out.end(), b, b + n);
    }
    return out;
}

Bytes make_file(const std::vector<Tensor>& tensors) {
    std::vector<znn::TensorInfo> infos;
    Bytes data;
    for (const Tensor& t : tensors) {
        const Bytes bytes = encode_values(t);
        infos.push_back({t.name, t.dtype, t.shape, data.size(), data.size() + bytes.size()});
        data.insert(data.end(), bytes.begin(), bytes.end());
    }
    Bytes file = znn::make_safetensors_header(infos, "");
    file.insert(file.end(), data.begin(), data.end());
    return file;
}

std::vector<Tensor> base_tensors(const std::string& dtype, std::uint32_t seed = 1) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<Tensor> tensors;
    // Sizes around chunk boundaries (1 element, odd, several chunks) and an integer tensor.
    for (const std::uint64_t n : {1u, 3u, 999u, 20000u, 70001u}) {
        Tensor t{"layer" + std::to_string(n) + ".weight", dtype, {n}, {}};
        for (std::uint64_t i = 0; i < n; ++i) t.values.push_back(normal(rng));
        tensors.push_back(std::move(t));
    }
    tensors.push_back({"steps", "I64", {2}, {1.0f, 2.0f}});
    return tensors;
}

std::vector<Tensor> fine_tune(std::vector<Tensor> tensors, std::uint32_t seed = 2) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> step(0.0f, 1e-3f);
    for (Tensor& t : tensors)
        if (t.dtype != "I64")
            for (float& v : t.values) v *= 1.0f + step(rng) * 4;
    return tensors;
}

// A scratch folder, removed with everything in it.
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() /
               ("znn-delta-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    static int& counter() {
        static int n = 0;
        return n;
    }
    std::string write(const std::string& name, const Bytes& bytes) const {
        const fs::path p = path / name;
        std::ofstream(p, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()),
                   static_cast<std::streamsize>(bytes.size()));
        return p.string();
    }
};

Bytes compress_with(const Bytes& raw, const znn::BaseModel* base, unsigned threads = 1,
                    std::size_t chunk_size = znn::kAutoChunkSize) {
    znn::CompressOptions o;
    o.base = base;
    o.threads = threads;
    o.chunk_size = chunk_size;
    return znn::compress_buffer(raw, o);
}

Bytes decompress_with(const Bytes& packed, const znn::BaseModel* base) {
    znn::DecompressOptions o;
    o.base = base;
    o.threads = 2;
    return znn::decompress_buffer(packed, o);
}

znn::FrameInfo inspect(const Bytes& packed) {
    const auto frames = znn::inspect_frames(packed.size(), [&](std::uint64_t at, auto out) {
        std::memcpy(out.data(), packed.data() + at, out.size());
    });
    REQUIRE(frames.size() == 1);
    return frames[0];
}

std::string error_of(const Bytes& packed, const znn::BaseModel* base) {
    try {
        decompress_with(packed, base);
    } catch (const znn::BaseError& e) {
        return e.what();
    }
    return "no BaseError";
}

}  // namespace

TEST_CASE("delta: round-trips BF16, FP16 and FP32 fine-tunes, smaller than without a base") {
    for (const std::string dtype : {"BF16", "F16", "F32"}) {
        INFO(dtype);
        TempDir dir;
        const auto base_tensors_ = base_tensors(dtype);
        const auto base =
            znn::BaseModel::open(dir.write("base.safetensors", make_file(base_tensors_)));
        const Bytes ft = make_file(fine_tune(base_tensors_));
        for (const std::size_t chunk : {znn::kAutoChunkSize, std::size_t{1024}}) {
            const Bytes packed = compress_with(ft, base.get(), 1, chunk);
            CHECK(decompress_with(packed, base.get()) == ft);
            CHECK(packed.size() < compress_with(ft, nullptr, 1, chunk).size());
            const znn::FrameInfo info = inspect(packed);
            CHECK(info.base_hint == "base.safetensors");
            CHECK(info.base_tensors == 5);  // the integer tensor is coded as today
            CHECK(info.delta_chunks > 0);
        }
    }
}

TEST_CASE("delta: chunks of several 2^16-element blocks, groups and escapes round-trip") {
    // Magnitudes over five decades spread the base exponents over several groups; one
    // weight in 50 moved far, past the escape threshold.
    for (const std::string dtype : {"BF16", "F16", "F32"}) {
        INFO(dtype);
        std::mt19937 rng(5);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::uniform_real_distribution<float> decade(-5.0f, 0.0f);
        Tensor t{"big.weight", dtype, {300001}, {}};
        for (std::size_t i = 0; i < 300001; ++i)
            t.values.push_back(normal(rng) * std::pow(10.0f, decade(rng)));
        TempDir dir;
        const auto base = znn::BaseModel::open(dir.write("base.safetensors", make_file({t})));
        Tensor moved = fine_tune({t})[0];
        for (std::size_t i = 0; i < moved.values.size(); i += 50) moved.values[i] *= 3.0f;
        const Bytes ft = make_file({moved});
        const Bytes packed = compress_with(ft, base.get(), 1, std::size_t{1} << 20);
        CHECK(decompress_with(packed, base.get()) == ft);
        CHECK(inspect(packed).delta_chunks > 0);
    }
}

TEST_CASE("delta: bit fields of 0 to 56 bits read back as written") {
    std::mt19937_64 rng(3);
    std::vector<std::pair<std::uint64_t, unsigned>> fields;
    std::uint64_t total = 0;
    for (int i = 0; i < 5000; ++i) {
        const auto bits = static_cast<unsigned>(rng() % 57);
        fields.emplace_back(rng() & ((std::uint64_t{1} << bits) - 1), bits);
        total += bits;
    }
    znn::Buffer stream;
    znn::BitFieldWriter writer(stream, total);
    for (const auto& [value, bits] : fields) writer.put(value, bits);
    CHECK(writer.finish() == (total + 7) / 8);
    znn::Buffer copy;
    znn::BitFieldReader reader(stream, copy);
    for (const auto& [value, bits] : fields) REQUIRE(reader.get(bits) == value);
}

// A fine-tune of `tensors` whose 70001-element tensor was rewritten, unrelated to the base
// (its chunks are coded plain).
std::vector<Tensor> fine_tune_rewriting_one(const std::vector<Tensor>& tensors) {
    auto ft = fine_tune(tensors);
    std::mt19937 rng(9);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    for (float& v : ft[4].values) v = normal(rng);
    return ft;
}

TEST_CASE("delta: a tensor the fine-tune rewrote falls back to plain chunks") {
    TempDir dir;
    auto tensors = base_tensors("BF16");
    const auto base = znn::BaseModel::open(dir.write("base.safetensors", make_file(tensors)));
    const Bytes raw = make_file(fine_tune_rewriting_one(tensors));
    const Bytes packed = compress_with(raw, base.get());
    CHECK(decompress_with(packed, base.get()) == raw);
    const znn::FrameInfo info = inspect(packed);
    CHECK(info.delta_chunks > 0);
    CHECK(info.delta_chunks + 1 < info.chunk_count);  // more than the header chunk is plain
}

TEST_CASE("delta: output does not depend on the thread count") {
    TempDir dir;
    const auto tensors = base_tensors("F32");
    const auto base = znn::BaseModel::open(dir.write("base.safetensors", make_file(tensors)));
    const Bytes raw = make_file(fine_tune(tensors));
    CHECK(compress_with(raw, base.get(), 1, 4096) == compress_with(raw, base.get(), 3, 4096));
}

TEST_CASE("delta: without a base, or with a wrong one, decompression fails naming why") {
    TempDir dir;
    const auto tensors = base_tensors("BF16");
    const auto base = znn::BaseModel::open(dir.write("base.safetensors", make_file(tensors)));
    const Bytes raw = make_file(fine_tune(tensors));
    const Bytes packed = compress_with(raw, base.get());

    CHECK_THAT(error_of(packed, nullptr), Catch::Contains("'base.safetensors'"));

    // One element of one tensor differs.
    auto changed = tensors;
    changed[2].values[5] += 0.5f;
    const auto wrong = znn::BaseModel::open(dir.write("wrong.safetensors", make_file(changed)));
    CHECK_THAT(error_of(packed, wrong.get()), Catch::Contains("tensor layer999.weight"));

    // Nothing reaches the output before the base is checked.
    znn::SpanInput in(packed);
    znn::VectorOutput out;
    znn::DecompressOptions o;
    o.base = wrong.get();
    CHECK_THROWS_AS(znn::decompress(in, out, o), znn::BaseError);
    CHECK(out.bytes.empty());

    // A base with a tensor less (or renamed) is refused; one with a tensor more is fine.
    auto fewer = tensors;
    fewer[3].name = "renamed.weight";
    const auto less = znn::BaseModel::open(dir.write("less.safetensors", make_file(fewer)));
    CHECK_THAT(error_of(packed, less.get()), Catch::Contains("no tensor layer20000.weight"));
    auto extra = tensors;
    extra.push_back({"extra.weight", "BF16", {4}, {1, 2, 3, 4}});
    const auto more = znn::BaseModel::open(dir.write("more.safetensors", make_file(extra)));
    CHECK(decompress_with(packed, more.get()) == raw);
}

// Without the check first, the base is read once: a wrong one fails all the same, naming
// the tensor, whether a delta chunk reads it or only the end-of-frame check does.
TEST_CASE("delta: a base checked as it is read fails the same way when wrong") {
    TempDir dir;
    auto tensors = base_tensors("BF16");
    const auto base = znn::BaseModel::open(dir.write("base.safetensors", make_file(tensors)));
    const Bytes raw = make_file(fine_tune_rewriting_one(tensors));  // no chunk reads ft[4]'s base
    const Bytes packed = compress_with(raw, base.get());
    const auto later = [&](const znn::BaseModel* b) {
        znn::DecompressOptions o;
        o.base = b;
        o.threads = 2;
        o.check_base_first = false;
        Bytes out;
        try {
            out = znn::decompress_buffer(packed, o);
        } catch (const znn::BaseError& e) {
            return std::string(e.what());
        }
        return std::string(out == raw ? "right bytes" : "wrong bytes");
    };
    CHECK(later(base.get()) == "right bytes");

    auto changed = tensors;
    changed[2].values[5] += 0.5f;  // read by a delta chunk
    const auto wrong = znn::BaseModel::open(dir.write("wrong.safetensors", make_file(changed)));
    CHECK_THAT(later(wrong.get()), Catch::Contains("tensor layer999.weight"));

    changed = tensors;
    changed[4].values[70000] += 0.5f;  // read only by the check at the frame's end
    const auto unread = znn::BaseModel::open(dir.write("unread.safetensors", make_file(changed)));
    CHECK_THAT(later(unread.get()), Catch::Contains("tensor layer70001.weight"));
    CHECK_THAT(error_of(packed, unread.get()), Catch::Contains("tensor layer70001.weight"));
}

// An output that cannot go back: the dependency's checksums are computed first.
class ForwardOnly final : public znn::OutputStream {
  public:
    void write(std::span<const std::uint8_t> data) override {
        bytes.insert(bytes.end(), data.begin(), data.end());
    }
    Bytes bytes;
};

TEST_CASE("delta: the file is the same whether its output can go back or not") {
    TempDir dir;
    const auto tensors = base_tensors("F16");
    const auto base = znn::BaseModel::open(dir.write("base.safetensors", make_file(tensors)));
    const Bytes raw = make_file(fine_tune(tensors));
    znn::CompressOptions o;
    o.base = base.get();
    o.chunk_size = 4096;
    znn::SpanInput in(raw);
    ForwardOnly forward;
    znn::compress(in, forward, o);
    CHECK(forward.bytes == znn::compress_buffer(raw, o));
    CHECK(inspect(forward.bytes).base_tensors == 5);
}

TEST_CASE("delta: the base hasher gives each tensor's XXH3-64 however it is read") {
    TempDir dir;
    const auto tensors = base_tensors("F32");
    const auto base = znn::BaseModel::open(dir.write("base.safetensors", make_file(tensors)));
    std::vector<const znn::BaseTensor*> order;
    std::vector<std::uint64_t> expected;
    for (const char* name : {"layer70001.weight", "layer999.weight", "layer20000.weight"}) {
        const znn::BaseTensor* t = base->find(name);
        REQUIRE(t != nullptr);
        order.push_back(t);
        Bytes bytes(t->size);
        base->read(*t, 0, bytes);
        expected.push_back(znn::checksum_bytes(bytes));
    }
    znn::BaseHasher hasher(*base, order);
    Bytes piece(1000);
    hasher.read(0, 0, piece);                   // in order,
    hasher.read(0, 5000, piece);                // over a gap,
    hasher.read(0, 4000, piece);                // back over hashed bytes,
    hasher.read(1, 100, piece);                 // on to another tensor (the first is completed),
    hasher.read(0, 280000, {piece.data(), 4});  // and back to the first's tail
    // the third never read
    CHECK(hasher.finish() == expected);
    Bytes check(1000);
    base->read(*order[0], 5000, check);
    hasher.read(0, 5000, piece);
    CHECK(piece == check);  // and the bytes read are the tensor's

    // Entries naming one tensor (a hostile dependency block may) share its hash.
    znn::BaseHasher twice(*base, {order[1], order[0], order[1], order[1]});
    twice.read(2, 0, piece);
    CHECK(twice.finish() ==
          std::vector<std::uint64_t>{expected[1], expected[0], expected[1], expected[1]});
}

TEST_CASE("delta: renamed tensors and changed dtypes or shapes are coded without the base") {
    TempDir dir;
    const auto tensors = base_tensors("BF16");
    const auto base = znn::BaseModel::open(dir.write("base.safetensors", make_file(tensors)));
    auto ft = fine_tune(tensors);
    ft[1].name = "other.weight";  // renamed
    ft[2].dtype = "F32";          // dtype changed
    ft[3].shape = {100, 200};     // same bytes, another shape
    const Bytes raw = make_file(ft);
    const Bytes packed = compress_with(raw, base.get());
    CHECK(inspect(packed).base_tensors == 2);
    CHECK(decompress_with(packed, base.get()) == raw);
}

TEST_CASE("delta: a compressed base or a folder of shards works as the plain base") {
    TempDir dir;
    const auto tensors = base_tensors("F16");
    const Bytes base_raw = make_file(tensors);
    const auto plain = znn::BaseModel::open(dir.write("base.safetensors", base_raw));
    const Bytes raw = make_file(fine_tune(tensors));
    const Bytes packed = compress_with(raw, plain.get());

    // The .znn of the base, read in place.
    const std::string znn_path = dir.write("base.safetensors.znn", znn::compress_buffer(base_raw));
    fs::create_directories(dir.path / "packed");
    fs::rename(znn_path, dir.path / "packed" / "base.safetensors.znn");
    const auto packed_base =
        znn::BaseModel::open((dir.path / "packed" / "base.safetensors.znn").string());
    // The same chunks; only the hint, "base.safetensors.znn", is 4 bytes longer.
    CHECK(compress_with(raw, packed_base.get()).size() == packed.size() + 4);
    CHECK(decompress_with(packed, packed_base.get()) == raw);

    // The base cut into two shards in a folder.
    fs::create_directories(dir.path / "shards");
    dir.write("shards/a.safetensors", make_file({tensors.begin(), tensors.begin() + 3}));
    dir.write("shards/b.safetensors", make_file({tensors.begin() + 3, tensors.end()}));
    const auto shards = znn::BaseModel::open((dir.path / "shards").string());
    CHECK(shards->hint() == "shards");
    CHECK(decompress_with(packed, shards.get()) == raw);
    CHECK(decompress_with(compress_with(raw, shards.get()), plain.get()) == raw);

    // A flipped byte in the compressed base's tensor data: refused, never a wrong byte.
    Bytes corrupt = znn::compress_buffer(base_raw);
    corrupt[corrupt.size() / 2] ^= 0x40;
    fs::create_directories(dir.path / "corrupt");
    const auto bad = znn::BaseModel::open(dir.write("corrupt/base.safetensors.znn", corrupt));
    CHECK_THROWS_AS(decompress_with(packed, bad.get()), znn::Error);
}

TEST_CASE("delta: a delta file is refused by a decoder path without a base") {
    TempDir dir;
    const auto tensors = base_tensors("BF16");
    const auto base = znn::BaseModel::open(dir.write("base.safetensors", make_file(tensors)));
    const Bytes packed = compress_with(make_file(fine_tune(tensors)), base.get());
    CHECK_THROWS_AS(znn::decompress_buffer(packed), znn::BaseError);
}
