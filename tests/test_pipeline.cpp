#include <catch2/catch.hpp>

#include <xxhash.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <new>
#include <set>
#include <string>
#include <thread>

#include "codec/codec.hpp"
#include "pipeline/frame_reader.hpp"
#include "pipeline/ordered_pipeline.hpp"
#include "test_data.hpp"
#include "znn/inspect.hpp"
#include "znn/znn.hpp"

using namespace znn;

namespace {

// Compresses the open file fd from offset `at`, reading it as the CLI does: at offsets
// from the workers when positional, else as a stream.
std::vector<std::uint8_t> compress_file(int fd, const char* path, off_t at, bool positional,
                                        const CompressOptions& o) {
    REQUIRE(::lseek(fd, at, SEEK_SET) == at);
    FdInput in(fd, path, positional);
    VectorOutput out;
    compress(in, out, o);
    return std::move(out.bytes);
}

}  // namespace

TEST_CASE("pipeline: round-trips sizes 0, 1, odd, chunk-1, chunk, chunk+1") {
    CompressOptions o;
    o.chunk_size = 4096;
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{4096},
                          std::size_t{4097}, std::size_t{12345}}) {
        for (unsigned threads : {1u, 2u, 5u}) {
            o.threads = threads;
            const auto data = test::bf16_weights(n, n);
            DecompressOptions d;
            d.threads = threads;
            CHECK(decompress_buffer(compress_buffer(data, o), d) == data);
        }
    }
}

TEST_CASE("pipeline: output bytes do not depend on the thread count") {
    const auto data = test::bf16_weights(300'000);
    CompressOptions o;
    o.chunk_size = 1024;
    o.threads = 1;
    const auto one = compress_buffer(data, o);
    for (unsigned threads : {2u, 3u, 8u}) {
        o.threads = threads;
        CHECK(compress_buffer(data, o) == one);
    }
}

TEST_CASE("pipeline: stress with tiny chunks and many threads") {
    const auto data = test::skewed_bytes(500'000, 4);
    CompressOptions o;
    o.chunk_size = 64;
    o.threads = 16;
    DecompressOptions d;
    d.threads = 16;
    for (int round = 0; round < 3; ++round)
        CHECK(decompress_buffer(compress_buffer(data, o), d) == data);
}

TEST_CASE("pipeline: an error in a worker stops the pipeline and is reported") {
    auto frame = compress_buffer(test::bf16_weights(200'000),
                                 CompressOptions{0, 1024, DtypeChoice::bf16, {}});
    frame[frame.size() / 2] ^= 0xFF;
    DecompressOptions d;
    d.threads = 4;
    CHECK_THROWS_AS(decompress_buffer(frame, d), FormatError);
}

namespace {

// Fails with IoError once more than `limit` bytes have been written.
struct FailingOutput final : OutputStream {
    std::size_t limit;
    std::size_t written = 0;
    explicit FailingOutput(std::size_t l) : limit(l) {}
    void write(std::span<const std::uint8_t> data) override {
        written += data.size();
        if (written > limit) throw IoError("disk full", "test output");
    }
};

}  // namespace

TEST_CASE(
    "pipeline: one thread with the output written from a second one round-trips, the same bytes") {
    const auto data = test::bf16_weights(1'000'001, 6);
    CompressOptions o;
    o.threads = 1;
    o.chunk_size = 4096;
    const auto inline_frame = compress_buffer(data, o);
    o.overlap_output = true;
    const auto frame = compress_buffer(data, o);
    CHECK(frame == inline_frame);
    DecompressOptions d;
    d.threads = 1;
    d.overlap_output = true;
    CHECK(decompress_buffer(frame, d) == data);
    // Through a non-lending output, so decoded chunks travel to the writer thread.
    SpanInput in(frame);
    VectorOutput out;
    struct Copying final : OutputStream {
        VectorOutput& to;
        explicit Copying(VectorOutput& t) : to(t) {}
        void write(std::span<const std::uint8_t> bytes) override { to.write(bytes); }
    } copying(out);
    decompress(in, copying, d);
    CHECK(out.bytes == data);
}

TEST_CASE("pipeline: with the output on its own thread, errors from either side stop the run") {
    const auto data = test::bf16_weights(400'000, 7);
    CompressOptions o;
    o.threads = 1;
    o.chunk_size = 1024;
    o.overlap_output = true;
    auto frame = compress_buffer(data, o);
    DecompressOptions d;
    d.threads = 1;
    d.overlap_output = true;
    {  // the writer fails: the decoder stops and the error is the writer's
        SpanInput in(frame);
        FailingOutput out(50'000);
        CHECK_THROWS_AS(decompress(in, out, d), IoError);
        CHECK(out.written < 50'000 + (4 + 2) * 1024);
    }
    {  // the decoder fails
        frame[frame.size() / 2] ^= 0xFF;
        CHECK_THROWS_AS(decompress_buffer(frame, d), FormatError);
    }
    {  // compressing into a failing output
        SpanInput in(data);
        FailingOutput out(10'000);
        CHECK_THROWS_AS(compress(in, out, o), IoError);
    }
}

TEST_CASE("pipeline: workers reading a file at offsets make the same frame as a stream") {
    // A safetensors file (so the header is sniffed through read() first), then BF16 data.
    const std::string header =
        R"({"w":{"dtype":"BF16","shape":[150000],"data_offsets":[0,300000]}})";
    std::vector<std::uint8_t> file(8 + header.size());
    const std::uint64_t n = header.size();
    std::memcpy(file.data(), &n, 8);
    std::memcpy(file.data() + 8, header.data(), header.size());
    const auto body = test::bf16_weights(300'000, 9);
    file.insert(file.end(), body.begin(), body.end());

    char path[] = "/tmp/znn-test-positional-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, file.data(), file.size()) == static_cast<ssize_t>(file.size()));
    CompressOptions o;
    o.chunk_size = 1024;
    for (const std::size_t skip :
         {std::size_t{0}, std::size_t{100}}) {  // input starting mid-file too
        o.threads = 1;
        const auto expected = compress_buffer(std::span(file).subspan(skip), o);
        for (unsigned threads : {1u, 2u, 8u}) {
            o.threads = threads;
            CHECK(compress_file(fd, path, static_cast<off_t>(skip), /*positional=*/true, o) ==
                  expected);
        }
    }
    ::close(fd);
    ::unlink(path);
}

TEST_CASE(
    "pipeline: the automatic chunk size follows the data, the same from a file, a stream or any "
    "thread count") {
    // Headerless BF16 whose scale changes every 128 KiB: 128 KiB chunks code it smallest.
    std::vector<std::uint8_t> data;
    for (std::uint64_t k = 0; k < 24; ++k) {
        const auto part = test::bf16_weights(128 << 10, k + 1, k % 2 == 0 ? 0.0001f : 0.1f);
        data.insert(data.end(), part.begin(), part.end());
    }
    CompressOptions o;  // chunk_size: automatic
    o.threads = 1;
    const auto expected = compress_buffer(data, o);
    const auto frames =
        inspect_frames(expected.size(), [&](std::uint64_t at, std::span<std::uint8_t> out) {
            std::memcpy(out.data(), expected.data() + at, out.size());
        });
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].chunk_count == 24);
    CHECK(decompress_buffer(expected, DecompressOptions{}) == data);

    char path[] = "/tmp/znn-test-auto-chunk-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    for (const bool positional : {true, false}) {
        for (unsigned threads : {1u, 2u}) {
            o.threads = threads;
            CHECK(compress_file(fd, path, 0, positional, o) == expected);
        }
    }
    ::close(fd);
    ::unlink(path);
}

namespace {

// A pipe-like input: cannot lend its bytes and hands out at most `step` bytes a read.
class TrickleInput final : public InputStream {
  public:
    TrickleInput(std::span<const std::uint8_t> data, std::size_t step) : data_(data), step_(step) {}
    std::size_t read(std::span<std::uint8_t> out) override {
        const std::size_t n = std::min({out.size(), data_.size(), step_});
        std::memcpy(out.data(), data_.data(), n);
        data_ = data_.subspan(n);
        return n;
    }

  private:
    std::span<const std::uint8_t> data_;
    std::size_t step_;
};

}  // namespace

TEST_CASE("pipeline: concatenated frames decode from a trickling, non-lending input") {
    CompressOptions o;
    o.chunk_size = 1024;  // chunk blocks well below the decoder's read-ahead
    const auto a = test::bf16_weights(100'000, 3);
    const auto b = test::random_bytes(70'000, 4);
    auto frames = compress_buffer(a, o);
    o.chunk_size = 256 << 10;  // and blocks above it
    const auto second = compress_buffer(b, o);
    frames.insert(frames.end(), second.begin(), second.end());
    auto expected = a;
    expected.insert(expected.end(), b.begin(), b.end());
    for (const std::size_t step : {std::size_t{1} << 20, std::size_t{4096}, std::size_t{7}}) {
        INFO("step " << step);
        TrickleInput in(frames, step);
        VectorOutput out;
        const Stats stats = decompress(in, out, DecompressOptions{});
        CHECK(out.bytes == expected);
        CHECK(stats.frames == 2);
        CHECK(stats.compressed_bytes == frames.size());
    }
}

TEST_CASE("pipeline: rejects a chunk size that is not a multiple of 8") {
    CompressOptions o;
    o.chunk_size = 1001;
    CHECK_THROWS_AS(compress_buffer(test::random_bytes(10), o), UsageError);
}

TEST_CASE(
    "pipeline: progress counts input bytes, so it ends at the input's size and never passes it") {
    const auto data = test::bf16_weights(50'000);
    CompressOptions o;
    o.chunk_size = 4096;
    for (unsigned threads : {1u, 3u}) {
        o.threads = threads;
        std::vector<std::uint64_t> seen;
        o.progress = [&](std::uint64_t done) { seen.push_back(done); };
        const auto packed = compress_buffer(data, o);
        const std::size_t chunks = seen.size();  // one call per chunk
        REQUIRE(chunks > 2);
        CHECK(std::is_sorted(seen.begin(), seen.end()));
        CHECK(seen.back() == data.size());

        // Decompress counts compressed bytes read, not bytes written: it stays within the
        // .znn size (the seek table and footer are read after the last chunk).
        seen.clear();
        DecompressOptions d;
        d.threads = threads;
        d.progress = [&](std::uint64_t done) { seen.push_back(done); };
        CHECK(decompress_buffer(packed, d) == data);
        REQUIRE(seen.size() == chunks);
        CHECK(std::is_sorted(seen.begin(), seen.end()));
        CHECK(seen.front() > 0);
        CHECK(seen.back() < packed.size());
        CHECK(seen.back() > packed.size() / 2);
    }
}

namespace {

// 4.5 GiB of zeros with a marker byte every GiB, generated on the fly: a >4 GiB input
// that costs no disk and little time (its chunks code as constant planes).
constexpr std::uint64_t kHugeSize = (std::uint64_t{9} << 29) + 3;

class HugeInput final : public InputStream {
  public:
    std::size_t read(std::span<std::uint8_t> out) override {
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), kHugeSize - pos_));
        std::fill_n(out.data(), n, std::uint8_t{0});
        constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
        for (std::uint64_t marker = pos_ / kGiB * kGiB + 7; marker < pos_ + n; marker += kGiB)
            if (marker >= pos_) out[static_cast<std::size_t>(marker - pos_)] = 0x5A;
        pos_ += n;
        return n;
    }

  private:
    std::uint64_t pos_ = 0;
};

// Hashes what it is given, so 4.5 GiB can be compared without storing it.
class HashingOutput final : public OutputStream {
  public:
    HashingOutput() { XXH3_64bits_reset(state_); }
    ~HashingOutput() override { XXH3_freeState(state_); }
    void write(std::span<const std::uint8_t> data) override {
        XXH3_64bits_update(state_, data.data(), data.size());
        size_ += data.size();
    }
    std::uint64_t size() const { return size_; }
    std::uint64_t digest() const { return XXH3_64bits_digest(state_); }

  private:
    XXH3_state_t* state_ = XXH3_createState();
    std::uint64_t size_ = 0;
};

}  // namespace

TEST_CASE("pipeline: inputs over 4 GiB keep 64-bit sizes and offsets") {
    HugeInput in;
    VectorOutput packed;
    CompressOptions o;
    o.chunk_size = std::size_t{4} << 20;
    const Stats written = compress(in, packed, o);
    CHECK(written.raw_bytes == kHugeSize);
    CHECK(packed.bytes.size() < 100'000);
    SpanInput back(packed.bytes);
    HashingOutput out;
    const Stats read = decompress(back, out, DecompressOptions{});
    CHECK(read.raw_bytes == kHugeSize);
    CHECK(out.size() == kHugeSize);
    HugeInput again;
    HashingOutput expected;
    std::vector<std::uint8_t> buf(kMaxChunkSize);
    while (const std::size_t n = again.read(buf)) expected.write({buf.data(), n});
    CHECK(out.digest() == expected.digest());
}

TEST_CASE(
    "pipeline: a memory output takes writes of any size and alignment, and reports a full buffer") {
    // Writes of 64 KiB or more bypass the cache with 16-byte stores after an unaligned head.
    const auto data = test::random_bytes(400'000, 5);
    std::vector<std::uint8_t> buffer(data.size() + 64, 0xEE);
    SpanOutput out(buffer);
    std::size_t at = 0;
    for (std::size_t n : {std::size_t{3}, std::size_t{65'536}, std::size_t{1}, std::size_t{65'537},
                          std::size_t{100'003}, std::size_t{0}, std::size_t{131'072}}) {
        out.write({data.data() + at, n});
        at += n;
    }
    CHECK(out.size() == at);
    CHECK(std::equal(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(at), buffer.begin()));
    CHECK(std::all_of(buffer.begin() + static_cast<std::ptrdiff_t>(at), buffer.end(),
                      [](std::uint8_t b) { return b == 0xEE; }));
    CHECK_THROWS_AS(out.write({data.data(), buffer.size() - at + 1}), IoError);

    // And a whole compression into a buffer allocated beforehand decodes back.
    const auto weights = test::bf16_weights(3 << 20, 8);
    std::vector<std::uint8_t> packed(weights.size() + weights.size() / 8 + 4096);
    SpanInput in(weights);
    SpanOutput packed_out(packed);
    compress(in, packed_out, CompressOptions{});
    packed.resize(packed_out.size());
    CHECK(decompress_buffer(packed, DecompressOptions{}) == weights);
}

// ---------------------------------------------------------------------------------------
// OrderedPipeline on its own: order, the byte budget, workers started, errors.

namespace {

struct NumberTask {
    std::uint64_t n = 0;
    std::size_t bytes = 0;
};
struct NumberResult {
    std::uint64_t n = 0;
};

// Reads `count` chunks numbered 0.., each declaring `bytes(n)`; fails by throwing what
// `throw_at` says for a chunk and stage.
struct Script {
    std::uint64_t count = 0;
    std::function<std::size_t(std::uint64_t)> bytes = [](std::uint64_t) { return 1; };
    std::function<void(const char* stage, std::uint64_t n)> throw_at = [](const char*,
                                                                          std::uint64_t) {};
};

struct Trace {
    std::vector<std::uint64_t> written;
    std::uint64_t read = 0;
    std::atomic<std::size_t> live{0};  // bytes read and not yet written
    std::size_t peak_live = 0;         // as the writer saw it
};

PipelineCounts run_script(const PipelineConfig& config, const Script& script, Trace& trace) {
    OrderedPipeline<NumberTask, NumberResult> pipeline(config);
    pipeline.run(
        [&](NumberTask& task) {
            if (trace.read == script.count) return false;
            task.n = trace.read++;
            script.throw_at("read", task.n);
            task.bytes = script.bytes(task.n);
            trace.live += task.bytes;
            return true;
        },
        [](const NumberTask& task) { return task.bytes; },
        [&](NumberTask& task, NumberResult& result) {
            if (task.n % 7 == 0) std::this_thread::yield();  // finish out of order
            script.throw_at("work", task.n);
            result.n = task.n;
        },
        [&](NumberResult& result) {
            script.throw_at("write", result.n);
            trace.peak_live = std::max(trace.peak_live, trace.live.load());
            trace.written.push_back(result.n);
            trace.live -= script.bytes(result.n);
        });
    return pipeline.counts();
}

std::vector<std::uint64_t> numbers(std::uint64_t count) {
    std::vector<std::uint64_t> v(count);
    for (std::uint64_t i = 0; i < count; ++i) v[i] = i;
    return v;
}

}  // namespace

TEST_CASE("ordered pipeline: writes every chunk in input order at any thread count") {
    for (const unsigned threads : {1u, 2u, 3u, 16u}) {
        for (const bool writer_thread : {false, true}) {
            INFO(threads << " threads, writer thread " << writer_thread);
            Script script;
            script.count = 2000;
            Trace trace;
            run_script({threads, writer_thread}, script, trace);
            CHECK(trace.written == numbers(2000));
        }
    }
}

TEST_CASE("ordered pipeline: the bytes in flight stay within the budget") {
    Script script;
    script.count = 500;
    script.bytes = [](std::uint64_t n) { return std::size_t{10} + n % 7; };  // 10..16
    for (const unsigned threads : {1u, 4u, 32u}) {
        INFO(threads << " threads");
        Trace trace;
        const PipelineCounts counts = run_script({threads, true, 50}, script, trace);
        CHECK(trace.written == numbers(500));
        CHECK(counts.peak_bytes <= 50);
        CHECK(counts.peak_bytes >= 30);  // the budget, not the slots, was the limit
        // What the test saw includes the chunk the reader holds before admitting it.
        CHECK(trace.peak_live <= 50 + 16);
        // Workers start as chunks wait for them: no more than chunks fit in the budget.
        CHECK(counts.workers <= 5);
    }
}

TEST_CASE("ordered pipeline: chunks larger than the budget still run, two at a time") {
    Script script;
    script.count = 40;
    script.bytes = [](std::uint64_t) { return std::size_t{1000}; };
    Trace trace;
    const PipelineCounts counts = run_script({8, true, 100}, script, trace);
    CHECK(trace.written == numbers(40));
    CHECK(counts.peak_bytes == 2000);
    CHECK(counts.peak_chunks == 2);
}

TEST_CASE("ordered pipeline: a short input starts one worker, whatever the thread count") {
    Script script;
    script.count = 1;
    Trace trace;
    CHECK(run_script({64, true}, script, trace).workers == 1);
    CHECK(trace.written == numbers(1));
}

TEST_CASE("ordered pipeline: the first error in input order wins, and everything stops") {
    for (const unsigned threads : {1u, 2u, 16u}) {
        for (const bool writer_thread : {false, true}) {
            for (const char* stage : {"read", "work", "write"}) {
                INFO(threads << " threads, writer thread " << writer_thread << ", " << stage);
                Script script;
                script.count = 100'000;
                // Two failing chunks: the earlier one is reported.
                script.throw_at = [stage](const char* at, std::uint64_t n) {
                    if (std::string(at) == stage && (n == 37 || n == 60))
                        throw FormatError("chunk " + std::to_string(n));
                };
                Trace trace;
                try {
                    run_script({threads, writer_thread}, script, trace);
                    FAIL("no error");
                } catch (const FormatError& e) {
                    CHECK(std::string(e.what()) == "chunk 37");
                }
                // Everything before the failing chunk is written, in order, and no more.
                CHECK(trace.written == numbers(37));
                // The reader stopped soon after: it never read the whole input.
                CHECK(trace.read < 37 + 2 * 16 + 3);
            }
        }
    }
}

TEST_CASE("ordered pipeline: running out of memory in any stage is an error, not a hang") {
    for (const unsigned threads : {1u, 4u, 16u}) {
        for (const char* stage : {"read", "work", "write"}) {
            INFO(threads << " threads, " << stage);
            Script script;
            script.count = 10'000;
            script.throw_at = [stage](const char* at, std::uint64_t n) {
                if (std::string(at) == stage && n == 5) throw std::bad_alloc();
            };
            Trace trace;
            try {
                run_script({threads, true}, script, trace);
                FAIL("no error");
            } catch (const Error& e) {
                CHECK(std::string(e.what()) == "out of memory");
            }
            CHECK(trace.written == numbers(5));
        }
    }
}

TEST_CASE("pipeline: decompression reuses chunk buffers and bounds them by bytes") {
    // Decoding into an output that cannot take chunks directly, every chunk needs a buffer:
    // 64 chunks of 1 MiB through 16 threads with 4 MiB allowed in flight.
    const auto data = test::bf16_weights(64 << 20, 12);
    CompressOptions o;
    o.chunk_size = 1 << 20;
    o.threads = 2;
    const auto frame = compress_buffer(data, o);
    SpanInput in(frame);
    FrameReader reader(in, nullptr);
    OrderedPipeline<DecodeTask, Buffer> pipeline({16, true, 4 << 20});
    std::vector<std::uint8_t> out;
    std::set<const std::uint8_t*> buffers;
    pipeline.run([&](DecodeTask& task) { return reader.next(task); },
                 [](const DecodeTask& task) { return task.header.raw_size; },
                 [](DecodeTask& task, Buffer& raw) {
                     raw.resize(task.header.raw_size);
                     decode_payload(task.payload, task.header, raw);
                 },
                 [&](Buffer& raw) {
                     buffers.insert(raw.data());
                     out.insert(out.end(), raw.begin(), raw.end());
                 });
    CHECK(out == data);
    CHECK(pipeline.counts().peak_bytes <= std::size_t{4} << 20);
    CHECK(buffers.size() <= 5);  // the buffers of the slots that were ever in flight
    CHECK(pipeline.counts().workers <= 5);
}
