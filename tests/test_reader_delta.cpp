// Random access to files compressed against a base model: every range reads back as
// decompress restores it, the base is checked when the Reader opens, and a compressed base
// (itself read through a Reader) works from many threads at once.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>
#include <thread>

#include "temp_files.hpp"
#include "test_data.hpp"
#include "znn/base.hpp"
#include "znn/errors.hpp"
#include "znn/inspect.hpp"
#include "znn/reader.hpp"
#include "znn/safetensors.hpp"
#include "znn/znn.hpp"

using namespace znn;

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kChunk = 4096;

// A safetensors file of a BF16, an F32 and an I64 tensor holding `data`'s bytes in order.
Bytes make_model(const Bytes& bf16, const Bytes& f32, const Bytes& i64) {
    std::vector<TensorInfo> infos;
    std::uint64_t at = 0;
    for (const auto& [name, dtype, bytes, width] :
         {std::tuple{"a.weight", "BF16", &bf16, 2}, std::tuple{"b.weight", "F32", &f32, 4},
          std::tuple{"steps", "I64", &i64, 8}}) {
        infos.push_back({name, dtype, {bytes->size() / width}, at, at + bytes->size()});
        at += bytes->size();
    }
    Bytes file = make_safetensors_header(infos, "");
    for (const Bytes* b : {&bf16, &f32, &i64}) file.insert(file.end(), b->begin(), b->end());
    return file;
}

// A base, and a fine-tune that moved most of its weights by a few units in the last place.
struct Pair {
    Bytes base;
    Bytes tuned;
    explicit Pair(std::size_t bf16_elements) {
        Bytes bf16 = test::bf16_weights(bf16_elements * 2, 1);
        Bytes f32 = test::fp32_weights(9'999 * 4, 2);
        const Bytes i64 = test::random_bytes(16, 3);
        base = make_model(bf16, f32, i64);
        std::mt19937 rng(4);
        std::uniform_int_distribution<int> step(-3, 3);
        for (std::size_t i = 0; i < bf16.size(); i += 2)
            bf16[i] += static_cast<std::uint8_t>(step(rng));
        for (std::size_t i = 0; i < f32.size(); i += 4)
            f32[i + 1] += static_cast<std::uint8_t>(step(rng));
        tuned = make_model(bf16, f32, i64);
    }
};

struct Files {
    test::TempDir dir{"znn-reader-delta"};
    Pair pair;
    std::string base_path;
    std::string packed_path;  // the fine-tune compressed against the base
    std::shared_ptr<const BaseModel> base;

    explicit Files(std::size_t bf16_elements = 30'001, std::size_t chunk_size = kChunk)
        : pair(bf16_elements) {
        base_path = write("base.safetensors", pair.base);
        base = BaseModel::open(base_path);
        CompressOptions o;
        o.base = base.get();
        o.threads = 1;
        o.chunk_size = chunk_size;
        packed_path = write("tuned.safetensors.znn", compress_buffer(pair.tuned, o));
    }
    std::string write(const std::string& name, const Bytes& bytes) const {
        const auto path = dir.path / name;
        test::write_text(path, std::string(bytes.begin(), bytes.end()));
        return path.string();
    }
};

ReaderOptions with_base(std::shared_ptr<const BaseModel> base,
                        std::size_t cache = kDefaultCacheSize) {
    ReaderOptions o;
    o.base = std::move(base);
    o.cache_size = cache;
    o.threads = 2;
    return o;
}

Bytes read_file(const std::string& path) {
    const std::string text = test::read_text(path);
    return {text.begin(), text.end()};
}

Bytes read(Reader& reader, std::uint64_t offset, std::size_t length) {
    Bytes out(length);
    out.resize(reader.read_at(offset, out));
    return out;
}

Bytes slice(const Bytes& content, std::uint64_t offset, std::size_t length) {
    const auto begin = std::min<std::uint64_t>(offset, content.size());
    const auto end = std::min<std::uint64_t>(content.size(), offset + length);
    return {content.begin() + static_cast<std::ptrdiff_t>(begin),
            content.begin() + static_cast<std::ptrdiff_t>(end)};
}

std::string base_error(const std::string& path, ReaderOptions options) {
    try {
        Reader reader(path, std::move(options));
    } catch (const BaseError& e) {
        CHECK(e.path() == path);
        return e.what();
    }
    return "no BaseError";
}

// Reads random ranges from `threads` threads at once; true if every one matched.
bool read_at_random(Reader& reader, const Bytes& content, unsigned threads, unsigned reads) {
    std::atomic<bool> ok{true};
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            std::mt19937_64 rng(t + 10);
            for (unsigned i = 0; i < reads && ok; ++i) {
                const std::uint64_t offset = rng() % (content.size() + 10);
                const std::size_t length = rng() % (3 * kChunk);
                if (read(reader, offset, length) != slice(content, offset, length)) ok = false;
            }
        });
    }
    for (std::thread& t : pool) t.join();
    return ok;
}

}  // namespace

TEST_CASE("reader delta: random ranges of a delta file equal the decompressed bytes") {
    Files f;
    const Bytes packed = read_file(f.packed_path);
    DecompressOptions d;
    d.base = f.base.get();
    REQUIRE(decompress_buffer(packed, d) == f.pair.tuned);
    Reader reader(f.packed_path, with_base(f.base));
    REQUIRE(reader.size() == f.pair.tuned.size());
    REQUIRE(reader.chunk_count() > 10);
    CHECK(read(reader, 0, f.pair.tuned.size()) == f.pair.tuned);
    std::mt19937_64 rng(5);
    for (int i = 0; i < 200; ++i) {
        const std::uint64_t offset = rng() % f.pair.tuned.size();
        const std::size_t length = rng() % (2 * kChunk) + 1;
        INFO(offset << " + " << length);
        CHECK(read(reader, offset, length) == slice(f.pair.tuned, offset, length));
    }
    // The file really is a delta file: most of its chunks are coded against the base.
    const auto frames =
        inspect_frames(packed.size(), [&](std::uint64_t at, std::span<std::uint8_t> out) {
            std::memcpy(out.data(), packed.data() + at, out.size());
        });
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].delta_chunks * 2 > frames[0].chunk_count);
}

TEST_CASE("reader delta: a missing or wrong base is refused when the Reader opens") {
    Files f;
    CHECK_THAT(base_error(f.packed_path, {}),
               Catch::Contains("'base.safetensors'") && Catch::Contains("--base"));

    // One element of the F32 tensor differs.
    Bytes changed = f.pair.base;
    changed[changed.size() - 16 - 40] ^= 0x01;
    const auto wrong =
        std::shared_ptr<const BaseModel>(BaseModel::open(f.write("wrong.safetensors", changed)));
    CHECK_THAT(base_error(f.packed_path, with_base(wrong)), Catch::Contains("tensor b.weight"));

    // A base whose every tensor differs: the first is named.
    const auto fine_tune_as_base = std::shared_ptr<const BaseModel>(
        BaseModel::open(f.write("other.safetensors", f.pair.tuned)));
    CHECK_THAT(base_error(f.packed_path, with_base(fine_tune_as_base)),
               Catch::Contains("tensor a.weight"));
}

TEST_CASE("reader delta: without its base, the header still reads and delta chunks throw") {
    Files f;
    ReaderOptions o;
    o.allow_missing_base = true;
    Reader reader(f.packed_path, o);
    const SafetensorsHeader header =
        read_safetensors_header(reader.size(), [&](std::uint64_t at, std::span<std::uint8_t> out) {
            REQUIRE(reader.read_at(at, out) == out.size());
        });
    REQUIRE(header.tensors.size() == 3);
    CHECK(header.tensors[0].name == "a.weight");
    const std::uint64_t tensor_at = header.data_start + header.tensors[0].begin;
    try {
        read(reader, tensor_at, 100);
        FAIL("a delta chunk read without a base");
    } catch (const BaseError& e) {
        CHECK(e.path() == f.packed_path);
        CHECK_THAT(e.what(), Catch::Contains("'base.safetensors'"));
    }
    // The integer tensor at the end is coded without the base.
    const std::uint64_t steps_at = header.data_start + header.tensors[2].begin;
    CHECK(read(reader, steps_at, 16) == slice(f.pair.tuned, steps_at, 16));
}

TEST_CASE("reader delta: many threads, a small cache and a compressed base get the right bytes") {
    Files f;
    // The base compressed, and read through a Reader of its own on every delta chunk.
    const auto packed_base = std::shared_ptr<const BaseModel>(BaseModel::open(
        f.write("base.safetensors.znn", compress_buffer(f.pair.base, CompressOptions{}))));
    for (const auto& base : {f.base, packed_base}) {
        INFO(base->path());
        Reader reader(f.packed_path, with_base(base, 8 * kChunk));
        CHECK(read_at_random(reader, f.pair.tuned, 4, 150));
        // Sequential reads, decoded ahead on the workers while other threads read at random.
        std::thread stream([&] {
            for (std::uint64_t at = 0; at < f.pair.tuned.size(); at += 1000)
                CHECK(read(reader, at, 1000) == slice(f.pair.tuned, at, 1000));
        });
        CHECK(read_at_random(reader, f.pair.tuned, 2, 100));
        stream.join();
    }
}

TEST_CASE("reader delta: a compressed base larger than its reader keeps decodes inside ours") {
    // The base's Reader drops the chunks a sequential stream (the base check) left behind,
    // so each delta chunk here has a base chunk decoded on the same thread, in the middle.
    Files f(3'000'000, kAutoChunkSize);
    const auto packed_base = std::shared_ptr<const BaseModel>(BaseModel::open(
        f.write("base.safetensors.znn", compress_buffer(f.pair.base, CompressOptions{}))));
    ReaderOptions o;
    o.base = packed_base;
    o.read_ahead = false;
    Reader reader(f.packed_path, o);
    for (const std::uint64_t at :
         {std::uint64_t{0}, std::uint64_t{1} << 20, std::uint64_t{3} << 20})
        CHECK(read(reader, at, 300'000) == slice(f.pair.tuned, at, 300'000));
}

TEST_CASE("reader delta: a delta frame after a plain one decodes against the base") {
    Files f;
    const Bytes plain = test::bf16_weights(10'000, 6);
    CompressOptions o;
    o.chunk_size = kChunk;
    Bytes file = compress_buffer(plain, o);
    const Bytes delta = read_file(f.packed_path);
    file.insert(file.end(), delta.begin(), delta.end());
    const std::string path = f.write("two.znn", file);
    Bytes content = plain;
    content.insert(content.end(), f.pair.tuned.begin(), f.pair.tuned.end());
    Reader reader(path, with_base(f.base));
    CHECK(read(reader, 0, content.size()) == content);
    CHECK(read_at_random(reader, content, 2, 100));
    CHECK_THAT(base_error(path, {}), Catch::Contains("'base.safetensors'"));
}

TEST_CASE("reader delta: a flipped byte in a delta chunk fails its reads, never a wrong byte") {
    Files f;
    const Bytes good = read_file(f.packed_path);
    std::mt19937_64 rng(7);
    int refused = 0;
    for (int trial = 0; trial < 40; ++trial) {
        Bytes bad = good;
        // Somewhere in the chunk blocks (past the header and dependency, before the seek table).
        const std::size_t at = 600 + rng() % (bad.size() - 1200);
        bad[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        const std::string path = f.write("bad.znn", bad);
        std::unique_ptr<Reader> reader;
        try {
            reader = std::make_unique<Reader>(path, with_base(f.base));
        } catch (const FormatError&) {
            continue;  // the flip hit the structure, refused at once
        }
        for (std::uint64_t offset = 0; offset < f.pair.tuned.size(); offset += kChunk) {
            Bytes got;
            try {
                got = read(*reader, offset, kChunk);
            } catch (const FormatError&) {
                ++refused;
                continue;
            }
            INFO("flip at " << at << ", read at " << offset);
            CHECK(got == slice(f.pair.tuned, offset, kChunk));
        }
    }
    CHECK(refused > 20);  // the flips were seen
}
